/*
 * metrics: the Prometheus text format 0.0.4 and the OpenMetrics 1.0 text
 * format, written into a growing buffer; fixed-bucket histograms; and a
 * registry of collectors, so each module writes its own families.
 *
 * Adding metrics to prewarmd: write a collector, register it once.
 *
 *     static void kube_collect(void *ctx, struct metrics_writer *w)
 *     {
 *         struct kube_provider *kp = ctx;
 *         metrics_family(w, "prewarm_kube_relists_total", METRICS_COUNTER,
 *                        "Pod lists after a watch could not resume.");
 *         metrics_sample(w, "prewarm_kube_relists_total", NULL, 0, kp->relists);
 *     }
 *     metrics_register(registry, kube_collect, kp);   // at setup
 *
 * Conventions (Prometheus' naming rules; `promtool check metrics` on a live
 * scrape enforces them in the test suite): names prewarm_<what>_<unit>, base
 * units (seconds, bytes), counters end in _total, a family's HELP says what
 * one sample counts; labels have bounded values (pool names, states,
 * outcomes, verbs, status codes; never ids or pod names). A family is
 * written once per scrape with all its samples together.
 *
 * Formats: the caller picks one per scrape from the Accept header
 * (metrics_negotiate). OpenMetrics differs in that a counter's TYPE and HELP
 * name the family without "_total", and the exposition ends with "# EOF";
 * the writer handles both, so collectors are format-blind.
 *
 * Ownership: output goes into the caller's struct buf (buf.h). Histograms
 * are plain values their owner embeds (no allocation); observing is a short
 * scan and two adds, cheap enough for the claim path. The registry is a
 * fixed array inside its owner (the daemon). Out of memory aborts (oom.h).
 */
#ifndef PREWARM_METRICS_H
#define PREWARM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define METRICS_TEXT_TYPE        "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_OPENMETRICS_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"

enum metrics_format { METRICS_TEXT, METRICS_OPENMETRICS };
enum metrics_type { METRICS_GAUGE, METRICS_COUNTER, METRICS_HISTOGRAM };

/* The format an Accept header asks for: OpenMetrics when it names
 * application/openmetrics-text with a quality at least that of text/plain
 * (as Prometheus' own scrapes do); the text format otherwise (NULL too). */
enum metrics_format metrics_negotiate(const char *accept, size_t len);
const char *metrics_content_type(enum metrics_format format);

struct metrics_writer {
    struct buf *buf;
    enum metrics_format format;
};

/* "# HELP" and "# TYPE" of a family; name is the sample name (counters end
 * in _total). */
void metrics_family(struct metrics_writer *w, const char *name, enum metrics_type type,
                    const char *help);
/* name{k1="v1",...} value; labels holds nlabels key/value pairs (2*nlabels
 * strings). */
void metrics_sample(struct metrics_writer *w, const char *name, const char *const *labels,
                    size_t nlabels, double value);
/* A whole family in one call: HELP, TYPE, then one sample per value of one
 * label (label NULL: n is 1 and the sample has no label). */
void metrics_labelled(struct metrics_writer *w, const char *name, enum metrics_type type,
                      const char *help, const char *label, const char *const *values,
                      const double *numbers, size_t n);
/* Ends the exposition ("# EOF" in OpenMetrics). */
void metrics_finish(struct metrics_writer *w);

/* ---- histograms ---- */

#define METRICS_HIST_MAX 32 /* finite bounds at most */

/* Bucket upper bounds (seconds): claim paths from 100 ns to 10 s. */
#define METRICS_LATENCY_BOUNDS 25
extern const double metrics_latency_bounds[METRICS_LATENCY_BOUNDS];

struct metrics_histogram {
    const double *bounds; /* ascending, nbounds of them; +Inf is implicit */
    size_t nbounds;
    uint64_t buckets[METRICS_HIST_MAX + 1]; /* not cumulative; [nbounds] = +Inf */
    uint64_t count;
    double sum;
};

/* bounds must outlive h; nbounds <= METRICS_HIST_MAX. */
void metrics_histogram_init(struct metrics_histogram *h, const double *bounds, size_t nbounds);
void metrics_histogram_observe(struct metrics_histogram *h, double value);
/* Writes name_bucket{...,le="..."} (cumulative), name_sum and name_count. */
void metrics_histogram_write(struct metrics_writer *w, const char *name, const char *const *labels,
                             size_t nlabels, const struct metrics_histogram *h);

/* ---- registry ---- */

typedef void metrics_collect_fn(void *ctx, struct metrics_writer *w);

#define METRICS_MAX_COLLECTORS 16

struct metrics_registry {
    struct {
        metrics_collect_fn *fn;
        void *ctx;
    } collectors[METRICS_MAX_COLLECTORS];
    size_t count;
};

/* Adds a collector, called on every scrape in registration order; ctx must
 * outlive the registry (or be removed first). Returns 0, or -1 when full. */
int metrics_register(struct metrics_registry *r, metrics_collect_fn *fn, void *ctx);
/* Removes every collector registered with ctx. */
void metrics_unregister(struct metrics_registry *r, void *ctx);
/* Runs every collector, then metrics_finish. */
void metrics_collect(const struct metrics_registry *r, struct metrics_writer *w);

#endif
