#include "pool_heap.h"

#include <stdlib.h>

#include "pool_prefault.h"

bool pool_heap_reserve(struct pool_heap *heap, uint32_t cap)
{
    if (cap <= heap->cap)
        return true;
    struct pool_timer **items = realloc(heap->items, (size_t)cap * sizeof(*items));
    if (!items)
        return false;
    pool_prefault(items + heap->cap, (size_t)(cap - heap->cap) * sizeof(*items));
    heap->items = items;
    heap->cap = cap;
    return true;
}

void pool_heap_free(struct pool_heap *heap)
{
    free(heap->items);
    heap->items = NULL;
    heap->len = heap->cap = 0;
}

static void put(struct pool_heap *heap, uint32_t pos, struct pool_timer *t)
{
    heap->items[pos] = t;
    t->pos = pos;
}

static void sift_up(struct pool_heap *heap, uint32_t pos)
{
    struct pool_timer *t = heap->items[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (heap->items[parent]->at <= t->at)
            break;
        put(heap, pos, heap->items[parent]);
        pos = parent;
    }
    put(heap, pos, t);
}

static void sift_down(struct pool_heap *heap, uint32_t pos)
{
    struct pool_timer *t = heap->items[pos];
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= heap->len)
            break;
        if (child + 1 < heap->len && heap->items[child + 1]->at < heap->items[child]->at)
            child++;
        if (t->at <= heap->items[child]->at)
            break;
        put(heap, pos, heap->items[child]);
        pos = child;
    }
    put(heap, pos, t);
}

void pool_heap_set(struct pool_heap *heap, struct pool_timer *t, uint64_t at)
{
    if (t->pos == POOL_TIMER_IDLE) {
        t->at = at;
        put(heap, heap->len++, t);
        sift_up(heap, t->pos);
        return;
    }
    uint64_t old = t->at;
    t->at = at;
    if (at < old)
        sift_up(heap, t->pos);
    else
        sift_down(heap, t->pos);
}

void pool_heap_remove(struct pool_heap *heap, struct pool_timer *t)
{
    if (t->pos == POOL_TIMER_IDLE)
        return;
    uint32_t pos = t->pos;
    struct pool_timer *last = heap->items[--heap->len];
    t->pos = POOL_TIMER_IDLE;
    if (last == t)
        return;
    put(heap, pos, last);
    sift_up(heap, pos);
    sift_down(heap, last->pos);
}

struct pool_timer *pool_heap_top(const struct pool_heap *heap)
{
    return heap->len ? heap->items[0] : NULL;
}
