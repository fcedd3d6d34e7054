/* Tests of src/metrics: Prometheus text and OpenMetrics output, Accept
 * negotiation, histograms, the collector registry, the event ring. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "metrics.h"
#include "metrics_process.h"

static struct metrics_writer text_writer(struct buf *b)
{
    return (struct metrics_writer){.buf = b, .format = METRICS_TEXT};
}

Test(metrics, family_and_samples)
{
    struct buf b = {0};
    struct metrics_writer w = text_writer(&b);
    metrics_family(&w, "prewarm_pods", METRICS_GAUGE, "Pods by pool and state.");
    const char *labels[] = {"pool", "de\"mo\\\n", "state", "ready"};
    metrics_sample(&w, "prewarm_pods", labels, 2, 3);
    metrics_sample(&w, "up", NULL, 0, 0.5);
    metrics_finish(&w);
    cr_assert_str_eq(buf_cstr(&b), "# HELP prewarm_pods Pods by pool and state.\n"
                                   "# TYPE prewarm_pods gauge\n"
                                   "prewarm_pods{pool=\"de\\\"mo\\\\\\n\",state=\"ready\"} 3\n"
                                   "up 0.5\n");
    buf_free(&b);
    cr_assert_null(b.data);
}

Test(metrics, openmetrics_names_counters_without_total_and_ends_with_eof)
{
    struct buf b = {0};
    struct metrics_writer w = {.buf = &b, .format = METRICS_OPENMETRICS};
    metrics_family(&w, "prewarm_claims_total", METRICS_COUNTER, "Claims \"by\" outcome.");
    metrics_sample(&w, "prewarm_claims_total", NULL, 0, 7);
    metrics_finish(&w);
    cr_assert_str_eq(buf_cstr(&b), "# HELP prewarm_claims Claims \\\"by\\\" outcome.\n"
                                   "# TYPE prewarm_claims counter\n"
                                   "prewarm_claims_total 7\n"
                                   "# EOF\n");
    buf_free(&b);
}

Test(metrics, accept_negotiation)
{
    const char *prom = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                       "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    cr_assert_eq(metrics_negotiate(prom, strlen(prom)), METRICS_OPENMETRICS);
    cr_assert_eq(metrics_negotiate(NULL, 0), METRICS_TEXT);
    cr_assert_eq(metrics_negotiate("*/*", 3), METRICS_TEXT);
    const char *prefer_text = "text/plain;q=1, application/openmetrics-text;q=0.5";
    cr_assert_eq(metrics_negotiate(prefer_text, strlen(prefer_text)), METRICS_TEXT);
    const char *refused = "application/openmetrics-text;q=0";
    cr_assert_eq(metrics_negotiate(refused, strlen(refused)), METRICS_TEXT);
    /* The header is not NUL-terminated in a request: only len bytes count. */
    const char *cut = "application/openmetrics-text";
    cr_assert_eq(metrics_negotiate(cut, 11), METRICS_TEXT);
    cr_assert_str_eq(metrics_content_type(METRICS_OPENMETRICS),
                     "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

Test(metrics, histogram_is_cumulative)
{
    struct metrics_histogram h;
    metrics_histogram_init(&h, metrics_latency_bounds, METRICS_LATENCY_BOUNDS);
    metrics_histogram_observe(&h, 0.5e-6);
    metrics_histogram_observe(&h, 3e-6);
    metrics_histogram_observe(&h, 5.0);
    metrics_histogram_observe(&h, 60.0);
    cr_assert_eq(h.count, 4);
    struct buf b = {0};
    struct metrics_writer w = text_writer(&b);
    const char *labels[] = {"pool", "p"};
    metrics_histogram_write(&w, "x", labels, 1, &h);
    const char *text = buf_cstr(&b);
    cr_assert(strstr(text, "x_bucket{pool=\"p\",le=\"1e-07\"} 0\n"), "%s", text);
    cr_assert(strstr(text, "x_bucket{pool=\"p\",le=\"5e-07\"} 1\n"), "%s", text);
    cr_assert(strstr(text, "x_bucket{pool=\"p\",le=\"5e-06\"} 2\n"), "%s", text);
    cr_assert(strstr(text, "x_bucket{pool=\"p\",le=\"5\"} 3\n"), "%s", text);
    cr_assert(strstr(text, "x_bucket{pool=\"p\",le=\"10\"} 3\n"), "%s", text);
    cr_assert(strstr(text, "x_bucket{pool=\"p\",le=\"+Inf\"} 4\n"), "%s", text);
    cr_assert(strstr(text, "x_count{pool=\"p\"} 4\n"), "%s", text);
    buf_free(&b);
}

static void collect_a(void *ctx, struct metrics_writer *w)
{
    metrics_family(w, "a", METRICS_GAUGE, "A.");
    metrics_sample(w, "a", NULL, 0, *(int *)ctx);
}

Test(metrics, registry_runs_collectors_in_order)
{
    struct metrics_registry r = {0};
    int one = 1, two = 2;
    cr_assert_eq(metrics_register(&r, collect_a, &one), 0);
    cr_assert_eq(metrics_register(&r, collect_a, &two), 0);
    struct buf b = {0};
    struct metrics_writer w = {.buf = &b, .format = METRICS_OPENMETRICS};
    metrics_collect(&r, &w);
    const char *text = buf_cstr(&b);
    cr_assert(strstr(text, "a 1\n# HELP a A.\n# TYPE a gauge\na 2\n# EOF\n"), "%s", text);
    metrics_unregister(&r, &one);
    cr_assert_eq(r.count, 1);
    for (int i = 1; i < METRICS_MAX_COLLECTORS; i++)
        cr_assert_eq(metrics_register(&r, collect_a, &one), 0);
    cr_assert_eq(metrics_register(&r, collect_a, &one), -1, "a full registry says so");
    buf_free(&b);
}

Test(metrics, process_families)
{
    struct metrics_build build = {"1.2.3", "abc"};
    struct buf b = {0};
    struct metrics_writer w = text_writer(&b);
    metrics_process_collect(&build, &w);
    const char *text = buf_cstr(&b);
    cr_assert(strstr(text, "# TYPE process_cpu_seconds_total counter\n"), "%s", text);
    cr_assert(strstr(text, "\nprocess_open_fds "), "%s", text);
    cr_assert(strstr(text, "\nprocess_resident_memory_bytes "), "%s", text);
    cr_assert(strstr(text, "\nprocess_start_time_seconds 1"), "%s", text);
    cr_assert(strstr(text, "prewarm_build_info{version=\"1.2.3\",revision=\"abc\"} 1\n"), "%s",
              text);
    buf_free(&b);
}

Test(events, ring_keeps_the_newest_and_answers_since)
{
    static struct events e; /* large: not on the stack */
    memset(&e, 0, sizeof e);
    struct buf b = {0};
    events_write_json(&e, 0, &b);
    cr_assert_str_eq(buf_cstr(&b), "[]");
    buf_free(&b);
    events_add(&e, 1000000000, LOG_LEVEL_INFO, "session_ended", "demo", "local-1", "released");
    events_add(&e, 2000000000, LOG_LEVEL_WARN, "pod_failed", "demo", NULL, NULL);
    events_write_json(&e, 1, &b);
    cr_assert_str_eq(buf_cstr(&b),
                     "[{\"seq\":2,\"time_ms\":2000,\"level\":\"warn\",\"kind\":"
                     "\"pod_failed\",\"pool\":\"demo\",\"pod\":null,\"detail\":null}]");
    buf_free(&b);
    for (int i = 0; i < 2 * EVENTS_MAX; i++)
        events_add(&e, 0, LOG_LEVEL_INFO, "x", NULL, NULL, NULL);
    events_write_json(&e, 0, &b);
    const char *text = buf_cstr(&b);
    char first[32];
    snprintf(first, sizeof first, "[{\"seq\":%d,", 2 + 2 * EVENTS_MAX - EVENTS_MAX + 1);
    cr_assert(!strncmp(text, first, strlen(first)), "oldest kept first: %.40s", text);
    buf_free(&b);
}

Test(buf, large_output_grows)
{
    struct buf b = {0};
    for (int i = 0; i < 1000; i++)
        buf_appendf(&b, "line %d\n", i);
    cr_assert(buf_size(&b) > 7000);
    const char *text = buf_cstr(&b);
    cr_assert_eq(strlen(text), buf_size(&b));
    cr_assert_str_eq(text + buf_size(&b) - 9, "line 999\n");
    buf_free(&b);
}

Test(buf, json_string_escapes_quotes_backslashes_and_control_bytes)
{
    struct buf b = {0};
    buf_append_json_string(&b, "a\"b\\c\n\x01z");
    buf_append(&b, ",", 1);
    buf_append_json_string(&b, NULL);
    cr_assert_str_eq(buf_cstr(&b), "\"a\\\"b\\\\c\\u000a\\u0001z\",\"\"");
    buf_free(&b);
}
