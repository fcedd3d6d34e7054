/* metrics: Prometheus text format writer (see metrics.h). */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double metrics_hist_bounds[METRICS_HIST_BUCKETS] = {1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5,
                                                          1e-4, 2.5e-4, 1e-3, 1e-2, 1e-1,   1.0};

static void put_escaped(struct buf *buf, const char *s)
{
    char *out = buf_reserve(buf, 2 * strlen(s)), *start = out;
    for (; *s; s++) {
        if (*s == '\\' || *s == '"' || *s == '\n')
            *out++ = '\\';
        *out++ = *s == '\n' ? 'n' : *s;
    }
    buf_commit(buf, (size_t)(out - start));
}

void metrics_family(struct buf *buf, const char *name, const char *type, const char *help)
{
    buf_appendf(buf, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_labels(struct buf *buf, const char *const *labels, size_t nlabels, const char *le)
{
    if (!nlabels && !le)
        return;
    buf_appendf(buf, "{");
    for (size_t i = 0; i < nlabels; i++) {
        buf_appendf(buf, "%s%s=\"", i ? "," : "", labels[2 * i]);
        put_escaped(buf, labels[2 * i + 1]);
        buf_appendf(buf, "\"");
    }
    if (le)
        buf_appendf(buf, "%sle=\"%s\"", nlabels ? "," : "", le);
    buf_appendf(buf, "}");
}

static void put_value(struct buf *buf, double value)
{
    if (isinf(value))
        buf_appendf(buf, " %s\n", value > 0 ? "+Inf" : "-Inf");
    else if (isnan(value))
        buf_appendf(buf, " NaN\n");
    else if (value == (double)(int64_t)value && fabs(value) < 9e15)
        buf_appendf(buf, " %lld\n", (long long)value);
    else
        buf_appendf(buf, " %.9g\n", value);
}

void metrics_sample(struct buf *buf, const char *name, const char *const *labels, size_t nlabels,
                    double value)
{
    buf_appendf(buf, "%s", name);
    put_labels(buf, labels, nlabels, NULL);
    put_value(buf, value);
}

void metrics_histogram_observe(struct metrics_histogram *h, double seconds)
{
    for (size_t i = 0; i < METRICS_HIST_BUCKETS; i++) {
        if (seconds <= metrics_hist_bounds[i]) {
            h->buckets[i]++;
            break;
        }
    }
    h->count++;
    h->sum += seconds;
}

void metrics_histogram_write(struct buf *buf, const char *name, const char *const *labels,
                             size_t nlabels, const struct metrics_histogram *h)
{
    uint64_t cumulative = 0;
    char le[32];
    for (size_t i = 0; i <= METRICS_HIST_BUCKETS; i++) {
        if (i < METRICS_HIST_BUCKETS) {
            cumulative += h->buckets[i];
            snprintf(le, sizeof le, "%g", metrics_hist_bounds[i]);
        } else {
            cumulative = h->count;
            snprintf(le, sizeof le, "+Inf");
        }
        buf_appendf(buf, "%s_bucket", name);
        put_labels(buf, labels, nlabels, le);
        put_value(buf, (double)cumulative);
    }
    buf_appendf(buf, "%s_sum", name);
    put_labels(buf, labels, nlabels, NULL);
    put_value(buf, h->sum);
    buf_appendf(buf, "%s_count", name);
    put_labels(buf, labels, nlabels, NULL);
    put_value(buf, (double)h->count);
}
