/* kube_budget: creation rate, in-flight cap and back-off (see kube_budget.h). */
#include "kube_budget.h"

#define NS          1000000000.0
#define BACKOFF_MIN 1000u
#define BACKOFF_MAX 60000u

void kube_budget_init(struct kube_budget *b, double rate, uint32_t burst, uint32_t max_in_flight,
                      uint64_t now)
{
    *b = (struct kube_budget){.rate = rate,
                              .burst = burst ? burst : 1,
                              .tokens = burst ? burst : 1,
                              .stamp = now,
                              .max_in_flight = max_in_flight ? max_in_flight : 1};
}

static void refill(struct kube_budget *b, uint64_t now)
{
    if (now > b->stamp && b->rate > 0) {
        b->tokens += (double)(now - b->stamp) / NS * b->rate;
        if (b->tokens > b->burst)
            b->tokens = b->burst;
    }
    if (now > b->stamp)
        b->stamp = now;
}

bool kube_budget_take(struct kube_budget *b, uint64_t now)
{
    refill(b, now);
    if (now < b->backoff_until || b->in_flight >= b->max_in_flight)
        return false;
    if (b->rate > 0) {
        if (b->tokens < 1.0)
            return false;
        b->tokens -= 1.0;
    }
    b->in_flight++;
    return true;
}

void kube_budget_done(struct kube_budget *b)
{
    if (b->in_flight)
        b->in_flight--;
}

void kube_budget_fail(struct kube_budget *b, uint64_t now)
{
    b->backoff_ms = b->backoff_ms ? b->backoff_ms * 2 : BACKOFF_MIN;
    if (b->backoff_ms > BACKOFF_MAX)
        b->backoff_ms = BACKOFF_MAX;
    b->backoff_until = now + (uint64_t)b->backoff_ms * 1000000u;
}

void kube_budget_ok(struct kube_budget *b)
{
    b->backoff_ms = 0;
    b->backoff_until = 0;
}

uint64_t kube_budget_next(const struct kube_budget *b, uint64_t now)
{
    uint64_t at = now;
    if (b->rate > 0 && b->tokens < 1.0) {
        double wait = (1.0 - b->tokens) / b->rate * NS;
        at = b->stamp + (uint64_t)wait + 1;
    }
    if (b->backoff_until > at)
        at = b->backoff_until;
    return at < now ? now : at;
}
