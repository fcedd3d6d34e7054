/*
 * metrics_pools: prewarmd's pool families, written from a snapshot.
 *
 * The daemon's collector fills one struct metrics_pool per pool and calls
 * metrics_pools_write(); this module owns each family's name, type, help
 * and labels (label values: pool names and the fixed words below):
 *
 *   prewarm_pods{pool,state}                   gauge     creating starting ready bound draining
 *   prewarm_sessions{pool}, prewarm_waiters{pool}  gauges
 *   prewarm_pool_min_idle{pool}, prewarm_pool_max_pods{pool}  gauges (configuration)
 *   prewarm_claims_total{pool,outcome}         counter   each claim once, by how it ended:
 *       bound key_reused replayed (at once), waited (bound after a wait),
 *       empty (no pod, no wait or the waiter queue full), timed_out,
 *       cancelled (the caller left while waiting), error (refused: bad input)
 *   prewarm_sessions_ended_total{pool,reason}  counter   released ttl idle pod_died
 *   prewarm_pods_requested_total{pool}, prewarm_pods_deleted_total{pool}  counters
 *   prewarm_pod_start_failures_total{pool,reason} counter create_failed start_timeout
 *   prewarm_claim_bind_seconds{pool}           histogram the pool core's claim call
 *   prewarm_claim_duration_seconds{pool}       histogram request to answer, waits included
 *   prewarm_ready                              gauge     1 once every pool reached min_idle
 *   sizing (metrics_sizing.c, from pool_get_sizing):
 *   prewarm_pool_target_idle{pool}, prewarm_pool_burst{pool}   gauges
 *   prewarm_pool_arrival_rate{pool,window}   gauge (short, long, sized)
 *   prewarm_pool_lead_time_estimate_seconds{pool,percentile}   gauge (50, 90, 99)
 *   prewarm_pod_lead_time_seconds{pool}      histogram (create -> Ready)
 *
 * Ownership: the snapshot is the caller's; output goes into its writer.
 */
#ifndef PREWARM_METRICS_POOLS_H
#define PREWARM_METRICS_POOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "pool.h"

struct metrics_pool {
    const char *name;
    struct pool_counts counts;
    struct pool_counters counters;
    uint32_t min_idle, max_total;
    uint64_t claims_error;    /* claims refused for bad input */
    uint64_t create_failures; /* pods the provider could not create */
    const struct metrics_histogram *bind, *claim;
    struct pool_sizing_info sizing;
};

void metrics_pools_write(struct metrics_writer *w, const struct metrics_pool *pools, size_t n,
                         bool ready);
/* The sizing families alone (metrics_sizing.c); metrics_pools_write calls it. */
void metrics_sizing_write(struct metrics_writer *w, const struct metrics_pool *pools, size_t n);

#endif
