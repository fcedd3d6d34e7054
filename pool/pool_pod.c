/*
 * pool_pod.c: pod states (the one transition function and its table),
 * provider observations, and sizing.
 */
#include "pool_internal.h"

#include <string.h>

#define G POOL_POD_GONE
#define C POOL_POD_CREATING
#define S POOL_POD_STARTING
#define R POOL_POD_READY
#define B POOL_POD_BOUND
#define D POOL_POD_DRAINING

/* legal[from][to]: the only pod state changes there are. */
static const bool legal[POOL_POD_STATE_COUNT][POOL_POD_STATE_COUNT] = {
    /*            G  C  S  R  B  D */
    [G] = {[C] = 1, [S] = 1, [R] = 1},          /* sizing, adoption */
    [C] = {[G] = 1, [S] = 1, [R] = 1},          /* create failed/timeout, observed */
    [S] = {[G] = 1, [R] = 1, [D] = 1},          /* died, Ready, start timeout */
    [R] = {[G] = 1, [S] = 1, [B] = 1, [D] = 1}, /* died, unready, claim, surplus */
    [B] = {[G] = 1, [D] = 1},                   /* died, session ended */
    [D] = {[G] = 1},                            /* provider confirmed */
};

static void leave(struct pool_pod *pod)
{
    switch (pod->state) {
    case G:
    case C:
    case R:
        link_remove(&pod->link); /* free, creating or idle list */
        break;
    default:
        break;
    }
    pool_heap_remove(&pod->pool->set->timers, &pod->timer);
}

static void emit_delete(struct pool_pod *pod)
{
    pool__queue_pod(pool__push(pod->pool, POOL_ACT_DELETE_POD), pod_name(pod));
}

static void enter(struct pool_pod *pod, uint64_t now)
{
    struct pool *pool = pod->pool;
    uint64_t start_deadline = deadline_after(now, pool->config.start_timeout_s);
    switch (pod->state) {
    case G:
        if (pod->indexed)
            pool_index_remove(&pool->pod_by_name, pod);
        pod->indexed = false;
        pool__pod_place(pod, "", "", "");
        pod->session = NULL;
        link_push(&pool->free_pods, &pod->link); /* reused first: warm lines */
        break;
    case C:
        link_append(&pool->creating, &pod->link);
        pool_heap_set(&pool->set->timers, &pod->timer, start_deadline);
        break;
    case S:
        pool_heap_set(&pool->set->timers, &pod->timer, start_deadline);
        break;
    case R:
        link_append(&pool->idle, &pod->link);
        break;
    case B:
        break;
    case D:
        /* The caller made room for this action. Redelivered until GONE. */
        emit_delete(pod);
        pool->counters.pods_deleted++;
        pool_heap_set(&pool->set->timers, &pod->timer, start_deadline);
        break;
    }
}

enum pool_status pool__transition(struct pool_pod *pod, enum pool_pod_state to, uint64_t now)
{
    struct pool *pool = pod->pool;
    enum pool_pod_state from = pod->state;
    if (!legal[from][to]) {
        pool->counters.illegal_transitions++;
        return POOL_E_STATE;
    }
    leave(pod);
    if (from != G)
        pool->counts[from]--;
    if (to == C)
        pod->created_at = now;
    if (to == R)
        pool__sizing_ready(pool, pod->created_at, now);
    if (to != C && to != S)
        pod->created_at = 0; /* one lead-time sample per create */
    pod->state = to;
    pod->state_since = now;
    if (to != G)
        pool->counts[to]++;
    enter(pod, now);
    return POOL_OK;
}

/* A pod's deadline passed: stuck CREATING/STARTING, or DRAINING without a
 * GONE report. The caller (tick) made room for one action. */
void pool__pod_timer(struct pool_pod *pod, uint64_t now)
{
    struct pool *pool = pod->pool;
    switch (pod->state) {
    case C:
        pool->counters.start_timeouts++;
        pool__transition(pod, G, now);
        break;
    case S:
        pool->counters.start_timeouts++;
        pool__transition(pod, D, now);
        break;
    case D:
        emit_delete(pod);
        pool_heap_set(&pool->set->timers, &pod->timer,
                      deadline_after(now, pool->config.start_timeout_s));
        break;
    default:
        break;
    }
    pool__settle(pool, now);
}

