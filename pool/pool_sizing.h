/*
 * pool_sizing: the sizing policies of the pool core (see "Sizing" in
 * pool.h). Each pool owns one sizer: the estimators (pool_estimate.h), the
 * target and keep levels of the last evaluation and the timer that
 * re-evaluates a dynamic policy. grow() and shrink() in pool_pod.c ask it
 * how much supply to want and to keep; claims and Ready observations feed
 * it.
 *
 * Callers: the other pool/ files only (through pool_internal.h).
 */
#ifndef PREWARM_POOL_SIZING_H
#define PREWARM_POOL_SIZING_H

#include "pool_estimate.h"
#include "pool_heap.h"

#define POOL_SIZING_PERIOD_NS 500000000ull /* dynamic policies re-evaluate */

struct pool_sizer {
    /* read by every claim's sizing: first, next to the rate windows */
    uint32_t capacity;  /* 0 = unknown */
    uint32_t target;    /* from the last evaluation */
    uint32_t hold_prev; /* highest target of the previous period */
    uint32_t hold_cur;  /* highest target since period_at */
    uint64_t evaluated_at;
    struct pool_rate_est rate;
    struct pool_timer timer; /* armed for every policy but FIXED */
    uint64_t period_at;      /* periods are scale_down_delay_s long */
    double rate_used;
    bool burst;
    struct pool_lead_est lead;
    uint64_t lead_hist[POOL_LEAD_HIST_BUCKETS];
    double lead_sum_s;
};

struct pool;
struct pool_pod;

void pool__sizing_init(struct pool *pool);
void pool__sizing_reconfigure(struct pool *pool, const struct pool_config *old, uint64_t now);
uint32_t pool__sizing_target(const struct pool *pool); /* supply wanted */
uint32_t pool__sizing_keep(const struct pool *pool);   /* drain above; UINT32_MAX = never */
uint32_t pool__sizing_cap(const struct pool *pool);    /* live pods allowed */
void pool__sizing_arrival(struct pool *pool, uint64_t now);
void pool__sizing_ready(struct pool *pool, uint64_t created_at, uint64_t now);
void pool__sizing_timer(struct pool *pool, uint64_t now);
bool pool__sizing_check_config(const struct pool_config *config);

#endif
