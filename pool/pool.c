/*
 * pool.c: the pool set (registry of pools, set-wide session index, timer
 * heap, id generator, action ring) and read access. See pool.h for the
 * design and pool_internal.h for the record layouts.
 */
#include "pool_internal.h"

#include <stdlib.h>
#include <string.h>

const char *pool_status_str(enum pool_status status)
{
    switch (status) {
    case POOL_OK:
        return "ok";
    case POOL_E_INVALID:
        return "invalid argument";
    case POOL_E_TOO_LONG:
        return "string too long";
    case POOL_E_NOMEM:
        return "out of memory";
    case POOL_E_EXISTS:
        return "pool already exists";
    case POOL_E_NOT_FOUND:
        return "not found";
    case POOL_E_EMPTY:
        return "no idle backend";
    case POOL_E_WAITERS_FULL:
        return "too many waiting claims";
    case POOL_E_TTL:
        return "ttl above the pool maximum";
    case POOL_E_STATE:
        return "illegal pod state transition";
    case POOL_E_FULL:
        return "pool at max_total";
    case POOL_E_BUSY:
        return "action queue full";
    case POOL_E_CORRUPT:
        return "internal invariant broken";
    }
    return "unknown status";
}

const char *pool_pod_state_str(enum pool_pod_state state)
{
    static const char *const names[POOL_POD_STATE_COUNT] = {
        "gone", "creating", "starting", "ready", "bound", "draining",
    };
    return (unsigned)state < POOL_POD_STATE_COUNT ? names[state] : "unknown";
}

const char *pool_end_reason_str(enum pool_end_reason reason)
{
    switch (reason) {
    case POOL_END_RELEASED:
        return "released";
    case POOL_END_TTL:
        return "ttl_expired";
    case POOL_END_IDLE:
        return "idle_expired";
    case POOL_END_POD_DIED:
        return "pod_died";
    }
    return "unknown";
}

const char *pool_action_kind_str(enum pool_action_kind kind)
{
    switch (kind) {
    case POOL_ACT_CREATE_PODS:
        return "create_pods";
    case POOL_ACT_DELETE_POD:
        return "delete_pod";
    case POOL_ACT_RECORD_BINDING:
        return "record_binding";
    case POOL_ACT_WAITER_BOUND:
        return "waiter_bound";
    case POOL_ACT_WAITER_TIMED_OUT:
        return "waiter_timed_out";
    case POOL_ACT_SESSION_ENDED:
        return "session_ended";
    }
    return "unknown";
}

/* ---- small helpers shared by the pool files ---- */

bool pool__fits(const char *s, size_t max)
{
    return strnlen(s, max + 1) <= max;
}

