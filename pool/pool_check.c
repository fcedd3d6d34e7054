/*
 * pool_check.c: pool_set_check(), the invariant walker used by tests and the
 * fuzzer. Every check reads the records directly, independent of the counters
 * the rest of the core maintains, so a bookkeeping bug shows up here.
 */
#include "pool_internal.h"

#include <string.h>

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return false;                                                                          \
    } while (0)

static uint32_t list_len(const struct pool_link *head)
{
    uint32_t n = 0;
    for (const struct pool_link *l = head->next; l != head; l = l->next)
        n++;
    return n;
}

static bool check_pod(const struct pool *pool, const struct pool_pod *pod, uint32_t *timers)
{
    bool named = pod->state != POOL_POD_GONE && pod->state != POOL_POD_CREATING;
    REQUIRE(pod->pool == pool);
    REQUIRE(pod->indexed == named);
    if (named)
        REQUIRE(pod_name(pod)[0] && pool_index_find(&pool->pod_by_name, pod_name(pod)) == pod);
    else
        REQUIRE(pod_name(pod)[0] == '\0');
    size_t name_len = strnlen(pod->strs, POOL_POD_NAME_MAX + 1);
    REQUIRE(name_len <= POOL_POD_NAME_MAX && pod->address_at == name_len + 1);
    size_t address_len = strnlen(pod_address(pod), POOL_ADDR_MAX + 1);
    REQUIRE(address_len <= POOL_ADDR_MAX && pod->node_at == pod->address_at + address_len + 1);
    REQUIRE(strnlen(pod_node(pod), POOL_NODE_MAX + 1) <= POOL_NODE_MAX);
    bool timed = pod->state == POOL_POD_CREATING || pod->state == POOL_POD_STARTING ||
                 pod->state == POOL_POD_DRAINING;
    REQUIRE((pod->timer.pos != POOL_TIMER_IDLE) == timed);
    *timers += timed;
    if (pod->state == POOL_POD_BOUND)
        REQUIRE(pod->session && pod->session->pod == pod && pod->session->pool == pool);
    else
        REQUIRE(pod->session == NULL);
    return true;
}

static bool check_list_state(const struct pool_link *head, enum pool_pod_state state, uint32_t want)
{
    REQUIRE(list_len(head) == want);
    for (const struct pool_link *l = head->next; l != head; l = l->next)
        REQUIRE(CONTAINER_OF(l, struct pool_pod, link)->state == state);
    return true;
}

static bool check_pods(const struct pool *pool, uint32_t *timers)
{
    uint32_t counts[POOL_POD_STATE_COUNT] = {0};
    uint32_t named = 0;
    for (uint32_t i = 0; i < pool->cap_total; i++) {
        const struct pool_pod *pod = &pool->pods[i];
        REQUIRE((unsigned)pod->state < POOL_POD_STATE_COUNT);
        REQUIRE(check_pod(pool, pod, timers));
        counts[pod->state]++;
        named += pod->indexed;
    }
    REQUIRE(pool->counts[POOL_POD_GONE] == 0);
    for (int s = 1; s < POOL_POD_STATE_COUNT; s++)
        REQUIRE(counts[s] == pool->counts[s]);
    REQUIRE(pool->pod_by_name.count == named);
    REQUIRE(check_list_state(&pool->free_pods, POOL_POD_GONE, counts[POOL_POD_GONE]));
    REQUIRE(check_list_state(&pool->creating, POOL_POD_CREATING, counts[POOL_POD_CREATING]));
    REQUIRE(check_list_state(&pool->idle, POOL_POD_READY, counts[POOL_POD_READY]));
    return true;
}

static bool check_session(const struct pool *pool, const struct pool_session *s)
{
    const struct pool_set *set = pool->set;
    REQUIRE(s->pool == pool && s->pod && s->pod->session == s);
    REQUIRE(s->pod->state == POOL_POD_BOUND);
    REQUIRE(strlen(s->id) == POOL_SESSION_ID_LEN && strlen(s->token) == POOL_TOKEN_LEN);
    REQUIRE(pool_index_find(&set->session_by_id, s->id) == s);
    if (s->keyed)
        REQUIRE(pool_index_find(&pool->session_by_key, s->key) == s);
    if (s->requested)
        REQUIRE(pool_index_find(&pool->session_by_request, s->request_id) == s);
    REQUIRE(s->timer.pos != POOL_TIMER_IDLE);
    REQUIRE(s->timer.at ==
            (s->expires_at < s->idle_expires_at ? s->expires_at : s->idle_expires_at));
    return true;
}

static bool check_sessions(const struct pool *pool, uint32_t *timers)
{
    uint32_t n = 0, keyed = 0, requested = 0;
    const struct pool_link *head = &pool->live_sessions;
    for (const struct pool_link *l = head->next; l != head; l = l->next) {
        const struct pool_session *s = CONTAINER_OF(l, struct pool_session, link);
        REQUIRE(check_session(pool, s));
        n++;
        keyed += s->keyed;
        requested += s->requested;
    }
    REQUIRE(n == pool->nsessions && n == pool->counts[POOL_POD_BOUND]);
    REQUIRE(list_len(&pool->free_sessions) == pool->cap_total - n);
    REQUIRE(pool->session_by_key.count == keyed);
    REQUIRE(pool->session_by_request.count == requested);
    *timers += n;
    return true;
}

static bool check_waiters(const struct pool *pool, uint32_t *timers)
{
    uint32_t n = 0;
    const struct pool_link *head = &pool->queue;
    for (const struct pool_link *l = head->next; l != head; l = l->next) {
        const struct pool_waiter *w = CONTAINER_OF(l, struct pool_waiter, link);
        REQUIRE(w->queued && w->pool == pool && w->timer.pos != POOL_TIMER_IDLE);
        n++;
    }
    REQUIRE(n == pool->nwaiters && n <= pool->cap_waiters);
    REQUIRE(list_len(&pool->free_waiters) == pool->cap_waiters - n);
    /* Dispatch never leaves an idle pod and a waiter side by side, unless the
     * action ring was full and the work is pending. */
    if (!pool->sizing_pending)
        REQUIRE(n == 0 || pool->counts[POOL_POD_READY] == 0);
    *timers += n;
    return true;
}

static bool check_heap(const struct pool_heap *heap, uint32_t want)
{
    REQUIRE(heap->len == want && heap->len <= heap->cap);
    for (uint32_t i = 0; i < heap->len; i++) {
        REQUIRE(heap->items[i]->pos == i);
        if (i > 0)
            REQUIRE(heap->items[(i - 1) / 2]->at <= heap->items[i]->at);
    }
    return true;
}

enum pool_status pool_set_check(const struct pool_set *set)
{
    uint32_t timers = 0, sessions = 0, pending = 0;
    for (size_t i = 0; i < set->npools; i++) {
        const struct pool *pool = set->pools[i];
        if (!check_pods(pool, &timers) || !check_sessions(pool, &timers) ||
            !check_waiters(pool, &timers))
            return POOL_E_CORRUPT;
        bool sized = pool->config.sizing.policy != POOL_SIZING_FIXED;
        if ((pool->sizer.timer.pos != POOL_TIMER_IDLE) != sized)
            return POOL_E_CORRUPT;
        timers += sized;
        sessions += pool->nsessions;
        pending += pool->sizing_pending;
    }
    if (set->session_by_id.count != sessions || set->sizing_pending != pending ||
        set->ring_len > set->ring_cap || !check_heap(&set->timers, timers))
        return POOL_E_CORRUPT;
    return POOL_OK;
}
