/*
 * metrics: Prometheus text exposition format 0.0.4, written into a growing
 * buffer, plus a fixed-bucket histogram.
 *
 * The writer knows nothing of pools: metrics_pools.c walks a snapshot and
 * calls metrics_family() once per family, then metrics_sample() per labelled
 * value. Label values are escaped (\\, \" and \n) as the format asks.
 *
 * Ownership: output goes into the caller's struct buf (buf.h), which the
 * caller frees with buf_free(). The histogram is a plain value the caller
 * embeds (no allocation); observing is a few compares and adds, cheap enough
 * for the claim path. Out of memory aborts (oom.h).
 */
#ifndef PREWARM_METRICS_H
#define PREWARM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* "# HELP name help" and "# TYPE name type" (type: gauge, counter, histogram). */
void metrics_family(struct buf *buf, const char *name, const char *type, const char *help);

/* name{k1="v1",...} value; labels holds nlabels key/value pairs (2*nlabels
 * strings). */
void metrics_sample(struct buf *buf, const char *name, const char *const *labels, size_t nlabels,
                    double value);

/* Bucket upper bounds in seconds, from 1 µs to 100 ms, then +Inf. */
#define METRICS_HIST_BUCKETS 12
extern const double metrics_hist_bounds[METRICS_HIST_BUCKETS];

struct metrics_histogram {
    uint64_t buckets[METRICS_HIST_BUCKETS]; /* not cumulative; +Inf is count */
    uint64_t count;
    double sum;
};

void metrics_histogram_observe(struct metrics_histogram *h, double seconds);
/* Writes name_bucket{...,le="..."} (cumulative), name_sum and name_count. */
void metrics_histogram_write(struct buf *buf, const char *name, const char *const *labels,
                             size_t nlabels, const struct metrics_histogram *h);

#endif
