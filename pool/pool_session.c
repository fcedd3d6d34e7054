/*
 * pool_session.c: claims, sessions, waiters and time (tick, deadlines).
 */
#include "pool_internal.h"

#include <string.h>

/* ---- sessions ---- */

static uint64_t session_deadline(const struct pool_session *s)
{
    return s->expires_at < s->idle_expires_at ? s->expires_at : s->idle_expires_at;
}

/* Past its TTL or idle deadline, whether or not tick has run since: such a
 * session is over and must not be kept alive or handed out again. */
static bool lapsed(const struct pool_session *s, uint64_t now)
{
    return now >= session_deadline(s);
}

static void touch(struct pool_session *s, uint64_t now)
{
    uint32_t idle = s->pool->config.idle_timeout_s;
    s->last_keepalive = now;
    s->idle_expires_at = idle ? deadline_after(now, idle) : UINT64_MAX;
    pool_heap_set(&s->pool->set->timers, &s->timer, session_deadline(s));
}

/* Returns the id's hash in the set's index. */
static uint64_t new_session_id(struct pool_set *set, struct pool_session *s)
{
    /* 128 random bits cannot be expected to collide; checking is cheap. */
    uint64_t hash;
    do {
        s->id[0] = 's';
        s->id[1] = '-';
        pool_rng_hex(&set->rng, s->id + 2, 16);
        hash = pool_index_hash(&set->session_by_id, s->id);
    } while (pool_index_find_hashed(&set->session_by_id, s->id, hash));
    pool_rng_hex(&set->rng, s->token, 32);
    return hash;
}

void pool__session_keys(struct pool_session *s, const char *key, const char *request_id)
{
    s->keyed = key[0] != '\0';
    s->requested = request_id[0] != '\0';
    if (s->keyed)
        pool__copy(s->key, key, POOL_KEY_MAX);
    if (s->requested)
        pool__copy(s->request_id, request_id, POOL_KEY_MAX);
}

/* Enters a bound session into the set's and its pool's indexes; id_hash is
 * its id's hash in the set's index. */
void pool__session_indexed(struct pool_session *s, uint64_t id_hash)
{
    struct pool *pool = s->pool;
    pool_index_insert_hashed(&pool->set->session_by_id, s, id_hash);
    if (s->keyed)
        pool_index_insert(&pool->session_by_key, s);
    if (s->requested)
        pool_index_insert(&pool->session_by_request, s);
    pool->nsessions++;
}

/* Binds an idle pod to a new session. Emits nothing; the caller does. */
static struct pool_session *bind(struct pool *pool, struct pool_pod *pod, const char *key,
                                 const char *request_id, const char *owner, uint32_t ttl,
                                 uint64_t now)
{
    struct pool_set *set = pool->set;
    struct pool_session *s = CONTAINER_OF(pool->free_sessions.next, struct pool_session, link);
    link_remove(&s->link);
    link_append(&pool->live_sessions, &s->link);
    uint64_t id_hash = new_session_id(set, s);
    pool__session_keys(s, key, request_id);
    pool__copy(s->owner, owner, POOL_OWNER_MAX);
    s->pod = pod;
    pod->session = s;
    pool__transition(pod, POOL_POD_BOUND, now);
    s->claimed_at = now;
    s->expires_at = deadline_after(now, ttl);
    touch(s, now);
    pool__session_indexed(s, id_hash);
    return s;
}

static void emit_binding(struct pool_session *s)
{
    pool__queue_session(pool__push(s->pool, POOL_ACT_RECORD_BINDING), s);
}

static void count_end(struct pool_counters *c, enum pool_end_reason reason)
{
    switch (reason) {
    case POOL_END_RELEASED:
        c->released++;
        break;
    case POOL_END_TTL:
        c->expired++;
        c->expired_ttl++;
        break;
    case POOL_END_IDLE:
        c->expired++;
        c->expired_idle++;
        break;
    case POOL_END_POD_DIED:
        c->pod_died_bound++;
        break;
    }
}

/* Ends a session; the caller made room for two actions (SESSION_ENDED and
 * DELETE_POD). A pod that died goes GONE, any other goes DRAINING. */
