/*
 * k8s_timer: the client's internal timers (rate-limiter wake-ups, retry
 * delays, watch back-off and idle checks, libcurl's own timer).
 *
 * The caller's event loop offers the client a single timer (struct
 * k8s_loop_ops.set_timer); this module multiplexes many timers onto it. A
 * timer is embedded in its owner's record, so arming one never allocates and
 * can never fail. The set is a doubly linked list sorted by deadline: the
 * client holds a handful of timers (one per watch, one per retrying request,
 * one for the rate limiter), so an O(n) insert is cheaper than a heap.
 *
 * Ownership: the set never owns timers; an owner stops its timer before it
 * frees the record. Time is a monotonic clock in milliseconds passed in.
 */
#ifndef K8S_TIMER_H
#define K8S_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct k8s_timer;
typedef void k8s_timer_fn(struct k8s_timer *timer);

struct k8s_timer {
    uint64_t when_ms;
    struct k8s_timer *prev, *next; /* NULL/NULL and not head: not armed */
    bool armed;
    k8s_timer_fn *cb;
    void *data;
};

struct k8s_timers {
    struct k8s_timer *head;
};

void k8s_timer_init(struct k8s_timer *t, k8s_timer_fn *cb, void *data);
/* Arms (or re-arms) t at absolute time when_ms. */
void k8s_timer_start(struct k8s_timers *set, struct k8s_timer *t, uint64_t when_ms);
void k8s_timer_stop(struct k8s_timers *set, struct k8s_timer *t);
/* Earliest deadline, or UINT64_MAX when no timer is armed. */
uint64_t k8s_timers_next(const struct k8s_timers *set);
/* Runs every timer due at now_ms; callbacks may arm or stop any timer. */
void k8s_timers_run(struct k8s_timers *set, uint64_t now_ms);
/* Disarms every timer without running it (the set is going away). */
void k8s_timers_clear(struct k8s_timers *set);
/* CLOCK_MONOTONIC in milliseconds. */
uint64_t k8s_now_ms(void);

#endif
