/* metrics_pools: prewarmd's metric families (see metrics_pools.h). */
#include "metrics_pools.h"

struct family {
    const char *name, *type, *help;
};

static void gauges(struct buf *b, const struct metrics_pool *pools, size_t n)
{
    metrics_family(b, "prewarm_pods", "gauge", "Pods by pool and state.");
    for (size_t i = 0; i < n; i++) {
        for (int st = POOL_POD_CREATING; st < POOL_POD_STATE_COUNT; st++) {
            const char *l[] = {"pool", pools[i].name, "state", pool_pod_state_str(st)};
            metrics_sample(b, "prewarm_pods", l, 2, pools[i].counts.by_state[st]);
        }
    }
    metrics_family(b, "prewarm_sessions", "gauge", "Live sessions by pool.");
    for (size_t i = 0; i < n; i++) {
        const char *l[] = {"pool", pools[i].name};
        metrics_sample(b, "prewarm_sessions", l, 1, pools[i].counts.sessions);
    }
    metrics_family(b, "prewarm_waiters", "gauge", "Claims waiting for a Ready pod, by pool.");
    for (size_t i = 0; i < n; i++) {
        const char *l[] = {"pool", pools[i].name};
        metrics_sample(b, "prewarm_waiters", l, 1, pools[i].counts.waiters);
    }
}

/* One counter family with a second label taking values[] from counters. */
static void counter_family(struct buf *b, const struct metrics_pool *pools, size_t npools,
                           const struct family *f, const char *label, const char *const *values,
                           const size_t *offsets, size_t n)
{
    metrics_family(b, f->name, f->type, f->help);
    for (size_t i = 0; i < npools; i++) {
        for (size_t j = 0; j < n; j++) {
            const char *l[] = {"pool", pools[i].name, label, label ? values[j] : NULL};
            uint64_t v = *(const uint64_t *)((const char *)&pools[i].counters + offsets[j]);
            metrics_sample(b, f->name, l, label ? 2 : 1, (double)v);
        }
    }
}

#define OFF(field) offsetof(struct pool_counters, field)

static void counters(struct buf *b, const struct metrics_pool *p, size_t n)
{
    static const struct family claims = {"prewarm_claims_total", "counter",
                                         "Claims by pool and result."};
    static const char *const cv[] = {"bound", "key_reused", "replayed", "queued", "empty"};
    static const size_t co[] = {OFF(claims_bound), OFF(key_reused), OFF(idempotent_replay),
                                OFF(claims_queued), OFF(claims_empty)};
    counter_family(b, p, n, &claims, "result", cv, co, 5);
    static const struct family waiters = {"prewarm_waiters_total", "counter",
                                          "Waiting claims by pool and how they ended."};
    static const char *const wv[] = {"bound", "timed_out", "cancelled"};
    static const size_t wo[] = {OFF(waiters_bound), OFF(waiters_timed_out), OFF(waiters_cancelled)};
    counter_family(b, p, n, &waiters, "result", wv, wo, 3);
    static const struct family ended = {"prewarm_sessions_ended_total", "counter",
                                        "Ended sessions by pool and reason."};
    static const char *const ev[] = {"released", "ttl", "idle", "pod_died"};
    static const size_t eo[] = {OFF(released), OFF(expired_ttl), OFF(expired_idle),
                                OFF(pod_died_bound)};
    counter_family(b, p, n, &ended, "reason", ev, eo, 4);
    static const struct family created = {"prewarm_pods_requested_total", "counter",
                                          "Pods asked of the provider, by pool."};
    static const size_t ro[] = {OFF(pods_requested)};
    counter_family(b, p, n, &created, NULL, NULL, ro, 1);
    static const struct family deleted = {
        "prewarm_pods_deleted_total", "counter",
        "Pods deleted (after a session, surplus, stuck), by pool."};
    static const size_t dO[] = {OFF(pods_deleted)};
    counter_family(b, p, n, &deleted, NULL, NULL, dO, 1);
}

void metrics_pools_write(struct buf *b, const struct metrics_pool *pools, size_t n, bool ready)
{
    gauges(b, pools, n);
    counters(b, pools, n);
    metrics_family(b, "prewarm_claim_bind_seconds", "histogram",
                   "Time the pool core took to answer a claim (bind, key reuse or replay).");
    for (size_t i = 0; i < n; i++) {
        const char *l[] = {"pool", pools[i].name};
        metrics_histogram_write(b, "prewarm_claim_bind_seconds", l, 1, pools[i].bind);
    }
    metrics_sizing_write(b, pools, n);
    metrics_family(b, "prewarm_ready", "gauge", "1 once every pool reached min_idle.");
    metrics_sample(b, "prewarm_ready", NULL, 0, ready ? 1 : 0);
}
