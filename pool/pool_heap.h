/*
 * pool_heap: a binary min-heap of intrusive timers for the pool core.
 *
 * A record that needs a deadline embeds a struct pool_timer; the heap holds
 * pointers to those timers and each timer remembers its position, so arming,
 * moving and cancelling are O(log n) and allocate nothing. The array is sized
 * with pool_heap_reserve() when a pool is added (never on the claim path).
 * The heap never owns the records; a record must be removed before it is
 * reused or freed.
 *
 * Callers: pool.c and its siblings.
 */
#ifndef PREWARM_POOL_HEAP_H
#define PREWARM_POOL_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#define POOL_TIMER_IDLE UINT32_MAX /* pos of a timer not in the heap */

struct pool_timer {
    uint64_t at;
    uint32_t pos;
    uint8_t kind; /* owner type, interpreted by the user */
};

struct pool_heap {
    struct pool_timer **items; /* owned */
    uint32_t len;
    uint32_t cap;
};

bool pool_heap_reserve(struct pool_heap *heap, uint32_t cap);
void pool_heap_free(struct pool_heap *heap);

/* Arms t at `at` (inserts or moves it). The caller reserved room. */
void pool_heap_set(struct pool_heap *heap, struct pool_timer *t, uint64_t at);
void pool_heap_remove(struct pool_heap *heap, struct pool_timer *t);
struct pool_timer *pool_heap_top(const struct pool_heap *heap); /* NULL if empty */

#endif
