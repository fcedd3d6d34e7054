/* Tests of src/metrics/metrics_sizing.c: the sizing families written from a
 * pool's live estimates, the lead-time histogram cumulative on the core's
 * bounds. */
#include <criterion/criterion.h>
#include <string.h>

#include "metrics_pools.h"

Test(metrics_sizing, families_from_the_estimates)
{
    struct metrics_pool p = {.name = "editor"};
    p.sizing = (struct pool_sizing_info){
        .policy = POOL_SIZING_PREDICTIVE,
        .rate_short = 12.5,
        .rate_long = 4,
        .rate = 13.25,
        .burst = true,
        .lead_p50_s = 2,
        .lead_p90_s = 3.5,
        .lead_p99_s = 6,
        .lead_samples = 3,
        .target = 42,
        .lead_buckets = {[5] = 1, [6] = 2}, /* one in (1, 2.5], two in (2.5, 5] */
        .lead_sum_s = 9.5,
    };
    struct buf b = {0};
    struct metrics_writer w = {.buf = &b, .format = METRICS_TEXT};
    metrics_sizing_write(&w, &p, 1);
    const char *t = buf_cstr(&b);
    const char *want[] = {
        "# TYPE prewarm_pool_target_idle gauge\n",
        "prewarm_pool_target_idle{pool=\"editor\"} 42\n",
        "prewarm_pool_burst{pool=\"editor\"} 1\n",
        "prewarm_pool_arrival_rate{pool=\"editor\",window=\"short\"} 12.5\n",
        "prewarm_pool_arrival_rate{pool=\"editor\",window=\"long\"} 4\n",
        "prewarm_pool_arrival_rate{pool=\"editor\",window=\"sized\"} 13.25\n",
        "prewarm_pool_lead_time_estimate_seconds{pool=\"editor\",percentile=\"90\"} 3.5\n",
        "# TYPE prewarm_pod_lead_time_seconds histogram\n",
        "prewarm_pod_lead_time_seconds_bucket{pool=\"editor\",le=\"1\"} 0\n",
        "prewarm_pod_lead_time_seconds_bucket{pool=\"editor\",le=\"2.5\"} 1\n",
        "prewarm_pod_lead_time_seconds_bucket{pool=\"editor\",le=\"5\"} 3\n",
        "prewarm_pod_lead_time_seconds_bucket{pool=\"editor\",le=\"600\"} 3\n",
        "prewarm_pod_lead_time_seconds_bucket{pool=\"editor\",le=\"+Inf\"} 3\n",
        "prewarm_pod_lead_time_seconds_sum{pool=\"editor\"} 9.5\n",
        "prewarm_pod_lead_time_seconds_count{pool=\"editor\"} 3\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect(strstr(t, want[i]), "missing %s in:\n%s", want[i], t);
    buf_free(&b);
}

Test(metrics_sizing, written_with_the_pool_families)
{
    struct metrics_histogram bind;
    metrics_histogram_init(&bind, metrics_latency_bounds, METRICS_LATENCY_BOUNDS);
    struct metrics_pool p = {.name = "a", .bind = &bind};
    struct buf b = {0};
    struct metrics_writer w = {.buf = &b, .format = METRICS_TEXT};
    metrics_pools_write(&w, &p, 1, true);
    cr_assert(strstr(buf_cstr(&b), "prewarm_pool_target_idle{pool=\"a\"} 0\n"), "%s", buf_cstr(&b));
    buf_free(&b);
}
