/*
 * ratelimit: a token bucket per caller (claims per second with a burst).
 *
 * The bucket holds up to burst tokens and refills at rate tokens per second;
 * a request takes one or is refused with the time until one is there (for
 * Retry-After). Tokens are counted in billionths so that the refill is exact
 * at nanosecond resolution without floating point: refill = elapsed_ns *
 * rate nano-tokens. rate 0 means unlimited.
 *
 * Pure: the caller passes the monotonic time. Callers: src/api, tests.
 */
#ifndef PREWARM_RATELIMIT_H
#define PREWARM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATELIMIT_MAX_RATE 1000000u /* per second */

struct ratelimit {
    uint32_t rate;  /* tokens per second; 0 = unlimited */
    uint32_t burst; /* capacity in tokens (>= 1 when rate > 0) */
    uint64_t nano_tokens;
    uint64_t last_ns;
};

/* Starts full at now_ns. rate is capped at RATELIMIT_MAX_RATE, burst at least 1. */
void ratelimit_init(struct ratelimit *rl, uint32_t rate, uint32_t burst, uint64_t now_ns);

/* Changes rate and burst (a reload), keeping what the bucket holds (capped). */
void ratelimit_configure(struct ratelimit *rl, uint32_t rate, uint32_t burst, uint64_t now_ns);

/* Takes one token: true, or false with *retry_ns (if not NULL) set to the
 * time until one is available. */
bool ratelimit_take(struct ratelimit *rl, uint64_t now_ns, uint64_t *retry_ns);

#endif