/* ---- sizing ---- */

static uint32_t live_pods(const struct pool *pool)
{
    return pool->counts[C] + pool->counts[S] + pool->counts[R] + pool->counts[B] + pool->counts[D];
}

/* Returns the queued CREATE_PODS action of this pool if it is the newest
 * action, so consecutive requests merge into one. */
static struct pool_queued *last_create(struct pool *pool)
{
    struct pool_set *set = pool->set;
    if (set->ring_len == 0)
        return NULL;
    struct pool_queued *a = &set->ring[(set->ring_head + set->ring_len - 1) % set->ring_cap];
    return (a->kind == POOL_ACT_CREATE_PODS && a->pool == pool) ? a : NULL;
}

static bool grow(struct pool *pool, uint64_t now)
{
    uint64_t supply = (uint64_t)pool->counts[R] + pool->counts[S] + pool->counts[C];
    uint64_t demand = (uint64_t)pool__sizing_target(pool) + pool->nwaiters;
    uint32_t live = live_pods(pool), cap = pool__sizing_cap(pool);
    if (supply >= demand || live >= cap)
        return true;
    uint64_t n = demand - supply;
    if (n > cap - live)
        n = cap - live;
    struct pool_queued *a = last_create(pool);
    if (!a) {
        if (!pool__room(pool->set, 1))
            return false;
        a = pool__push(pool, POOL_ACT_CREATE_PODS);
    }
    for (uint64_t i = 0; i < n; i++) {
        struct pool_pod *pod = CONTAINER_OF(pool->free_pods.next, struct pool_pod, link);
        pool__transition(pod, C, now);
    }
    a->count += (uint32_t)n;
    pool->counters.pods_requested += n;
    return true;
}

static bool surplus(const struct pool *pool)
{
    uint32_t idle = pool->counts[R];
    uint64_t supply = (uint64_t)idle + pool->counts[S] + pool->counts[C];
    return idle > pool->config.max_idle || (idle > 0 && supply > pool__sizing_keep(pool));
}

static bool shrink(struct pool *pool, uint64_t now)
{
    while (surplus(pool)) {
        if (!pool__room(pool->set, 1))
            return false;
        struct pool_pod *pod = CONTAINER_OF(pool->idle.prev, struct pool_pod, link);
        pool__transition(pod, D, now);
    }
    return true;
}

/* After every event: bind waiters to idle pods, then size the pool. What the
 * action ring cannot take now is left pending for the next tick. */
void pool__settle(struct pool *pool, uint64_t now)
{
    bool done = pool__dispatch(pool, now) && grow(pool, now) && shrink(pool, now);
    if (done == !pool->sizing_pending)
        return;
    pool->sizing_pending = !done;
    if (done)
        pool->set->sizing_pending--;
    else
        pool->set->sizing_pending++;
}

/* ---- observations ---- */

static enum pool_status check_obs(const struct pool_pod_obs *obs)
{
    if (!obs || !obs->name || !obs->name[0])
        return POOL_E_INVALID;
    if (!pool__fits(obs->name, POOL_POD_NAME_MAX) ||
        (obs->address && !pool__fits(obs->address, POOL_ADDR_MAX)) ||
        (obs->node && !pool__fits(obs->node, POOL_NODE_MAX)))
        return POOL_E_TOO_LONG;
    return POOL_OK;
}

/* Rewrites strs: name, then address, then node, each NUL-terminated. The
 * kept values are saved first, since the ones before them may change length. */
