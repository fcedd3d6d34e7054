/*
 * metrics_pools: prewarmd's metric families, written from a snapshot.
 *
 * GET /metrics (src/api) fills one struct metrics_pool per pool from the
 * service and calls metrics_pools_write(); this module owns every family's
 * name, type, help and labels, so a new metric goes here: add the field to
 * the snapshot (or read it from pool_counts / pool_counters), then one
 * metrics_family() and its samples below.
 *
 *   prewarm_pods{pool,state}                 gauge   (state names: pool_pod_state_str)
 *   prewarm_sessions{pool}, prewarm_waiters{pool}   gauges
 *   prewarm_claims_total{pool,result}        counter
 *   prewarm_waiters_total{pool,result}       counter
 *   prewarm_sessions_ended_total{pool,reason} counter
 *   prewarm_pods_requested_total{pool}, prewarm_pods_deleted_total{pool}
 *   prewarm_claim_bind_seconds{pool}         histogram
 *   prewarm_ready                            gauge
 *   sizing (metrics_sizing.c, from pool_get_sizing):
 *   prewarm_pool_target_idle{pool}, prewarm_pool_burst{pool}   gauges
 *   prewarm_pool_arrival_rate{pool,window}   gauge (short, long, sized)
 *   prewarm_pool_lead_time_estimate_seconds{pool,percentile}   gauge (50, 90, 99)
 *   prewarm_pod_lead_time_seconds{pool}      histogram (create -> Ready)
 *
 * Ownership: the snapshot is the caller's; output goes into its buf.
 */
#ifndef PREWARM_METRICS_POOLS_H
#define PREWARM_METRICS_POOLS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "metrics.h"
#include "pool.h"

struct metrics_pool {
    const char *name;
    struct pool_counts counts;
    struct pool_counters counters;
    const struct metrics_histogram *bind; /* seconds taken by pool_claim */
    struct pool_sizing_info sizing;
};

void metrics_pools_write(struct buf *b, const struct metrics_pool *pools, size_t n, bool ready);
/* The sizing families alone (metrics_sizing.c); metrics_pools_write calls it. */
void metrics_sizing_write(struct buf *b, const struct metrics_pool *pools, size_t n);

#endif