void pool__end_session(struct pool_session *s, enum pool_end_reason reason, uint64_t now)
{
    struct pool *pool = s->pool;
    struct pool_set *set = pool->set;
    struct pool_pod *pod = s->pod;
    struct pool_queued *a = pool__push(pool, POOL_ACT_SESSION_ENDED);
    a->reason = reason;
    pool__queue_session(a, s);
    count_end(&pool->counters, reason);
    pool_index_remove(&set->session_by_id, s);
    if (s->keyed)
        pool_index_remove(&pool->session_by_key, s);
    if (s->requested)
        pool_index_remove(&pool->session_by_request, s);
    pool_heap_remove(&set->timers, &s->timer);
    link_remove(&s->link);
    link_push(&pool->free_sessions, &s->link); /* reused first: its lines are warm */
    pool->nsessions--;
    s->pod = NULL;
    s->id[0] = s->token[0] = s->owner[0] = '\0';
    if (s->keyed)
        s->key[0] = '\0';
    if (s->requested)
        s->request_id[0] = '\0';
    s->keyed = s->requested = false;
    pod->session = NULL;
    pool__transition(pod, reason == POOL_END_POD_DIED ? POOL_POD_GONE : POOL_POD_DRAINING, now);
    pool__settle(pool, now);
}

void pool__session_timer(struct pool_session *s, uint64_t now)
{
    pool__end_session(s, now >= s->expires_at ? POOL_END_TTL : POOL_END_IDLE, now);
}

/* Session id strings longer than an id cannot name a session. */
static struct pool_session *find_session(const struct pool_set *set, const char *id)
{
    if (!id || !pool__fits(id, POOL_SESSION_ID_LEN))
        return NULL;
    return pool_index_find(&set->session_by_id, id);
}

enum pool_status pool_set_release(struct pool_set *set, const char *session_id, uint64_t now)
{
    struct pool_session *s = find_session(set, session_id);
    if (!s)
        return POOL_E_NOT_FOUND;
    if (!pool__room(set, 2))
        return POOL_E_BUSY;
    pool__end_session(s, POOL_END_RELEASED, now);
    return POOL_OK;
}

enum pool_status pool_set_keepalive(struct pool_set *set, const char *session_id, uint64_t now,
                                    struct pool_session_info *out)
{
    struct pool_session *s = find_session(set, session_id);
    if (!s)
        return POOL_E_NOT_FOUND;
    if (lapsed(s, now)) {
        if (!pool__room(set, 2))
            return POOL_E_BUSY;
        pool__session_timer(s, now); /* what tick would do */
        return POOL_E_NOT_FOUND;
    }
    touch(s, now);
    if (out)
        pool__session_info(s, out);
    return POOL_OK;
}

enum pool_status pool_set_session(const struct pool_set *set, const char *session_id,
                                  struct pool_session_info *out)
{
    const struct pool_session *s = find_session(set, session_id);
    if (!s)
        return POOL_E_NOT_FOUND;
    pool__session_info(s, out);
    return POOL_OK;
}

/* ---- waiters ---- */

static void free_waiter(struct pool_waiter *w)
{
    struct pool *pool = w->pool;
    link_remove(&w->link);
    link_append(&pool->free_waiters, &w->link);
    pool_heap_remove(&pool->set->timers, &w->timer);
    w->queued = false;
    w->data = NULL;
    pool->nwaiters--;
}

static uint64_t waiter_id(const struct pool_waiter *w)
{
    return (uint64_t)w->generation << 32 | (uint64_t)(w - w->pool->waiters);
}

static uint64_t enqueue(struct pool *pool, const struct pool_claim_request *req, const char *key,
                        const char *request_id, uint32_t ttl)
{
    struct pool_waiter *w = CONTAINER_OF(pool->free_waiters.next, struct pool_waiter, link);
    link_remove(&w->link);
    link_append(&pool->queue, &w->link);
    w->generation++;
    w->queued = true;
    w->data = req->waiter_data;
    w->ttl_seconds = ttl;
    pool__copy(w->key, key, POOL_KEY_MAX);
    pool__copy(w->request_id, request_id, POOL_KEY_MAX);
    pool__copy(w->owner, req->owner ? req->owner : "", POOL_OWNER_MAX);
    pool_heap_set(&pool->set->timers, &w->timer, req->wait_until);
    pool->nwaiters++;
    return waiter_id(w);
}

