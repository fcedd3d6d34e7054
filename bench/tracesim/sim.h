/*
 * sim: replays a trace against the real pool core (pool/) on virtual time.
 *
 * One pool; a simulated provider turns CREATE_PODS into pods that are seen
 * STARTING at once and READY after a lead time drawn from a log-normal
 * distribution (median and p99 given), and DELETE_POD into GONE at once.
 * Each claim is made at its arrival time and waits for a pod if none is
 * idle (a miss); its session is released `duration` after it was bound. The
 * pool's own timers run at pool_set_next_deadline(). A day of trace replays
 * in about a second.
 *
 * Measured after a warm-up (the pool starts empty, and no policy should be
 * judged on filling it) up to the last arrival: hit ratio (claims bound
 * with no wait), p99 and max wait, idle pod-seconds (pods READY and unbound,
 * integrated over time) per claim, peak live pods, pods created.
 */
#ifndef PREWARM_SIM_H
#define PREWARM_SIM_H

#include <stdint.h>

#include "pool.h"
#include "trace.h"

struct sim_params {
    struct pool_sizing_config sizing;
    uint32_t min_idle;
    uint32_t max_idle;    /* 0 = a bound the trace never reaches */
    double lead_median_s; /* pod create -> Ready */
    double lead_p99_s;
    uint64_t seed;   /* lead-time draws */
    double warmup_s; /* claims before this replay but are not measured */
};

struct sim_result {
    uint64_t claims;
    uint64_t hits;
    uint64_t timed_out; /* waited longer than the simulator's 10 min */
    double hit_ratio;
    double p99_wait_s;
    double max_wait_s;
    double idle_pod_s;
    double idle_per_claim_s;
    uint32_t peak_pods;
    uint64_t pods_created;
};

/* 0 on success; -1 with a message in err. */
int sim_run(const struct trace *t, const struct sim_params *p, struct sim_result *out, char *err,
            size_t errlen);

#endif