void pool__pod_place(struct pool_pod *pod, const char *name, const char *address, const char *node)
{
    char address_kept[POOL_ADDR_MAX + 1], node_kept[POOL_NODE_MAX + 1];
    if (!address) {
        pool__copy(address_kept, pod_address(pod), POOL_ADDR_MAX);
        address = address_kept;
    }
    if (!node) {
        pool__copy(node_kept, pod_node(pod), POOL_NODE_MAX);
        node = node_kept;
    }
    size_t at = name ? strnlen(name, POOL_POD_NAME_MAX) : strlen(pod->strs);
    if (name)
        memcpy(pod->strs, name, at);
    pod->strs[at++] = '\0';
    size_t n = strnlen(address, POOL_ADDR_MAX);
    pod->address_at = (uint16_t)at;
    memcpy(pod->strs + at, address, n);
    pod->strs[at + n] = '\0';
    at += n + 1;
    n = strnlen(node, POOL_NODE_MAX);
    pod->node_at = (uint16_t)at;
    memcpy(pod->strs + at, node, n);
    pod->strs[at + n] = '\0';
}

static void update_place(struct pool_pod *pod, const struct pool_pod_obs *obs)
{
    if (obs->address || obs->node)
        pool__pod_place(pod, NULL, obs->address, obs->node);
}

/* A pod we did not know: take the oldest CREATING record, or a free one while
 * under max_total; otherwise ask for its deletion. */
static enum pool_status adopt(struct pool *pool, enum pool_pod_state to,
                              const struct pool_pod_obs *obs, uint64_t now)
{
    struct pool_pod *pod;
    if (!link_empty(&pool->creating)) {
        pod = CONTAINER_OF(pool->creating.next, struct pool_pod, link);
    } else if (live_pods(pool) < pool->config.max_total) {
        pod = CONTAINER_OF(pool->free_pods.next, struct pool_pod, link);
    } else {
        pool__queue_pod(pool__push(pool, POOL_ACT_DELETE_POD), obs->name);
        pool->counters.pods_deleted++;
        return POOL_E_FULL;
    }
    pool__pod_place(pod, obs->name, obs->address ? obs->address : "", obs->node ? obs->node : "");
    pool_index_insert(&pool->pod_by_name, pod);
    pod->indexed = true;
    return pool__transition(pod, to, now);
}

static enum pool_status observe_gone(struct pool_pod *pod, uint64_t now)
{
    if (pod->state == B) {
        pool__end_session(pod->session, POOL_END_POD_DIED, now);
        return POOL_OK;
    }
    return pool__transition(pod, G, now);
}

enum pool_status pool_observe(struct pool *pool, enum pool_obs what, const struct pool_pod_obs *obs,
                              uint64_t now)
{
    enum pool_status st = check_obs(obs);
    if (st != POOL_OK)
        return st;
    if (what != POOL_OBS_STARTING && what != POOL_OBS_READY && what != POOL_OBS_GONE)
        return POOL_E_INVALID;
    /* The most any observation emits directly: SESSION_ENDED or DELETE_POD. */
    if (!pool__room(pool->set, 1))
        return POOL_E_BUSY;
    struct pool_pod *pod = pool_index_find(&pool->pod_by_name, obs->name);
    if (what == POOL_OBS_GONE) {
        if (!pod)
            return POOL_E_NOT_FOUND;
        st = observe_gone(pod, now);
    } else {
        enum pool_pod_state to = what == POOL_OBS_READY ? R : S;
        if (!pod) {
            st = adopt(pool, to, obs, now);
        } else if (pod->state == to || pod->state == B) {
            update_place(pod, obs);
        } else if ((st = pool__transition(pod, to, now)) == POOL_OK) {
            update_place(pod, obs);
        }
    }
    pool__settle(pool, now);
    return st;
}

enum pool_status pool_pods_create_failed(struct pool *pool, uint32_t count, uint64_t now)
{
    for (uint32_t i = 0; i < count && !link_empty(&pool->creating); i++) {
        struct pool_pod *pod = CONTAINER_OF(pool->creating.next, struct pool_pod, link);
        pool__transition(pod, G, now);
    }
    pool__settle(pool, now);
    return POOL_OK;
}

#undef G
#undef C
#undef S
#undef R
#undef B
#undef D
