/*
 * metrics_sizing: the sizing families of prewarmd (see metrics_pools.h), from
 * each pool's struct pool_sizing_info: why the pool has the size it has.
 */
#include <stdio.h>

#include "metrics_pools.h"

static void per_pool(struct metrics_writer *w, const struct metrics_pool *pools, size_t n,
                     const char *name, const char *help,
                     double (*value)(const struct pool_sizing_info *))
{
    metrics_family(w, name, METRICS_GAUGE, help);
    for (size_t i = 0; i < n; i++) {
        const char *l[] = {"pool", pools[i].name};
        metrics_sample(w, name, l, 1, value(&pools[i].sizing));
    }
}

static double target(const struct pool_sizing_info *s)
{
    return s->target;
}

static double burst(const struct pool_sizing_info *s)
{
    return s->burst ? 1 : 0;
}

/* A gauge with a second label, three values per pool. */
static void labelled(struct metrics_writer *w, const struct metrics_pool *pools, size_t n,
                     const char *name, const char *help, const char *label,
                     const char *const values[3],
                     void (*get)(const struct pool_sizing_info *, double out[3]))
{
    metrics_family(w, name, METRICS_GAUGE, help);
    for (size_t i = 0; i < n; i++) {
        double v[3];
        get(&pools[i].sizing, v);
        for (int k = 0; k < 3; k++) {
            const char *l[] = {"pool", pools[i].name, label, values[k]};
            metrics_sample(w, name, l, 2, v[k]);
        }
    }
}

static void rates(const struct pool_sizing_info *s, double out[3])
{
    out[0] = s->rate_short, out[1] = s->rate_long, out[2] = s->rate;
}

static void leads(const struct pool_sizing_info *s, double out[3])
{
    out[0] = s->lead_p50_s, out[1] = s->lead_p90_s, out[2] = s->lead_p99_s;
}

/* Every create -> Ready observation, as a histogram on the core's bounds. */
static void lead_histogram(struct metrics_writer *w, const struct metrics_pool *pools, size_t n)
{
    static const char *const name = "prewarm_pod_lead_time_seconds";
    metrics_family(w, name, METRICS_HISTOGRAM, "Pod create -> Ready time, by pool.");
    for (size_t i = 0; i < n; i++) {
        const struct pool_sizing_info *s = &pools[i].sizing;
        uint64_t cumulative = 0;
        for (int k = 0; k < POOL_LEAD_HIST_BUCKETS; k++) {
            char le[32];
            cumulative += s->lead_buckets[k];
            if (k < POOL_LEAD_HIST_BUCKETS - 1)
                snprintf(le, sizeof le, "%g", pool_lead_bounds_s[k]);
            else
                snprintf(le, sizeof le, "+Inf");
            const char *l[] = {"pool", pools[i].name, "le", le};
            metrics_sample(w, "prewarm_pod_lead_time_seconds_bucket", l, 2, (double)cumulative);
        }
        const char *l[] = {"pool", pools[i].name};
        metrics_sample(w, "prewarm_pod_lead_time_seconds_sum", l, 1, s->lead_sum_s);
        metrics_sample(w, "prewarm_pod_lead_time_seconds_count", l, 1, (double)cumulative);
    }
}

void metrics_sizing_write(struct metrics_writer *w, const struct metrics_pool *pools, size_t n)
{
    per_pool(w, pools, n, "prewarm_pool_target_idle",
             "Idle plus starting pods the sizing policy wants now, by pool.", target);
    per_pool(w, pools, n, "prewarm_pool_burst",
             "1 while the short arrival window is above what noise explains, by pool.", burst);
    static const char *const windows[3] = {"short", "long", "sized"};
    labelled(w, pools, n, "prewarm_pool_arrival_rate",
             "Claims per second by pool: short and long windows, and the rate the predictive "
             "policy sizes for.",
             "window", windows, rates);
    /* "quantile" is reserved for summaries (promtool says so). */
    static const char *const percentiles[3] = {"50", "90", "99"};
    labelled(w, pools, n, "prewarm_pool_lead_time_estimate_seconds",
             "Pod create -> Ready time the sizing policy expects, by pool and percentile (recent "
             "pods weigh most).",
             "percentile", percentiles, leads);
    lead_histogram(w, pools, n);
}
