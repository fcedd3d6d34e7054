/*
 * k8s_ratelimit: a client-side token bucket, like client-go's default
 * (QPS 5, burst 10). The bucket holds at most `burst` tokens and refills at
 * `qps` tokens per second; every request takes one token before it is sent.
 *
 * Pure arithmetic: no clock reads (time is passed in), no allocation. The
 * client keeps a FIFO of requests that found the bucket empty and wakes the
 * head when k8s_ratelimit_take() says a token will be available, so requests
 * over the limit are delayed, never dropped.
 */
#ifndef K8S_RATELIMIT_H
#define K8S_RATELIMIT_H

#include <stdint.h>

struct k8s_ratelimit {
    double qps;    /* <= 0: unlimited */
    double burst;  /* bucket size, >= 1 */
    double tokens; /* current fill */
    uint64_t last_ms;
};

/* The bucket starts full. burst < 1 is treated as 1. */
void k8s_ratelimit_init(struct k8s_ratelimit *rl, double qps, int burst, uint64_t now_ms);
/* Takes a token and returns 0, or returns the milliseconds (>= 1) until a
 * token will be available and takes nothing. */
uint64_t k8s_ratelimit_take(struct k8s_ratelimit *rl, uint64_t now_ms);

#endif
