/* metrics_pools: prewarmd's pool families (see metrics_pools.h). */
#include "metrics_pools.h"

/* Sample j of a family (the j-th value of its second label) for one pool. */
typedef double pool_read_fn(const struct metrics_pool *p, size_t j);
/* A histogram family's histogram for one pool (NULL: none yet). */
typedef const struct metrics_histogram *pool_histogram_fn(const struct metrics_pool *p);

/* One family: per pool, one sample per value of its second label (or one
 * sample without it), or one histogram. */
struct family {
    const char *name, *help;
    enum metrics_type type;
    const char *label; /* NULL: the pool label only */
    size_t nvalues;    /* 1 without label */
    const char *values[8];
    pool_read_fn *read;           /* gauges and counters */
    pool_histogram_fn *histogram; /* histograms */
};

static double pods(const struct metrics_pool *p, size_t j)
{
    static const enum pool_pod_state states[] = {POOL_POD_CREATING, POOL_POD_STARTING,
                                                 POOL_POD_READY, POOL_POD_BOUND, POOL_POD_DRAINING};
    return p->counts.by_state[states[j]];
}

static double sessions(const struct metrics_pool *p, size_t j)
{
    (void)j;
    return p->counts.sessions;
}

static double waiters(const struct metrics_pool *p, size_t j)
{
    (void)j;
    return p->counts.waiters;
}

static double min_idle(const struct metrics_pool *p, size_t j)
{
    (void)j;
    return p->min_idle;
}

static double max_total(const struct metrics_pool *p, size_t j)
{
    (void)j;
    return p->max_total;
}

static double claims(const struct metrics_pool *p, size_t j)
{
    const struct pool_counters *c = &p->counters;
    const uint64_t by_outcome[] = {c->claims_bound,      c->key_reused,   c->idempotent_replay,
                                   c->waiters_bound,     c->claims_empty, c->waiters_timed_out,
                                   c->waiters_cancelled, p->claims_error};
    return (double)by_outcome[j];
}

static double sessions_ended(const struct metrics_pool *p, size_t j)
{
    const struct pool_counters *c = &p->counters;
    const uint64_t by_reason[] = {c->released, c->expired_ttl, c->expired_idle, c->pod_died_bound};
    return (double)by_reason[j];
}

static double pods_requested(const struct metrics_pool *p, size_t j)
{
    (void)j;
    return (double)p->counters.pods_requested;
}

static double pods_deleted(const struct metrics_pool *p, size_t j)
{
    (void)j;
    return (double)p->counters.pods_deleted;
}

static double start_failures(const struct metrics_pool *p, size_t j)
{
    return (double)(j == 0 ? p->create_failures : p->counters.start_timeouts);
}

static const struct metrics_histogram *bind_of(const struct metrics_pool *p)
{
    return p->bind;
}

static const struct metrics_histogram *claim_of(const struct metrics_pool *p)
{
    return p->claim;
}

static const struct family families[] = {
    {"prewarm_pods",
     "Pods by pool and state.",
     METRICS_GAUGE,
     "state",
     5,
     {"creating", "starting", "ready", "bound", "draining"},
     pods,
     NULL},
    {"prewarm_sessions", "Live sessions by pool.", METRICS_GAUGE, NULL, 1, {0}, sessions, NULL},
    {"prewarm_waiters",
     "Claims waiting for a Ready pod, by pool.",
     METRICS_GAUGE,
     NULL,
     1,
     {0},
     waiters,
     NULL},
    {"prewarm_pool_min_idle",
     "Configured minimum of idle Ready pods, by pool.",
     METRICS_GAUGE,
     NULL,
     1,
     {0},
     min_idle,
     NULL},
    {"prewarm_pool_max_pods",
     "Configured maximum of pods (max_total), by pool.",
     METRICS_GAUGE,
     NULL,
     1,
     {0},
     max_total,
     NULL},
    {"prewarm_claims_total",
     "Claims by pool and how each was answered.",
     METRICS_COUNTER,
     "outcome",
     8,
     {"bound", "key_reused", "replayed", "waited", "empty", "timed_out", "cancelled", "error"},
     claims,
     NULL},
    {"prewarm_sessions_ended_total",
     "Ended sessions by pool and reason.",
     METRICS_COUNTER,
     "reason",
     4,
     {"released", "ttl", "idle", "pod_died"},
     sessions_ended,
     NULL},
    {"prewarm_pods_requested_total",
     "Pods asked of the provider, by pool.",
     METRICS_COUNTER,
     NULL,
     1,
     {0},
     pods_requested,
     NULL},
    {"prewarm_pods_deleted_total",
     "Pods deleted (after a session, surplus, stuck), by pool.",
     METRICS_COUNTER,
     NULL,
     1,
     {0},
     pods_deleted,
     NULL},
    {"prewarm_pod_start_failures_total",
     "Pods that could not be created or were not Ready in time, by pool and reason.",
     METRICS_COUNTER,
     "reason",
     2,
     {"create_failed", "start_timeout"},
     start_failures,
     NULL},
    {"prewarm_claim_bind_seconds",
     "Time the pool core took to answer a claim (bind, key reuse or replay).",
     METRICS_HISTOGRAM,
     NULL,
     1,
     {0},
     NULL,
     bind_of},
    {"prewarm_claim_duration_seconds",
     "Time from a claim request to its answer with a session, waits included.",
     METRICS_HISTOGRAM,
     NULL,
     1,
     {0},
     NULL,
     claim_of},
};

static void write_family(struct metrics_writer *w, const struct family *f,
                         const struct metrics_pool *pools, size_t n)
{
    metrics_family(w, f->name, f->type, f->help);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < f->nvalues; j++) {
            const char *l[] = {"pool", pools[i].name, f->label, f->values[j]};
            size_t nl = f->label ? 2 : 1;
            const struct metrics_histogram *h = f->histogram ? f->histogram(&pools[i]) : NULL;
            if (h)
                metrics_histogram_write(w, f->name, l, nl, h);
            else if (f->read)
                metrics_sample(w, f->name, l, nl, f->read(&pools[i], j));
        }
    }
}

void metrics_pools_write(struct metrics_writer *w, const struct metrics_pool *pools, size_t n,
                         bool ready)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        write_family(w, &families[i], pools, n);
    metrics_sizing_write(w, pools, n);
    metrics_family(w, "prewarm_ready", METRICS_GAUGE, "1 once every pool reached min_idle.");
    metrics_sample(w, "prewarm_ready", NULL, 0, ready ? 1 : 0);
}
