/*
 * daemon_metrics: the daemon's collectors of GET /metrics: its pools
 * (metrics_pools.h), the requests and connections it refused, the
 * Kubernetes pools' providers with their shared journal and Lease
 * (metrics_kube.h), and the process itself (metrics_process.h).
 */
#include <stdlib.h>

#include "api.h"
#include "daemon_internal.h"
#include "http_server.h"
#include "metrics_kube.h"
#include "metrics_pools.h"
#include "oom.h"

/* The pool families (metrics_pools.h), from one snapshot per pool. */
static void collect_pools(void *ctx, struct metrics_writer *w)
{
    struct daemon *d = ctx;
    struct service *svc = &d->svc;
    struct metrics_pool *pools = xcalloc(d->npools ? d->npools : 1, sizeof *pools);
    for (size_t i = 0; i < d->npools; i++) {
        struct service_pool_info p;
        svc->ops->pool_info(svc, i, &p);
        pools[i] = (struct metrics_pool){.name = p.name,
                                         .counts = p.counts,
                                         .counters = p.counters,
                                         .min_idle = p.limits.min_idle,
                                         .max_total = p.limits.max_total,
                                         .claims_error = d->pools[i].claims_error,
                                         .create_failures = d->pools[i].create_failures,
                                         .bind = p.bind,
                                         .claim = p.claim,
                                         .sizing = p.sizing};
    }
    metrics_pools_write(w, pools, d->npools, svc->ops->ready(svc));
    free(pools);
}

/* One snapshot of every Kubernetes pool and of what they share. */
static void collect_kube(void *ctx, struct metrics_writer *w)
{
    struct daemon *d = ctx;
    struct metrics_kube_pool *pools = xcalloc(d->npools ? d->npools : 1, sizeof *pools);
    struct metrics_kube k = {.pools = pools};
    provider_shared_get_stats(d->shared, &k.shared);
    provider_shared_get_api_stats(d->shared, &k.api);
    for (size_t i = 0; i < d->npools; i++) {
        const struct provider *p = d->pools[i].provider;
        if (!kube_provider_is(p))
            continue;
        struct k8s_client_stats api;
        kube_provider_get_api_stats(p, &api);
        metrics_kube_add_api(&k.api, &api);
        pools[k.npools].name = d->pools[i].cfg->name;
        kube_provider_get_stats(p, &pools[k.npools++].stats);
    }
    metrics_kube_write(w, &k);
    free(pools);
}

static void collect_refusals(void *ctx, struct metrics_writer *w)
{
    struct daemon *d = ctx;
    const struct api_stats *a = api_stats(d->api);
    static const char *const requests[] = {"unauthenticated", "forbidden", "rate_limited"};
    double refused[] = {(double)a->unauthenticated, (double)a->forbidden, (double)a->rate_limited};
    metrics_labelled(w, "prewarm_requests_refused_total", METRICS_COUNTER,
                     "Requests refused by the API's guard: 401 (no or unknown token), 403 (role), "
                     "429 (caller's rate limit).",
                     "reason", requests, refused, 3);
    struct http_server_stats api = {0}, health = {0};
    http_server_get_stats(d->http, &api);
    if (d->health)
        http_server_get_stats(d->health, &health);
    static const char *const connections[] = {"full", "per_address"};
    double closed[] = {(double)(api.refused_full + health.refused_full),
                       (double)(api.refused_per_address + health.refused_per_address)};
    metrics_labelled(w, "prewarm_connections_refused_total", METRICS_COUNTER,
                     "Connections closed at accept: every listener at max_connections (full), "
                     "or the client's address at max_connections_per_address.",
                     "reason", connections, closed, 2);
}

void daemon_register_metrics(struct daemon *d)
{
    metrics_register(&d->metrics, collect_pools, d);
    metrics_register(&d->metrics, collect_refusals, d);
    metrics_register(&d->metrics, collect_kube, d); /* writes nothing without Kubernetes */
    metrics_register(&d->metrics, metrics_process_collect, &d->build);
}