void pool__copy(char *dst, const char *src, size_t max)
{
    size_t n = strnlen(src, max);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void pool__session_info(const struct pool_session *s, struct pool_session_info *out)
{
    const struct pool_pod *pod = s->pod;
    pool__copy(out->id, s->id, POOL_SESSION_ID_LEN);
    pool__copy(out->token, s->token, POOL_TOKEN_LEN);
    pool__copy(out->pool, s->pool->name, POOL_NAME_MAX);
    pool__copy(out->pod, pod_name(pod), POOL_POD_NAME_MAX);
    pool__copy(out->address, pod_address(pod), POOL_ADDR_MAX);
    pool__copy(out->node, pod_node(pod), POOL_NODE_MAX);
    pool__copy(out->key, s->keyed ? s->key : "", POOL_KEY_MAX);
    pool__copy(out->request_id, s->requested ? s->request_id : "", POOL_KEY_MAX);
    pool__copy(out->owner, s->owner, POOL_OWNER_MAX);
    out->claimed_at = s->claimed_at;
    out->expires_at = s->expires_at;
    out->last_keepalive = s->last_keepalive;
    out->idle_expires_at = s->idle_expires_at;
}

/* ---- action ring ---- */

bool pool__room(const struct pool_set *set, uint32_t n)
{
    return set->ring_cap - set->ring_len >= n;
}

/* Appends a cleared action; the caller checked pool__room() first. The ring
 * restarts at slot 0 whenever it empties, so a daemon that drains after every
 * call keeps reusing the same few slots (warm lines, one page). */
struct pool_queued *pool__push(struct pool *pool, enum pool_action_kind kind)
{
    struct pool_set *set = pool->set;
    struct pool_queued *q = &set->ring[(set->ring_head + set->ring_len) % set->ring_cap];
    set->ring_len++;
    q->kind = kind;
    q->reason = 0;
    q->outcome = 0;
    q->count = 0;
    q->pool = pool;
    q->waiter_data = NULL;
    q->waiter_id = 0;
    q->len = 0;
    q->has_session = false;
    return q;
}

static void queue_str(struct pool_queued *q, const char *src, size_t max)
{
    size_t n = strnlen(src, max);
    memcpy(q->strs + q->len, src, n);
    q->strs[q->len + n] = '\0';
    q->len = (uint16_t)(q->len + n + 1);
}

void pool__queue_pod(struct pool_queued *q, const char *pod)
{
    queue_str(q, pod, POOL_POD_NAME_MAX);
}

void pool__queue_session(struct pool_queued *q, const struct pool_session *s)
{
    const struct pool_pod *pod = s->pod;
    queue_str(q, pod_name(pod), POOL_POD_NAME_MAX);
    queue_str(q, s->id, POOL_SESSION_ID_LEN);
    queue_str(q, s->token, POOL_TOKEN_LEN);
    queue_str(q, pod_address(pod), POOL_ADDR_MAX);
    queue_str(q, pod_node(pod), POOL_NODE_MAX);
    queue_str(q, s->keyed ? s->key : "", POOL_KEY_MAX);
    queue_str(q, s->requested ? s->request_id : "", POOL_KEY_MAX);
    queue_str(q, s->owner, POOL_OWNER_MAX);
    q->claimed_at = s->claimed_at;
    q->expires_at = s->expires_at;
    q->last_keepalive = s->last_keepalive;
    q->idle_expires_at = s->idle_expires_at;
    q->has_session = true;
}

/* Copies the next packed string into dst (it fits: it was bounded when
 * queued) and returns the position after it. */
static const char *unqueue_str(const char *p, char *dst)
{
    size_t n = strlen(p);
    memcpy(dst, p, n + 1);
    return p + n + 1;
}

static void unpack(const struct pool_queued *q, struct pool_action *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = q->kind;
    out->pool = q->pool;
    memcpy(out->pool_name, q->pool->name, sizeof(out->pool_name));
    out->count = q->count;
    out->waiter_data = q->waiter_data;
    out->waiter_id = q->waiter_id;
    out->reason = q->reason;
    out->outcome = q->outcome;
    if (q->len == 0)
        return;
    const char *p = unqueue_str(q->strs, out->pod);
    if (!q->has_session)
        return;
    struct pool_session_info *si = &out->session;
    memcpy(si->pool, out->pool_name, sizeof(si->pool));
    memcpy(si->pod, out->pod, sizeof(si->pod));
    p = unqueue_str(p, si->id);
    p = unqueue_str(p, si->token);
    p = unqueue_str(p, si->address);
    p = unqueue_str(p, si->node);
    p = unqueue_str(p, si->key);
    p = unqueue_str(p, si->request_id);
    unqueue_str(p, si->owner);
    si->claimed_at = q->claimed_at;
    si->expires_at = q->expires_at;
    si->last_keepalive = q->last_keepalive;
    si->idle_expires_at = q->idle_expires_at;
}

bool pool_set_next_action(struct pool_set *set, struct pool_action *out)
{
    if (set->ring_len == 0)
        return false;
    unpack(&set->ring[set->ring_head], out);
    set->ring_head = (set->ring_head + 1) % set->ring_cap;
    if (--set->ring_len == 0)
        set->ring_head = 0;
    return true;
}

/* A bind takes 16 random bytes for the session id and 32 for the token. */
#define BIND_RANDOM_BYTES 48

void pool_set_prepare(struct pool_set *set)
{
    pool_rng_prepare(&set->rng, 2 * BIND_RANDOM_BYTES);
}

size_t pool_set_pending_actions(const struct pool_set *set)
{
    return set->ring_len;
}

/* ---- the set ---- */

enum pool_status pool_set_new(const uint8_t seed[POOL_SEED_LEN], uint32_t action_capacity,
                              struct pool_set **out)
{
    *out = NULL;
    if (!seed || action_capacity < 16 || action_capacity > (1u << 24))
        return POOL_E_INVALID;
    struct pool_set *set = calloc(1, sizeof(*set));
    if (!set)
        return POOL_E_NOMEM;
    pool_rng_init(&set->rng, seed);
    set->sipkey[0] = pool_rng_u64(&set->rng);
    set->sipkey[1] = pool_rng_u64(&set->rng);
    set->ring_cap = action_capacity;
    set->ring = calloc(action_capacity, sizeof(*set->ring));
    if (!set->ring)
        goto fail;
    pool_prefault(set->ring, (size_t)action_capacity * sizeof(*set->ring));
    if (!pool_index_init(&set->session_by_id, 0, offsetof(struct pool_session, id), set->sipkey))
        goto fail;
    *out = set;
    return POOL_OK;
fail:
    free(set->ring);
    free(set);
    return POOL_E_NOMEM;
}

static void pool_free(struct pool *pool)
{
    if (!pool)
        return;
    pool_index_free(&pool->pod_by_name);
    pool_index_free(&pool->session_by_key);
    pool_index_free(&pool->session_by_request);
    free(pool->pods);
    free(pool->sessions);
    free(pool->waiters);
    free(pool);
}

void pool_set_free(struct pool_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->npools; i++)
        pool_free(set->pools[i]);
    free(set->pools);
    pool_index_free(&set->session_by_id);
    pool_heap_free(&set->timers);
    free(set->ring);
    free(set);
}

