/*
 * kube_budget: a pool's creation budget: pods created per second (a token
 * bucket of `rate` per second holding at most `burst`), a cap on creates in
 * flight (POSTed, not yet answered or retried) and an exponential back-off
 * after failures (create refused, pod unschedulable, crashed before Ready:
 * 1 s doubling to 60 s, reset by a pod that became Ready).
 *
 * Pure: time (monotonic ns) is passed in; no allocation. The provider asks
 * kube_budget_take() before each POST and kube_budget_next() for when to
 * try again.
 */
#ifndef KUBE_BUDGET_H
#define KUBE_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

struct kube_budget {
    double rate;    /* tokens per second; <= 0: unlimited */
    double burst;   /* bucket size, >= 1 */
    double tokens;  /* current */
    uint64_t stamp; /* last refill (ns) */
    uint32_t in_flight, max_in_flight;
    uint64_t backoff_until;
    uint32_t backoff_ms;
};

void kube_budget_init(struct kube_budget *b, double rate, uint32_t burst, uint32_t max_in_flight,
                      uint64_t now);
/* Takes one create if a token, an in-flight slot and no back-off allow it. */
bool kube_budget_take(struct kube_budget *b, uint64_t now);
/* A create finished (answered or given up): frees its in-flight slot. */
void kube_budget_done(struct kube_budget *b);
/* Something failed: back off (1 s doubling to 60 s). */
void kube_budget_fail(struct kube_budget *b, uint64_t now);
/* A pod became Ready: the back-off resets. */
void kube_budget_ok(struct kube_budget *b);
/* Earliest time take() can succeed, given a free in-flight slot (ns);
 * `now` if already. */
uint64_t kube_budget_next(const struct kube_budget *b, uint64_t now);

#endif
