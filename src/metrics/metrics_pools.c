/* metrics_pools: prewarmd's pool families (see metrics_pools.h). */
#include "metrics_pools.h"

/* A value of one pool's snapshot. */
typedef double pool_value_fn(const struct metrics_pool *p);

/* One family with one sample per pool, plus at most one more label whose
 * values each read their own field. */
struct family {
    const char *name, *help;
    enum metrics_type type;
    const char *label; /* NULL: the pool label only */
    size_t nvalues;    /* 1 without label */
    const char *values[8];
    pool_value_fn *read[8];
};

static void write_family(struct metrics_writer *w, const struct family *f,
                         const struct metrics_pool *pools, size_t n)
{
    metrics_family(w, f->name, f->type, f->help);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < f->nvalues; j++) {
            const char *l[] = {"pool", pools[i].name, f->label, f->values[j]};
            metrics_sample(w, f->name, l, f->label ? 2 : 1, f->read[j](&pools[i]));
        }
    }
}

#define READ(fn, expr)                                                                             \
    static double fn(const struct metrics_pool *p)                                                 \
    {                                                                                              \
        return (double)(expr);                                                                     \
    }

READ(pods_creating, p->counts.by_state[POOL_POD_CREATING])
READ(pods_starting, p->counts.by_state[POOL_POD_STARTING])
READ(pods_ready, p->counts.by_state[POOL_POD_READY])
READ(pods_bound, p->counts.by_state[POOL_POD_BOUND])
READ(pods_draining, p->counts.by_state[POOL_POD_DRAINING])
READ(sessions, p->counts.sessions)
READ(waiters, p->counts.waiters)
READ(min_idle, p->min_idle)
READ(max_total, p->max_total)
READ(claims_bound, p->counters.claims_bound)
READ(claims_key_reused, p->counters.key_reused)
READ(claims_replayed, p->counters.idempotent_replay)
READ(claims_waited, p->counters.waiters_bound)
READ(claims_empty, p->counters.claims_empty)
READ(claims_timed_out, p->counters.waiters_timed_out)
READ(claims_cancelled, p->counters.waiters_cancelled)
READ(claims_error, p->claims_error)
READ(ended_released, p->counters.released)
READ(ended_ttl, p->counters.expired_ttl)
READ(ended_idle, p->counters.expired_idle)
READ(ended_pod_died, p->counters.pod_died_bound)
READ(pods_requested, p->counters.pods_requested)
READ(pods_deleted, p->counters.pods_deleted)
READ(create_failures, p->create_failures)
READ(start_timeouts, p->counters.start_timeouts)

static const struct family families[] = {
    {"prewarm_pods",
     "Pods by pool and state.",
     METRICS_GAUGE,
     "state",
     5,
     {"creating", "starting", "ready", "bound", "draining"},
     {pods_creating, pods_starting, pods_ready, pods_bound, pods_draining}},
    {"prewarm_sessions", "Live sessions by pool.", METRICS_GAUGE, NULL, 1, {0}, {sessions}},
    {"prewarm_waiters",
     "Claims waiting for a Ready pod, by pool.",
     METRICS_GAUGE,
     NULL,
     1,
     {0},
     {waiters}},
    {"prewarm_pool_min_idle",
     "Configured minimum of idle Ready pods, by pool.",
     METRICS_GAUGE,
     NULL,
     1,
     {0},
     {min_idle}},
    {"prewarm_pool_max_pods",
     "Configured maximum of pods (max_total), by pool.",
     METRICS_GAUGE,
     NULL,
     1,
     {0},
     {max_total}},
    {"prewarm_claims_total",
     "Claims by pool and how each was answered.",
     METRICS_COUNTER,
     "outcome",
     8,
     {"bound", "key_reused", "replayed", "waited", "empty", "timed_out", "cancelled", "error"},
     {claims_bound, claims_key_reused, claims_replayed, claims_waited, claims_empty,
      claims_timed_out, claims_cancelled, claims_error}},
    {"prewarm_sessions_ended_total",
     "Ended sessions by pool and reason.",
     METRICS_COUNTER,
     "reason",
     4,
     {"released", "ttl", "idle", "pod_died"},
     {ended_released, ended_ttl, ended_idle, ended_pod_died}},
    {"prewarm_pods_requested_total",
     "Pods asked of the provider, by pool.",
     METRICS_COUNTER,
     NULL,
     1,
     {0},
     {pods_requested}},
    {"prewarm_pods_deleted_total",
     "Pods deleted (after a session, surplus, stuck), by pool.",
     METRICS_COUNTER,
     NULL,
     1,
     {0},
     {pods_deleted}},
    {"prewarm_pod_start_failures_total",
     "Pods that could not be created or were not Ready in time, by pool and reason.",
     METRICS_COUNTER,
     "reason",
     2,
     {"create_failed", "start_timeout"},
     {create_failures, start_timeouts}},
};

typedef const struct metrics_histogram *pool_histogram_fn(const struct metrics_pool *p);

static const struct metrics_histogram *bind_of(const struct metrics_pool *p)
{
    return p->bind;
}

static const struct metrics_histogram *claim_of(const struct metrics_pool *p)
{
    return p->claim;
}

static const struct {
    const char *name, *help;
    pool_histogram_fn *get;
} histograms[] = {
    {"prewarm_claim_bind_seconds",
     "Time the pool core took to answer a claim (bind, key reuse or replay).", bind_of},
    {"prewarm_claim_duration_seconds",
     "Time from a claim request to its answer with a session, waits included.", claim_of},
};

void metrics_pools_write(struct metrics_writer *w, const struct metrics_pool *pools, size_t n,
                         bool ready)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        write_family(w, &families[i], pools, n);
    for (size_t i = 0; i < sizeof histograms / sizeof histograms[0]; i++) {
        metrics_family(w, histograms[i].name, METRICS_HISTOGRAM, histograms[i].help);
        for (size_t j = 0; j < n; j++) {
            const struct metrics_histogram *h = histograms[i].get(&pools[j]);
            const char *l[] = {"pool", pools[j].name};
            if (h)
                metrics_histogram_write(w, histograms[i].name, l, 1, h);
        }
    }
    metrics_sizing_write(w, pools, n);
    metrics_family(w, "prewarm_ready", METRICS_GAUGE, "1 once every pool reached min_idle.");
    metrics_sample(w, "prewarm_ready", NULL, 0, ready ? 1 : 0);
}
