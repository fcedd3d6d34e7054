/* metrics: Prometheus text format writer (see metrics.h). */
#include "metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double metrics_hist_bounds[METRICS_HIST_BUCKETS] = {1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5,
                                                          1e-4, 2.5e-4, 1e-3, 1e-2, 1e-1,   1.0};

void metrics_buf_free(struct metrics_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

static void reserve(struct metrics_buf *buf, size_t extra)
{
    if (buf->len + extra + 1 <= buf->cap)
        return;
    size_t cap = buf->cap ? buf->cap : 1024;
    while (cap < buf->len + extra + 1)
        cap *= 2;
    char *data = realloc(buf->data, cap);
    if (!data)
        abort();
    buf->data = data;
    buf->cap = cap;
}

/* One vsnprintf in the common case: write into the spare room first and
 * only grow and redo when the text did not fit. */
void metrics_printf(struct metrics_buf *buf, const char *fmt, ...)
{
    va_list ap;
    reserve(buf, 256);
    va_start(ap, fmt);
    int n = vsnprintf(buf->data + buf->len, buf->cap - buf->len, fmt, ap);
    va_end(ap);
    if (n <= 0) {
        buf->data[buf->len] = '\0';
        return;
    }
    if ((size_t)n >= buf->cap - buf->len) {
        reserve(buf, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    buf->len += (size_t)n;
}

void metrics_append(struct metrics_buf *buf, const char *s, size_t len)
{
    reserve(buf, len);
    memcpy(buf->data + buf->len, s, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}

static void put_escaped(struct metrics_buf *buf, const char *s)
{
    reserve(buf, 2 * strlen(s));
    for (; *s; s++) {
        if (*s == '\\' || *s == '"') {
            buf->data[buf->len++] = '\\';
            buf->data[buf->len++] = *s;
        } else if (*s == '\n') {
            buf->data[buf->len++] = '\\';
            buf->data[buf->len++] = 'n';
        } else {
            buf->data[buf->len++] = *s;
        }
    }
    buf->data[buf->len] = '\0';
}

void metrics_family(struct metrics_buf *buf, const char *name, const char *type, const char *help)
{
    metrics_printf(buf, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_labels(struct metrics_buf *buf, const char *const *labels, size_t nlabels,
                       const char *le)
{
    if (!nlabels && !le)
        return;
    metrics_printf(buf, "{");
    for (size_t i = 0; i < nlabels; i++) {
        metrics_printf(buf, "%s%s=\"", i ? "," : "", labels[2 * i]);
        put_escaped(buf, labels[2 * i + 1]);
        metrics_printf(buf, "\"");
    }
    if (le)
        metrics_printf(buf, "%sle=\"%s\"", nlabels ? "," : "", le);
    metrics_printf(buf, "}");
}

static void put_value(struct metrics_buf *buf, double value)
{
    if (isinf(value))
        metrics_printf(buf, " %s\n", value > 0 ? "+Inf" : "-Inf");
    else if (isnan(value))
        metrics_printf(buf, " NaN\n");
    else if (value == (double)(int64_t)value && fabs(value) < 9e15)
        metrics_printf(buf, " %lld\n", (long long)value);
    else
        metrics_printf(buf, " %.9g\n", value);
}

void metrics_sample(struct metrics_buf *buf, const char *name, const char *const *labels,
                    size_t nlabels, double value)
{
    metrics_printf(buf, "%s", name);
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

void metrics_histogram_write(struct metrics_buf *buf, const char *name, const char *const *labels,
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
        metrics_printf(buf, "%s_bucket", name);
        put_labels(buf, labels, nlabels, le);
        put_value(buf, (double)cumulative);
    }
    metrics_printf(buf, "%s_sum", name);
    put_labels(buf, labels, nlabels, NULL);
    put_value(buf, h->sum);
    metrics_printf(buf, "%s_count", name);
    put_labels(buf, labels, nlabels, NULL);
    put_value(buf, (double)h->count);
}