#define POOL_LIMIT (1u << 24) /* max_total and max_waiters bound */

static enum pool_status check_config(const struct pool_config *c)
{
    if (!c || !c->name || !c->name[0])
        return POOL_E_INVALID;
    if (!pool__fits(c->name, POOL_NAME_MAX))
        return POOL_E_TOO_LONG;
    if (c->max_total < 1 || c->max_total > POOL_LIMIT || c->max_waiters > POOL_LIMIT)
        return POOL_E_INVALID;
    if (c->min_idle > c->max_idle || c->max_idle > c->max_total)
        return POOL_E_INVALID;
    if (c->default_ttl_s < 1 || c->default_ttl_s > c->max_ttl_s || c->start_timeout_s < 1)
        return POOL_E_INVALID;
    return pool__sizing_check_config(c) ? POOL_OK : POOL_E_INVALID;
}

static bool alloc_slabs(struct pool *pool)
{
    uint32_t n = pool->cap_total;
    pool->pods = calloc(n, sizeof(*pool->pods));
    pool->sessions = calloc(n, sizeof(*pool->sessions));
    pool->waiters = calloc(pool->cap_waiters ? pool->cap_waiters : 1, sizeof(*pool->waiters));
    if (!pool->pods || !pool->sessions || !pool->waiters)
        return false;
    const uint64_t *k = pool->set->sipkey;
    return pool_index_init(&pool->pod_by_name, n, offsetof(struct pool_pod, strs), k) &&
           pool_index_init(&pool->session_by_key, n, offsetof(struct pool_session, key), k) &&
           pool_index_init(&pool->session_by_request, n, offsetof(struct pool_session, request_id),
                           k);
}

static void init_lists(struct pool *pool)
{
    link_init(&pool->free_pods);
    link_init(&pool->creating);
    link_init(&pool->idle);
    link_init(&pool->free_sessions);
    link_init(&pool->live_sessions);
    link_init(&pool->free_waiters);
    link_init(&pool->queue);
    for (uint32_t i = 0; i < pool->cap_total; i++) {
        struct pool_pod *pod = &pool->pods[i];
        pod->pool = pool;
        pod->timer = (struct pool_timer){.pos = POOL_TIMER_IDLE, .kind = TIMER_POD};
        pool__pod_place(pod, "", "", "");
        link_append(&pool->free_pods, &pod->link);
        struct pool_session *s = &pool->sessions[i];
        s->pool = pool;
        s->timer = (struct pool_timer){.pos = POOL_TIMER_IDLE, .kind = TIMER_SESSION};
        link_append(&pool->free_sessions, &s->link);
    }
    for (uint32_t i = 0; i < pool->cap_waiters; i++) {
        struct pool_waiter *w = &pool->waiters[i];
        w->pool = pool;
        w->timer = (struct pool_timer){.pos = POOL_TIMER_IDLE, .kind = TIMER_WAITER};
        link_append(&pool->free_waiters, &w->link);
    }
}

/* Grows the set-wide structures for one more pool; all-or-nothing in effect
 * (a bigger index or heap than needed is harmless). */
