/* kube_group: the Kubernetes pools' shared journal and Lease (kube_group.h). */
#include "kube_group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "k8s_config.h"
#include "kube_ha.h"
#include "kube_provider.h"
#include "log.h"
#include "oom.h"

/* One joined provider. */
struct kube_member {
    struct kube_group *g;
    struct provider *p;
    char *pool;
    bool started;
};

struct kube_group {
    struct loop *loop;
    struct kube_group_events ev;
    struct k8s_config *k8s;
    struct kube_ha *ha; /* NULL: no journal, no election */
    struct kube_member **members;
    size_t nmembers;
    bool leading, releasing;
    bool elected, journaled; /* what the config asks for */
    char identity[256];
};

/* ---- leadership --------------------------------------------------------------- */

static void start_member(struct kube_member *m)
{
    char err[512];
    if (m->started)
        return;
    m->started = true;
    if (kube_provider_start(m->p, err, sizeof err) != 0)
        log_line("pool %s: cannot start: %s", m->pool, err);
}

static void on_leading(void *ctx, uint64_t epoch)
{
    struct kube_group *g = ctx;
    g->leading = true;
    log_line("leading as %s in epoch %llu; rebuilding the Kubernetes pools", g->identity,
             (unsigned long long)epoch);
    for (size_t i = 0; i < g->nmembers; i++)
        start_member(g->members[i]);
    if (g->ev.acquired)
        g->ev.acquired(g->ev.ctx, epoch);
}

static void on_stopped(void *ctx)
{
    struct kube_group *g = ctx;
    if (g->releasing)
        return;
    g->leading = false;
    log_line("leadership lost as %s: no more claims are answered here; exiting", g->identity);
    if (g->ev.lost)
        g->ev.lost(g->ev.ctx);
}

/* ---- construction -------------------------------------------------------------- */

static void pick_identity(struct kube_group *g, const struct kube_election *e)
{
    const char *pod = getenv("POD_NAME");
    if (e->identity)
        snprintf(g->identity, sizeof g->identity, "%s", e->identity);
    else if (pod && *pod)
        snprintf(g->identity, sizeof g->identity, "%s", pod);
    else if (gethostname(g->identity, sizeof g->identity - 1) != 0)
        snprintf(g->identity, sizeof g->identity, "prewarmd-%ld", (long)getpid());
}

static int start_ha(struct kube_group *g, const struct config *cfg, char *err, size_t errlen)
{
    const struct kube_connection *conn = &cfg->kubernetes;
    const struct kube_election *e = &conn->election;
    const char **ns = xcalloc(cfg->npools + 1, sizeof *ns);
    size_t nns = 0;
    for (size_t i = 0; i < cfg->npools; i++)
        if (cfg->pools[i].provider == CONFIG_PROVIDER_KUBERNETES)
            ns[nns++] = cfg->pools[i].kube.namespace;
    const char *lease_ns = e->lease_namespace ? e->lease_namespace : getenv("POD_NAMESPACE");
    pick_identity(g, e);
    struct kube_ha_options o = {
        .journal_path = conn->journal,
        .journal_sync = conn->journal_sync,
        .namespaces = ns,
        .nnamespaces = nns,
        .k8s = g->k8s,
        .lease_name = e->enabled ? e->lease_name : NULL,
        .lease_namespace = lease_ns && *lease_ns ? lease_ns : NULL,
        .identity = g->identity,
        .lease_duration_ms = (int)(e->lease_duration_s * 1000),
        .renew_deadline_ms = (int)(e->renew_deadline_s * 1000),
        .retry_period_ms = (int)(e->retry_period_s * 1000),
    };
    struct kube_ha_events ev = {.ctx = g, .leading = on_leading, .stopped = on_stopped};
    g->elected = e->enabled;
    g->journaled = conn->journal != NULL;
    g->ha = kube_ha_new(g->loop, &o, &ev, err, errlen);
    free(ns);
    return g->ha ? 0 : -1;
}

static bool has_kube_pools(const struct config *cfg)
{
    for (size_t i = 0; i < cfg->npools; i++)
        if (cfg->pools[i].provider == CONFIG_PROVIDER_KUBERNETES)
            return true;
    return false;
}

struct kube_group *kube_group_new(struct loop *loop, const struct config *cfg,
                                  const struct kube_group_events *ev, char *err, size_t errlen)
{
    struct kube_group *g = xcalloc(1, sizeof *g);
    const struct kube_connection *conn = &cfg->kubernetes;
    g->loop = loop;
    if (ev)
        g->ev = *ev;
    if (!has_kube_pools(cfg) || (!conn->journal && !conn->election.enabled))
        return g; /* nothing shared: providers start at once */
    if (kube_connection_load(conn, &g->k8s, err, errlen) != 0 ||
        start_ha(g, cfg, err, errlen) != 0) {
        kube_group_free(g);
        return NULL;
    }
    return g;
}

void kube_group_free(struct kube_group *g)
{
    if (!g)
        return;
    kube_ha_free(g->ha);
    k8s_config_free(g->k8s);
    for (size_t i = 0; i < g->nmembers; i++) {
        free(g->members[i]->pool);
        free(g->members[i]);
    }
    free(g->members);
    free(g);
}

int kube_group_join(struct kube_group *g, struct provider *p, const char *pool, char *err,
                    size_t errlen)
{
    if (!g->ha)
        return kube_provider_start(p, err, errlen);
    struct kube_member *m = xcalloc(1, sizeof *m);
    m->g = g, m->p = p, m->pool = xstrdup(pool);
    g->members = xrealloc(g->members, (g->nmembers + 1) * sizeof *g->members);
    g->members[g->nmembers++] = m;
    kube_provider_set_ha(p, g->ha);
    if (g->leading)
        start_member(m);
    return 0;
}

uint64_t kube_group_epoch(const struct kube_group *g)
{
    return g->ha ? kube_ha_epoch(g->ha) : 0;
}

void kube_group_get_stats(const struct kube_group *g, struct provider_shared_stats *out)
{
    struct kube_ha_stats hs;
    if (!g->ha)
        return;
    kube_ha_get_stats(g->ha, &hs);
    out->elected = g->elected;
    out->leader = hs.leader;
    out->epoch = hs.epoch;
    out->acquisitions = hs.acquisitions;
    out->losses = hs.losses;
    out->journal = g->journaled;
    out->journal_appended = hs.journal.appended;
    out->journal_bytes = hs.journal.bytes;
    out->journal_failures = hs.journal_failures;
    out->flush_written = hs.flush_written;
    out->flush_deleted = hs.flush_deleted;
}

void kube_group_get_api_stats(const struct kube_group *g, struct k8s_client_stats *out)
{
    if (g->ha)
        kube_ha_get_api_stats(g->ha, out);
}

static void released(void *arg)
{
    struct kube_group *g = arg;
    g->releasing = false;
}

void kube_group_shutdown(struct kube_group *g)
{
    if (!g->ha || g->releasing)
        return;
    g->releasing = true;
    g->leading = false;
    kube_ha_release(g->ha, released, g);
}

bool kube_group_drained(const struct kube_group *g)
{
    return !g->releasing;
}
