/* ratelimit: token bucket in nano-tokens (see ratelimit.h). */
#include "ratelimit.h"

#define NANO 1000000000ull

static uint64_t capacity(const struct ratelimit *rl)
{
    return (uint64_t)rl->burst * NANO;
}

static void refill(struct ratelimit *rl, uint64_t now_ns)
{
    if (now_ns <= rl->last_ns)
        return;
    uint64_t elapsed = now_ns - rl->last_ns, cap = capacity(rl);
    rl->last_ns = now_ns;
    /* elapsed * rate overflows only past ~5 h at the maximum rate: full. */
    if (elapsed >= cap / rl->rate + 1) {
        rl->nano_tokens = cap;
        return;
    }
    rl->nano_tokens += elapsed * rl->rate;
    if (rl->nano_tokens > cap)
        rl->nano_tokens = cap;
}

void ratelimit_configure(struct ratelimit *rl, uint32_t rate, uint32_t burst, uint64_t now_ns)
{
    if (rl->rate)
        refill(rl, now_ns);
    rl->rate = rate > RATELIMIT_MAX_RATE ? RATELIMIT_MAX_RATE : rate;
    rl->burst = burst ? burst : 1;
    rl->last_ns = now_ns;
    if (rl->nano_tokens > capacity(rl))
        rl->nano_tokens = capacity(rl);
}

void ratelimit_init(struct ratelimit *rl, uint32_t rate, uint32_t burst, uint64_t now_ns)
{
    *rl = (struct ratelimit){0};
    ratelimit_configure(rl, rate, burst, now_ns);
    rl->nano_tokens = capacity(rl);
}

bool ratelimit_take(struct ratelimit *rl, uint64_t now_ns, uint64_t *retry_ns)
{
    if (!rl->rate)
        return true;
    refill(rl, now_ns);
    if (rl->nano_tokens >= NANO) {
        rl->nano_tokens -= NANO;
        return true;
    }
    if (retry_ns)
        *retry_ns = (NANO - rl->nano_tokens + rl->rate - 1) / rl->rate;
    return false;
}