enum pool_status pool_cancel_waiter(struct pool *pool, uint64_t id)
{
    uint64_t slot = id & 0xffffffffu;
    if (slot >= pool->cap_waiters)
        return POOL_E_NOT_FOUND;
    struct pool_waiter *w = &pool->waiters[slot];
    if (!w->queued || w->generation != (uint32_t)(id >> 32))
        return POOL_E_NOT_FOUND;
    free_waiter(w);
    pool->counters.waiters_cancelled++;
    return POOL_OK;
}

void pool__waiter_timer(struct pool_waiter *w, uint64_t now)
{
    struct pool *pool = w->pool;
    struct pool_queued *a = pool__push(pool, POOL_ACT_WAITER_TIMED_OUT);
    a->waiter_data = w->data;
    a->waiter_id = waiter_id(w);
    pool->counters.waiters_timed_out++;
    free_waiter(w);
    pool__settle(pool, now);
}

/* A live session the waiter's request id or key already names, if any. */
static struct pool_session *existing(struct pool *pool, const struct pool_waiter *w, bool *replay)
{
    struct pool_session *s = NULL;
    *replay = false;
    if (w->request_id[0] && (s = pool_index_find(&pool->session_by_request, w->request_id))) {
        *replay = true;
        return s;
    }
    if (w->key[0])
        s = pool_index_find(&pool->session_by_key, w->key);
    return s;
}

static void answer(struct pool_waiter *w, struct pool_session *s, enum pool_claim_outcome outcome)
{
    struct pool_queued *a = pool__push(w->pool, POOL_ACT_WAITER_BOUND);
    a->outcome = outcome;
    a->waiter_data = w->data;
    a->waiter_id = waiter_id(w);
    pool__queue_session(a, s);
    free_waiter(w);
}

/* Binds queued waiters, oldest first, to idle pods (oldest first). Returns
 * false when the action ring ran out of room with work left. */
bool pool__dispatch(struct pool *pool, uint64_t now)
{
    while (!link_empty(&pool->queue)) {
        struct pool_waiter *w = CONTAINER_OF(pool->queue.next, struct pool_waiter, link);
        bool replay;
        struct pool_session *s = existing(pool, w, &replay);
        if (s && lapsed(s, now))
            return false; /* pending: tick ends the session first */
        if (s) {
            if (!pool__room(pool->set, 1))
                return false;
            if (replay) {
                pool->counters.idempotent_replay++;
            } else {
                pool->counters.key_reused++;
                touch(s, now); /* key reuse counts as a keepalive */
            }
            answer(w, s, replay ? POOL_CLAIM_REPLAYED : POOL_CLAIM_KEY_REUSED);
            continue;
        }
        if (link_empty(&pool->idle))
            return true;
        if (!pool__room(pool->set, 2))
            return false;
        struct pool_pod *pod = CONTAINER_OF(pool->idle.next, struct pool_pod, link);
        s = bind(pool, pod, w->key, w->request_id, w->owner, w->ttl_seconds, now);
        pool->counters.waiters_bound++;
        answer(w, s, POOL_CLAIM_BOUND);
        emit_binding(s);
    }
    return true;
}

/* ---- claim ---- */

static enum pool_status check_claim(const struct pool *pool, const struct pool_claim_request *req,
                                    uint32_t *ttl)
{
    if (!req)
        return POOL_E_INVALID;
    if ((req->key && !pool__fits(req->key, POOL_KEY_MAX)) ||
        (req->request_id && !pool__fits(req->request_id, POOL_KEY_MAX)) ||
        (req->owner && !pool__fits(req->owner, POOL_OWNER_MAX)))
        return POOL_E_TOO_LONG;
    *ttl = req->ttl_seconds ? req->ttl_seconds : pool->config.default_ttl_s;
    return *ttl > pool->config.max_ttl_s ? POOL_E_TTL : POOL_OK;
}

/* Returns POOL_OK (a live session answers the claim), POOL_E_NOT_FOUND (claim
 * afresh; a lapsed session the claim named has been ended) or POOL_E_BUSY. */