static bool grow_set(struct pool_set *set, const struct pool *pool)
{
    uint64_t sessions = (uint64_t)set->session_capacity + pool->cap_total;
    /* Each pod, session and waiter has one timer; the pool one for sizing. */
    uint64_t timers = (uint64_t)set->timers.cap + 2ull * pool->cap_total + pool->cap_waiters + 1;
    if (sessions > UINT32_MAX / 4 || timers > UINT32_MAX / 4)
        return false;
    struct pool **pools = realloc(set->pools, (set->npools + 1) * sizeof(*pools));
    if (!pools)
        return false;
    set->pools = pools;
    if (!pool_index_resize(&set->session_by_id, (uint32_t)sessions) ||
        !pool_heap_reserve(&set->timers, (uint32_t)timers))
        return false;
    set->session_capacity = (uint32_t)sessions;
    return true;
}

enum pool_status pool_set_add(struct pool_set *set, const struct pool_config *config,
                              struct pool **out)
{
    if (out)
        *out = NULL;
    enum pool_status st = check_config(config);
    if (st != POOL_OK)
        return st;
    if (pool_set_find(set, config->name))
        return POOL_E_EXISTS;
    struct pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return POOL_E_NOMEM;
    pool->set = set;
    pool__copy(pool->name, config->name, POOL_NAME_MAX);
    pool->config = *config;
    pool->config.name = pool->name;
    pool->cap_total = config->max_total;
    pool->cap_waiters = config->max_waiters;
    if (!alloc_slabs(pool) || !grow_set(set, pool)) {
        pool_free(pool);
        return POOL_E_NOMEM;
    }
    init_lists(pool);
    pool__sizing_init(pool);
    set->pools[set->npools++] = pool;
    pool->sizing_pending = true; /* the first tick queues CREATE_PODS */
    set->sizing_pending++;
    if (out)
        *out = pool;
    return POOL_OK;
}

struct pool *pool_set_find(const struct pool_set *set, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < set->npools; i++)
        if (strcmp(set->pools[i]->name, name) == 0)
            return set->pools[i];
    return NULL;
}

size_t pool_set_count(const struct pool_set *set)
{
    return set->npools;
}

struct pool *pool_set_at(const struct pool_set *set, size_t index)
{
    return index < set->npools ? set->pools[index] : NULL;
}

enum pool_status pool_update_config(struct pool *pool, const struct pool_config *config,
                                    uint64_t now)
{
    enum pool_status st = check_config(config);
    if (st != POOL_OK)
        return st;
    if (strcmp(config->name, pool->name) != 0 || config->max_total > pool->cap_total ||
        config->max_waiters > pool->cap_waiters)
        return POOL_E_INVALID;
    struct pool_config old = pool->config;
    pool->config = *config;
    pool->config.name = pool->name;
    pool__sizing_reconfigure(pool, &old, now);
    pool__settle(pool, now);
    return POOL_OK;
}

/* ---- read access ---- */

const char *pool_name(const struct pool *pool)
{
    return pool->name;
}

void pool_get_config(const struct pool *pool, struct pool_config *out)
{
    *out = pool->config;
}

void pool_get_counts(const struct pool *pool, struct pool_counts *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < POOL_POD_STATE_COUNT; i++) {
        out->by_state[i] = pool->counts[i];
        out->live += pool->counts[i];
    }
    out->sessions = pool->nsessions;
    out->waiters = pool->nwaiters;
}

void pool_get_counters(const struct pool *pool, struct pool_counters *out)
{
    *out = pool->counters;
}

void pool_foreach_pod(const struct pool *pool, pool_pod_fn *fn, void *ctx)
{
    for (uint32_t i = 0; i < pool->cap_total; i++) {
        const struct pool_pod *pod = &pool->pods[i];
        if (pod->state == POOL_POD_GONE)
            continue;
        struct pool_pod_info info = {
            .name = pod_name(pod),
            .address = pod_address(pod),
            .node = pod_node(pod),
            .state = pod->state,
            .state_since = pod->state_since,
            .session_id = pod->session ? pod->session->id : NULL,
        };
        if (fn(ctx, &info))
            return;
    }
}

void pool_foreach_session(const struct pool *pool, pool_session_fn *fn, void *ctx)
{
    struct pool_session_info info;
    const struct pool_link *head = &pool->live_sessions;
    for (const struct pool_link *l = head->next; l != head; l = l->next) {
        pool__session_info(CONTAINER_OF(l, struct pool_session, link), &info);
        if (fn(ctx, &info))
            return;
    }
}
