/* provider_factory: one constructor per provider kind (see provider.h). */
#include <stdio.h>

#include "kube_provider.h"
#include "provider.h"
#include "provider_local.h"

typedef struct provider *provider_ctor(struct loop *loop, const struct config_pool *pool,
                                       const struct provider_events *events, char *err,
                                       size_t errlen);

static const struct {
    enum config_provider kind;
    provider_ctor *create;
} factory[] = {
    {CONFIG_PROVIDER_LOCAL, provider_local_new},
    {CONFIG_PROVIDER_KUBERNETES, provider_kube_new},
};

int provider_new(struct loop *loop, const struct config_pool *pool,
                 const struct provider_events *events, struct provider **out, char *err,
                 size_t errlen)
{
    *out = NULL;
    for (size_t i = 0; i < sizeof factory / sizeof factory[0]; i++) {
        if (factory[i].kind != pool->provider)
            continue;
        *out = factory[i].create(loop, pool, events, err, errlen);
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