static enum pool_status reuse(struct pool *pool, const char *key, const char *request_id,
                              uint64_t now, struct pool_claim_result *out)
{
    struct pool_session *s = NULL;
    if (request_id[0])
        s = pool_index_find(&pool->session_by_request, request_id);
    if (!s && key[0])
        s = pool_index_find(&pool->session_by_key, key);
    if (s && lapsed(s, now)) {
        if (!pool__room(pool->set, 2))
            return POOL_E_BUSY;
        pool__session_timer(s, now);
        return reuse(pool, key, request_id, now, out); /* the other index may name one */
    }
    if (request_id[0] && (s = pool_index_find(&pool->session_by_request, request_id))) {
        pool->counters.idempotent_replay++;
        out->outcome = POOL_CLAIM_REPLAYED;
    } else if (key[0] && (s = pool_index_find(&pool->session_by_key, key))) {
        pool->counters.key_reused++;
        touch(s, now);
        out->outcome = POOL_CLAIM_KEY_REUSED;
    } else {
        return POOL_E_NOT_FOUND;
    }
    pool__session_info(s, &out->session);
    return POOL_OK;
}

static enum pool_status wait_or_fail(struct pool *pool, const struct pool_claim_request *req,
                                     const char *key, const char *request_id, uint32_t ttl,
                                     uint64_t now, struct pool_claim_result *out)
{
    pool__sizing_arrival(pool, now);
    if (req->wait_until <= now || pool->config.max_waiters == 0) {
        pool->counters.claims_empty++;
        pool__settle(pool, now); /* the arrival may have raised the target */
        return POOL_E_EMPTY;
    }
    if (pool->nwaiters >= pool->config.max_waiters) {
        pool->counters.claims_empty++;
        pool__settle(pool, now);
        return POOL_E_WAITERS_FULL;
    }
    out->outcome = POOL_CLAIM_QUEUED;
    out->waiter_id = enqueue(pool, req, key, request_id, ttl);
    pool->counters.claims_queued++;
    pool__settle(pool, now); /* a waiter is demand: maybe create a pod */
    return POOL_OK;
}

enum pool_status pool_claim(struct pool *pool, const struct pool_claim_request *req, uint64_t now,
                            struct pool_claim_result *out)
{
    uint32_t ttl;
    enum pool_status st = check_claim(pool, req, &ttl);
    if (st != POOL_OK)
        return st;
    const char *key = req->key ? req->key : "";
    const char *request_id = req->request_id ? req->request_id : "";
    out->waiter_id = 0;
    st = reuse(pool, key, request_id, now, out);
    if (st != POOL_E_NOT_FOUND)
        return st;
    /* Queued waiters come first: an idle pod with waiters is theirs. */
    if (link_empty(&pool->idle) || pool->nwaiters > 0)
        return wait_or_fail(pool, req, key, request_id, ttl, now, out);
    if (!pool__room(pool->set, 1))
        return POOL_E_BUSY;
    struct pool_pod *pod = CONTAINER_OF(pool->idle.next, struct pool_pod, link);
    struct pool_session *s =
        bind(pool, pod, key, request_id, req->owner ? req->owner : "", ttl, now);
    pool->counters.claims_bound++;
    out->outcome = POOL_CLAIM_BOUND;
    pool__session_info(s, &out->session);
    emit_binding(s);
    pool__sizing_arrival(pool, now);
    pool__settle(pool, now);
    return POOL_OK;
}

/* ---- time ---- */

static void fire(struct pool_timer *t, uint64_t now)
{
    switch (t->kind) {
    case TIMER_POD:
        pool__pod_timer(CONTAINER_OF(t, struct pool_pod, timer), now);
        break;
    case TIMER_SESSION:
        pool__session_timer(CONTAINER_OF(t, struct pool_session, timer), now);
        break;
    case TIMER_WAITER:
        pool__waiter_timer(CONTAINER_OF(t, struct pool_waiter, timer), now);
        break;
    case TIMER_SIZING:
        pool__sizing_timer(CONTAINER_OF(t, struct pool, sizer.timer), now);
        break;
    }
}

void pool_set_tick(struct pool_set *set, uint64_t now)
{
    /* Bounded so a timer re-armed at a saturated deadline cannot spin. */
    uint32_t budget = set->timers.len + 1;
    struct pool_timer *t;
    while (budget-- > 0 && (t = pool_heap_top(&set->timers)) && t->at <= now) {
        if (!pool__room(set, 2))
            return;
        fire(t, now);
    }
    for (size_t i = 0; i < set->npools && set->sizing_pending; i++)
        if (set->pools[i]->sizing_pending)
            pool__settle(set->pools[i], now);
}

uint64_t pool_set_next_deadline(const struct pool_set *set)
{
    if (set->sizing_pending)
        return 0;
    const struct pool_timer *t = pool_heap_top(&set->timers);
    return t ? t->at : UINT64_MAX;
}
