/* Tests of src/metrics/metrics.c: Prometheus text format and the histogram. */
#include <criterion/criterion.h>
#include <string.h>

#include "metrics.h"

Test(metrics, family_and_samples)
{
    struct buf b = {0};
    metrics_family(&b, "prewarm_pods", "gauge", "Pods by pool and state.");
    const char *labels[] = {"pool", "de\"mo\\\n", "state", "ready"};
    metrics_sample(&b, "prewarm_pods", labels, 2, 3);
    metrics_sample(&b, "up", NULL, 0, 0.5);
    cr_assert_str_eq(buf_cstr(&b), "# HELP prewarm_pods Pods by pool and state.\n"
                                   "# TYPE prewarm_pods gauge\n"
                                   "prewarm_pods{pool=\"de\\\"mo\\\\\\n\",state=\"ready\"} 3\n"
                                   "up 0.5\n");
    buf_free(&b);
    cr_assert_null(b.data);
}

Test(metrics, histogram_is_cumulative)
{
    struct metrics_histogram h = {0};
    metrics_histogram_observe(&h, 0.5e-6);
    metrics_histogram_observe(&h, 3e-6);
    metrics_histogram_observe(&h, 5.0);
    cr_assert_eq(h.count, 3);
    struct buf b = {0};
    const char *labels[] = {"pool", "p"};
    metrics_histogram_write(&b, "x", labels, 1, &h);
    const char *text = buf_cstr(&b);
    cr_assert(strstr(text, "x_bucket{pool=\"p\",le=\"1e-06\"} 1\n"), "%s", text);
    cr_assert(strstr(text, "x_bucket{pool=\"p\",le=\"2.5e-06\"} 1\n"), "%s", text);
    cr_assert(strstr(text, "x_bucket{pool=\"p\",le=\"5e-06\"} 2\n"), "%s", text);
    cr_assert(strstr(text, "x_bucket{pool=\"p\",le=\"1\"} 2\n"), "%s", text);
    cr_assert(strstr(text, "x_bucket{pool=\"p\",le=\"+Inf\"} 3\n"), "%s", text);
    cr_assert(strstr(text, "x_count{pool=\"p\"} 3\n"), "%s", text);
    cr_assert(strstr(text, "x_sum{pool=\"p\"} 5.0000035\n"), "%s", text);
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
