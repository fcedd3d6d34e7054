/*
 * pool_internal: record layouts and cross-file helpers of the pool core.
 * Only the .c files of pool/ include this; everyone else uses pool.h.
 *
 * Files: pool.c (set, pools, action ring, read access), pool_pod.c (the pod
 * transition table, provider observations, sizing), pool_session.c (claims,
 * sessions, waiters, tick), pool_sizing.c (the sizing policies). Cross-file
 * helpers are named pool__*.
 */
#ifndef PREWARM_POOL_INTERNAL_H
#define PREWARM_POOL_INTERNAL_H

#include "pool.h"
#include "pool_heap.h"
#include "pool_index.h"
#include "pool_rng.h"
#include "pool_sizing.h"

#define NS_PER_S 1000000000ull

/* Circular doubly linked list with a sentinel head. */
struct pool_link {
    struct pool_link *prev;
    struct pool_link *next;
};

#define CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static inline void link_init(struct pool_link *head)
{
    head->prev = head->next = head;
}

static inline bool link_empty(const struct pool_link *head)
{
    return head->next == head;
}

static inline void link_append(struct pool_link *head, struct pool_link *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

static inline void link_remove(struct pool_link *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->prev = l->next = l;
}

/* now + seconds, saturating (callers may pass any now). */
static inline uint64_t deadline_after(uint64_t now, uint32_t seconds)
{
    uint64_t d = (uint64_t)seconds * NS_PER_S;
    return now > UINT64_MAX - d ? UINT64_MAX : now + d;
}

enum timer_kind {
    TIMER_POD = 1,
    TIMER_SESSION,
    TIMER_WAITER,
    TIMER_SIZING,
};

struct pool_pod {
    char name[POOL_POD_NAME_MAX + 1]; /* index key; "" while CREATING */
    struct pool_link link;            /* free, creating or idle list */
    struct pool_timer timer;          /* start deadline / delete redelivery */
    struct pool *pool;
    struct pool_session *session; /* BOUND only */
    enum pool_pod_state state;
    bool indexed; /* in pool->pod_by_name */
    uint64_t state_since;
    uint64_t created_at; /* CREATE_PODS issued; 0 = adopted or already Ready */
    char address[POOL_ADDR_MAX + 1];
    char node[POOL_NODE_MAX + 1];
};

struct pool_session {
    char id[POOL_SESSION_ID_LEN + 1]; /* set index key */
    char key[POOL_KEY_MAX + 1];       /* pool index key, "" = none */
    char request_id[POOL_KEY_MAX + 1];
    char token[POOL_TOKEN_LEN + 1];
    struct pool_link link;   /* live or free list */
    struct pool_timer timer; /* min(expires_at, idle_expires_at) */
    struct pool *pool;
    struct pool_pod *pod;
    uint64_t claimed_at;
    uint64_t expires_at;
    uint64_t last_keepalive;
    uint64_t idle_expires_at;
    char owner[POOL_OWNER_MAX + 1]; /* cold: copied out, never indexed */
};

/* Key/request id records for the two per-pool indexes point at the session;
 * the indexes are keyed at different offsets of the same record, so each
 * index is built with its own key_off. */

struct pool_waiter {
    struct pool_link link; /* queue or free list */
    struct pool_timer timer;
    struct pool *pool;
    void *data;
    uint32_t generation;
    bool queued;
    uint32_t ttl_seconds;
    char key[POOL_KEY_MAX + 1];
    char request_id[POOL_KEY_MAX + 1];
    char owner[POOL_OWNER_MAX + 1];
};

struct pool {
    struct pool_set *set;
    char name[POOL_NAME_MAX + 1];
    struct pool_config config; /* config.name points at name */
    uint32_t cap_total;        /* slab sizes fixed at add time */
    uint32_t cap_waiters;
    struct pool_pod *pods;
    struct pool_session *sessions;
    struct pool_waiter *waiters;
    struct pool_link free_pods;
    struct pool_link creating; /* CREATING pods, oldest first */
    struct pool_link idle;     /* READY pods, oldest first */
    struct pool_link free_sessions;
    struct pool_link live_sessions; /* claim order */
    struct pool_link free_waiters;
    struct pool_link queue; /* waiters, oldest first */
    uint32_t counts[POOL_POD_STATE_COUNT];
    uint32_t nwaiters;
    uint32_t nsessions;
    bool sizing_pending;
    struct pool_index pod_by_name;
    struct pool_index session_by_key;
    struct pool_index session_by_request;
    struct pool_counters counters;
    struct pool_sizer sizer;
};

struct pool_set {
    struct pool **pools;
    size_t npools;
    struct pool_index session_by_id;
    uint32_t session_capacity; /* sum of cap_total */
    struct pool_heap timers;
    struct pool_rng rng;
    uint64_t sipkey[2];
    struct pool_action *ring;
    uint32_t ring_cap;
    uint32_t ring_head;
    uint32_t ring_len;
    uint32_t sizing_pending; /* pools with sizing_pending set */
    int64_t wall_offset;     /* UTC ns = now + wall_offset */
};

/* pool.c */
bool pool__room(const struct pool_set *set, uint32_t n);
struct pool_action *pool__push(struct pool *pool, enum pool_action_kind kind);
void pool__copy(char *dst, const char *src, size_t max); /* src known to fit */
bool pool__fits(const char *s, size_t max);
void pool__session_info(const struct pool_session *s, struct pool_session_info *out);

/* pool_pod.c */
enum pool_status pool__transition(struct pool_pod *pod, enum pool_pod_state to, uint64_t now);
void pool__pod_timer(struct pool_pod *pod, uint64_t now);
void pool__settle(struct pool *pool, uint64_t now);

/* pool_session.c */
void pool__end_session(struct pool_session *s, enum pool_end_reason reason, uint64_t now);
void pool__session_timer(struct pool_session *s, uint64_t now);
void pool__waiter_timer(struct pool_waiter *w, uint64_t now);
bool pool__dispatch(struct pool *pool, uint64_t now);
void pool__session_indexed(struct pool_session *s);

#endif
