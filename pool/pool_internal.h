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
#include "pool_prefault.h"
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

/* Inserts l first (a free list used as a stack). */
static inline void link_push(struct pool_link *head, struct pool_link *l)
{
    l->next = head->next;
    l->prev = head;
    head->next->prev = l;
    head->next = l;
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

/* Records are laid out for a bind that finds every cache cold: the fields a
 * claim reads and writes come first, in the record's first 64-byte line; the
 * strings follow, short ones sharing a line. */

#define POOL_POD_STRS (POOL_POD_NAME_MAX + POOL_ADDR_MAX + POOL_NODE_MAX + 3)

struct pool_pod {
    struct pool_link link;   /* free, creating or idle list */
    struct pool_timer timer; /* start deadline / delete redelivery */
    struct pool *pool;
    struct pool_session *session; /* BOUND only */
    enum pool_pod_state state;
    bool indexed;        /* in pool->pod_by_name */
    uint16_t address_at; /* offsets of address and node in strs */
    uint16_t node_at;
    uint64_t state_since;
    uint64_t created_at; /* CREATE_PODS issued; 0 = adopted or already Ready */
    /* name (the index key; "" while CREATING), address, node, packed end to
     * end so a typical pod's three fit one line; set by pool__pod_place(). */
    char strs[POOL_POD_STRS];
};

static inline const char *pod_name(const struct pool_pod *pod)
{
    return pod->strs;
}

static inline const char *pod_address(const struct pool_pod *pod)
{
    return pod->strs + pod->address_at;
}

static inline const char *pod_node(const struct pool_pod *pod)
{
    return pod->strs + pod->node_at;
}

struct pool_session {
    /* line 0: what a bind, a keepalive and the timer heap touch */
    struct pool_link link;   /* live or free list */
    struct pool_timer timer; /* min(expires_at, idle_expires_at) */
    struct pool *pool;
    struct pool_pod *pod;
    uint64_t expires_at;
    uint64_t idle_expires_at;
    /* line 1 on: the rest of a bind's writes */
    uint64_t claimed_at;
    uint64_t last_keepalive;
    bool keyed;                       /* key set and indexed */
    bool requested;                   /* request_id set and indexed */
    char id[POOL_SESSION_ID_LEN + 1]; /* set index key */
    char token[POOL_TOKEN_LEN + 1];
    char owner[POOL_OWNER_MAX + 1]; /* copied out, never indexed */
    /* only read when keyed / requested */
    char key[POOL_KEY_MAX + 1]; /* pool index key */
    char request_id[POOL_KEY_MAX + 1];
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
    /* What a claim reads and writes first, so a bind on cold caches loads
     * few of the pool's lines: lists it takes from, counts, the config's
     * limits, then the counters. */
    struct pool_set *set;
    struct pool_link idle;          /* READY pods, oldest first */
    struct pool_link free_sessions; /* most recently freed first */
    struct pool_link live_sessions; /* claim order */
    uint32_t counts[POOL_POD_STATE_COUNT];
    uint32_t nwaiters;
    uint32_t nsessions;
    bool sizing_pending;
    struct pool_config config; /* config.name points at name */
    struct pool_counters counters;
    /* The rest: other lists, slabs, indexes, estimates. */
    uint32_t cap_total; /* slab sizes fixed at add time */
    uint32_t cap_waiters;
    struct pool_link free_pods;
    struct pool_link creating; /* CREATING pods, oldest first */
    struct pool_link free_waiters;
    struct pool_link queue; /* waiters, oldest first */
    struct pool_pod *pods;
    struct pool_session *sessions;
    struct pool_waiter *waiters;
    struct pool_index pod_by_name;
    struct pool_index session_by_key;
    struct pool_index session_by_request;
    struct pool_sizer sizer;
    char name[POOL_NAME_MAX + 1];
};

/* An action as it waits in the ring: the fixed fields, then its strings
 * packed end to end, each NUL-terminated: the pod name, and for an action
 * that carries a session its id, token, address, node, key, request id and
 * owner.
 * A binding so fills four cache lines where the public struct pool_action
 * spans twenty-six; pool_set_next_action() unpacks it (the pool's name comes
 * from the pool, which outlives the set's actions, and the session's pod is
 * the action's pod). */
#define POOL_QUEUED_STRS                                                                           \
    (POOL_POD_NAME_MAX + POOL_SESSION_ID_LEN + POOL_TOKEN_LEN + POOL_ADDR_MAX + POOL_NODE_MAX +    \
     2 * POOL_KEY_MAX + POOL_OWNER_MAX + 8)

struct pool_queued {
    enum pool_action_kind kind;
    enum pool_end_reason reason;
    enum pool_claim_outcome outcome;
    uint32_t count;
    struct pool *pool;
    void *waiter_data;
    uint64_t waiter_id;
    uint16_t len; /* bytes of strs in use */
    bool has_session;
    uint64_t claimed_at; /* session times, when has_session */
    uint64_t expires_at;
    uint64_t last_keepalive;
    uint64_t idle_expires_at;
    char strs[POOL_QUEUED_STRS];
};

struct pool_set {
    struct pool **pools;
    size_t npools;
    struct pool_index session_by_id;
    uint32_t session_capacity; /* sum of cap_total */
    struct pool_heap timers;
    struct pool_rng rng;
    uint64_t sipkey[2];
    struct pool_queued *ring;
    uint32_t ring_cap;
    uint32_t ring_head;
    uint32_t ring_len;
    uint32_t sizing_pending; /* pools with sizing_pending set */
    int64_t wall_offset;     /* UTC ns = now + wall_offset */
};

/* pool.c */
bool pool__room(const struct pool_set *set, uint32_t n);
struct pool_queued *pool__push(struct pool *pool, enum pool_action_kind kind);
void pool__queue_pod(struct pool_queued *q, const char *pod); /* first string */
void pool__queue_session(struct pool_queued *q, const struct pool_session *s);
void pool__copy(char *dst, const char *src, size_t max); /* src known to fit */
bool pool__fits(const char *s, size_t max);
void pool__session_info(const struct pool_session *s, struct pool_session_info *out);

/* pool_pod.c */
enum pool_status pool__transition(struct pool_pod *pod, enum pool_pod_state to, uint64_t now);
void pool__pod_timer(struct pool_pod *pod, uint64_t now);
/* Sets a pod's strings; NULL keeps the current value (name only while the pod
 * is not indexed). */
void pool__pod_place(struct pool_pod *pod, const char *name, const char *address, const char *node);
void pool__settle(struct pool *pool, uint64_t now);

/* pool_session.c */
void pool__end_session(struct pool_session *s, enum pool_end_reason reason, uint64_t now);
void pool__session_timer(struct pool_session *s, uint64_t now);
void pool__waiter_timer(struct pool_waiter *w, uint64_t now);
bool pool__dispatch(struct pool *pool, uint64_t now);
void pool__session_indexed(struct pool_session *s, uint64_t id_hash);
/* Sets a new session's key and request id ("" = none; both fit). */
void pool__session_keys(struct pool_session *s, const char *key, const char *request_id);

#endif
