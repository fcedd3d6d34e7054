#include "k8s_timer.h"

#include <time.h>

void k8s_timer_init(struct k8s_timer *t, k8s_timer_fn *cb, void *data)
{
    t->when_ms = 0;
    t->prev = t->next = NULL;
    t->armed = false;
    t->cb = cb;
    t->data = data;
}

void k8s_timer_stop(struct k8s_timers *set, struct k8s_timer *t)
{
    if (!t->armed)
        return;
    if (t->prev)
        t->prev->next = t->next;
    else
        set->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
    t->armed = false;
}

void k8s_timer_start(struct k8s_timers *set, struct k8s_timer *t, uint64_t when_ms)
{
    k8s_timer_stop(set, t);
    t->when_ms = when_ms;
    struct k8s_timer *prev = NULL, *cur = set->head;
    while (cur && cur->when_ms <= when_ms) {
        prev = cur;
        cur = cur->next;
    }
    t->prev = prev;
    t->next = cur;
    if (prev)
        prev->next = t;
    else
        set->head = t;
    if (cur)
        cur->prev = t;
    t->armed = true;
}

uint64_t k8s_timers_next(const struct k8s_timers *set)
{
    return set->head ? set->head->when_ms : UINT64_MAX;
}

void k8s_timers_run(struct k8s_timers *set, uint64_t now_ms)
{
    /* Re-read the head each time: a callback may re-arm itself for later
     * or stop other timers. A timer re-armed at or before now would loop,
     * so callbacks must arm strictly in the future (all of ours do). */
    int budget = 1000;
    while (set->head && set->head->when_ms <= now_ms && budget-- > 0) {
        struct k8s_timer *t = set->head;
        k8s_timer_stop(set, t);
        t->cb(t);
    }
}

void k8s_timers_clear(struct k8s_timers *set)
{
    while (set->head)
        k8s_timer_stop(set, set->head);
}

uint64_t k8s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
