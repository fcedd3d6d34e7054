#include "k8s_ratelimit.h"

void k8s_ratelimit_init(struct k8s_ratelimit *rl, double qps, int burst, uint64_t now_ms)
{
    rl->qps = qps;
    rl->burst = burst < 1 ? 1.0 : (double)burst;
    rl->tokens = rl->burst;
    rl->last_ms = now_ms;
}

static void refill(struct k8s_ratelimit *rl, uint64_t now_ms)
{
    if (now_ms <= rl->last_ms)
        return;
    rl->tokens += (double)(now_ms - rl->last_ms) * rl->qps / 1000.0;
    if (rl->tokens > rl->burst)
        rl->tokens = rl->burst;
    rl->last_ms = now_ms;
}

uint64_t k8s_ratelimit_take(struct k8s_ratelimit *rl, uint64_t now_ms)
{
    if (rl->qps <= 0)
        return 0;
    refill(rl, now_ms);
    /* A small epsilon absorbs rounding of the millisecond clock. */
    if (rl->tokens >= 1.0 - 1e-9) {
        rl->tokens -= 1.0;
        return 0;
    }
    /* Round up so the woken request finds a whole token. */
    return (uint64_t)((1.0 - rl->tokens) * 1000.0 / rl->qps) + 1;
}
