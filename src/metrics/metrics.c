/* metrics: Prometheus / OpenMetrics text writers, histograms, registry
 * (see metrics.h). */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const double metrics_latency_bounds[METRICS_LATENCY_BOUNDS] = {
    1e-7,   2.5e-7, 5e-7, 1e-6,   2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3,
    2.5e-3, 5e-3,   1e-2, 2.5e-2, 5e-2,   0.1,  0.25, 0.5,    1,    2.5,  5,      10};

/* ---- content negotiation ---- */

/* A quality value ("1", "0.75", "1.000") in [p, end): 0..1000. */
static int parse_q(const char *p, const char *end)
{
    int q = 0, digits = 0;
    if (p < end && (*p == '0' || *p == '1'))
        q = (*p++ - '0') * 1000;
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
            q += (*p - '0') * (digits == 0 ? 100 : digits == 1 ? 10 : 1);
    return q > 1000 ? 1000 : q;
}

/* The q of one media range ("type/sub; a=b; q=0.5") in [p, end), 0..1000;
 * 1000 unless given. */
static int range_quality(const char *p, const char *end)
{
    for (const char *s = p; s < end; s++) {
        if (*s != ';')
            continue;
        const char *q = s + 1;
        while (q < end && *q == ' ')
            q++;
        if (end - q >= 2 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=')
            return parse_q(q + 2, end);
    }
    return 1000;
}

static bool range_is(const char *p, const char *end, const char *type)
{
    size_t n = strlen(type);
    while (p < end && *p == ' ')
        p++;
    return (size_t)(end - p) >= n && !strncasecmp(p, type, n) &&
           (p + n == end || p[n] == ';' || p[n] == ' ');
}

enum metrics_format metrics_negotiate(const char *accept, size_t len)
{
    int om = 0, text = 0;
    const char *p = accept, *end = accept ? accept + len : NULL;
    while (p && p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        int q = range_quality(p, stop);
        if (range_is(p, stop, "application/openmetrics-text") && q > om)
            om = q;
        else if (range_is(p, stop, "text/plain") && q > text)
            text = q;
        p = comma ? comma + 1 : NULL;
    }
    return om > 0 && om >= text ? METRICS_OPENMETRICS : METRICS_TEXT;
}

const char *metrics_content_type(enum metrics_format format)
{
    return format == METRICS_OPENMETRICS ? METRICS_OPENMETRICS_TYPE : METRICS_TEXT_TYPE;
}

/* ---- writer ---- */

static void put_escaped(struct buf *buf, const char *s, bool quote)
{
    char *out = buf_reserve(buf, 2 * strlen(s)), *start = out;
    for (; *s; s++) {
        if (*s == '\\' || *s == '\n' || (quote && *s == '"'))
            *out++ = '\\';
        *out++ = *s == '\n' ? 'n' : *s;
    }
    buf_commit(buf, (size_t)(out - start));
}

static const char *type_name(enum metrics_type type)
{
    return type == METRICS_COUNTER ? "counter" : type == METRICS_HISTOGRAM ? "histogram" : "gauge";
}

void metrics_family(struct metrics_writer *w, const char *name, enum metrics_type type,
                    const char *help)
{
    size_t len = strlen(name);
    /* OpenMetrics names a counter family without its _total suffix. */
    if (w->format == METRICS_OPENMETRICS && type == METRICS_COUNTER && len > 6 &&
        !strcmp(name + len - 6, "_total"))
        len -= 6;
    buf_appendf(w->buf, "# HELP %.*s ", (int)len, name);
    put_escaped(w->buf, help, w->format == METRICS_OPENMETRICS);
    buf_appendf(w->buf, "\n# TYPE %.*s %s\n", (int)len, name, type_name(type));
}

static void put_labels(struct buf *buf, const char *const *labels, size_t nlabels, const char *le)
{
    if (!nlabels && !le)
        return;
    buf_append(buf, "{", 1);
    for (size_t i = 0; i < nlabels; i++) {
        buf_appendf(buf, "%s%s=\"", i ? "," : "", labels[2 * i]);
        put_escaped(buf, labels[2 * i + 1], true);
        buf_append(buf, "\"", 1);
    }
    if (le)
        buf_appendf(buf, "%sle=\"%s\"", nlabels ? "," : "", le);
    buf_append(buf, "}", 1);
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
        buf_appendf(buf, " %.17g\n", value);
}

void metrics_sample(struct metrics_writer *w, const char *name, const char *const *labels,
                    size_t nlabels, double value)
{
    buf_append(w->buf, name, strlen(name));
    put_labels(w->buf, labels, nlabels, NULL);
    put_value(w->buf, value);
}

void metrics_labelled(struct metrics_writer *w, const char *name, enum metrics_type type,
                      const char *help, const char *label, const char *const *values,
                      const double *numbers, size_t n)
{
    metrics_family(w, name, type, help);
    for (size_t i = 0; i < n; i++) {
        const char *l[] = {label, label ? values[i] : NULL};
        metrics_sample(w, name, l, label ? 1 : 0, numbers[i]);
    }
}

void metrics_finish(struct metrics_writer *w)
{
    if (w->format == METRICS_OPENMETRICS)
        buf_append(w->buf, "# EOF\n", 6);
}

/* ---- histograms ---- */

void metrics_histogram_init(struct metrics_histogram *h, const double *bounds, size_t nbounds)
{
    *h = (struct metrics_histogram){
        .bounds = bounds, .nbounds = nbounds < METRICS_HIST_MAX ? nbounds : METRICS_HIST_MAX};
}

void metrics_histogram_observe(struct metrics_histogram *h, double value)
{
    size_t i = 0;
    while (i < h->nbounds && value > h->bounds[i])
        i++;
    h->buckets[i]++;
    h->count++;
    h->sum += value;
}

void metrics_histogram_write(struct metrics_writer *w, const char *name, const char *const *labels,
                             size_t nlabels, const struct metrics_histogram *h)
{
    uint64_t cumulative = 0;
    char le[32];
    for (size_t i = 0; i <= h->nbounds; i++) {
        cumulative += h->buckets[i];
        if (i < h->nbounds)
            snprintf(le, sizeof le, "%g", h->bounds[i]);
        else
            snprintf(le, sizeof le, "+Inf");
        buf_appendf(w->buf, "%s_bucket", name);
        put_labels(w->buf, labels, nlabels, le);
        put_value(w->buf, (double)cumulative);
    }
    buf_appendf(w->buf, "%s_sum", name);
    put_labels(w->buf, labels, nlabels, NULL);
    put_value(w->buf, h->sum);
    buf_appendf(w->buf, "%s_count", name);
    put_labels(w->buf, labels, nlabels, NULL);
    put_value(w->buf, (double)h->count);
}

/* ---- registry ---- */

int metrics_register(struct metrics_registry *r, metrics_collect_fn *fn, void *ctx)
{
    if (r->count == METRICS_MAX_COLLECTORS)
        return -1;
    r->collectors[r->count].fn = fn;
    r->collectors[r->count].ctx = ctx;
    r->count++;
    return 0;
}

void metrics_unregister(struct metrics_registry *r, void *ctx)
{
    size_t kept = 0;
    for (size_t i = 0; i < r->count; i++)
        if (r->collectors[i].ctx != ctx)
            r->collectors[kept++] = r->collectors[i];
    r->count = kept;
}

void metrics_collect(const struct metrics_registry *r, struct metrics_writer *w)
{
    for (size_t i = 0; i < r->count; i++)
        r->collectors[i].fn(r->collectors[i].ctx, w);
    metrics_finish(w);
}
