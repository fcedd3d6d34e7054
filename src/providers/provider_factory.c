/* provider_factory: one constructor per provider kind (see provider.h). */
#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "k8s_client.h"
#include "kube_group.h"
#include "kube_provider.h"
#include "oom.h"
#include "provider.h"
#include "provider_local.h"

struct provider_shared {
    struct kube_group *kube;
};

typedef struct provider *provider_ctor(struct loop *loop, const struct config_pool *pool,
                                       const struct provider_events *events,
                                       struct provider_shared *shared, char *err, size_t errlen);

static struct provider *local_new(struct loop *loop, const struct config_pool *pool,
                                  const struct provider_events *events,
                                  struct provider_shared *shared, char *err, size_t errlen)
{
    (void)shared;
    return provider_local_new(loop, pool, events, err, errlen);
}

static struct provider *kube_new(struct loop *loop, const struct config_pool *pool,
                                 const struct provider_events *events,
                                 struct provider_shared *shared, char *err, size_t errlen)
{
    return provider_kube_new(loop, pool, events, shared ? shared->kube : NULL, err, errlen);
}

static const struct {
    enum config_provider kind;
    provider_ctor *create;
} factory[] = {
    {CONFIG_PROVIDER_LOCAL, local_new},
    {CONFIG_PROVIDER_KUBERNETES, kube_new},
};

struct provider_shared *provider_shared_new(struct loop *loop, const struct config *cfg,
                                            const struct provider_shared_events *ev, char *err,
                                            size_t errlen)
{
    struct kube_group_events kev = {.ctx = ev ? ev->ctx : NULL,
                                    .lost = ev ? ev->lost : NULL,
                                    .acquired = ev ? ev->acquired : NULL};
    struct provider_shared *s = xcalloc(1, sizeof *s);
    if (!(s->kube = kube_group_new(loop, cfg, &kev, err, errlen))) {
        free(s);
        return NULL;
    }
    return s;
}

void provider_shared_shutdown(struct provider_shared *s)
{
    if (s)
        kube_group_shutdown(s->kube);
}

uint64_t provider_shared_epoch(const struct provider_shared *s)
{
    return s ? kube_group_epoch(s->kube) : 0;
}

void provider_shared_get_stats(const struct provider_shared *s, struct provider_shared_stats *out)
{
    memset(out, 0, sizeof *out);
    if (s)
        kube_group_get_stats(s->kube, out);
}

void provider_shared_get_api_stats(const struct provider_shared *s, struct k8s_client_stats *out)
{
    memset(out, 0, sizeof *out);
    if (s)
        kube_group_get_api_stats(s->kube, out);
}

bool provider_shared_drained(const struct provider_shared *s)
{
    return !s || kube_group_drained(s->kube);
}

void provider_shared_free(struct provider_shared *s)
{
    if (!s)
        return;
    kube_group_free(s->kube);
    free(s);
}

int provider_new(struct loop *loop, const struct config_pool *pool,
                 const struct provider_events *events, struct provider_shared *shared,
                 struct provider **out, char *err, size_t errlen)
{
    *out = NULL;
    for (size_t i = 0; i < sizeof factory / sizeof factory[0]; i++) {
        if (factory[i].kind != pool->provider)
            continue;
        *out = factory[i].create(loop, pool, events, shared, err, errlen);
        return *out ? 0 : -1;
    }
    snprintf(err, errlen, "pool %s: no provider of this kind is built in", pool->name);
    return -1;
}

const char *provider_status_str(enum provider_status status)
{
    switch (status) {
    case PROVIDER_OK:
        return "ok";
    case PROVIDER_ERR_SPAWN:
        return "could not start";
    case PROVIDER_ERR_UNKNOWN:
        return "no such pod";
    case PROVIDER_ERR_REJECTED:
        return "rejected";
    }
    return "unknown";
}
