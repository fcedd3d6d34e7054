/*
 * pool: the warm-pool core of prewarm.
 *
 * A deterministic state machine: events in (claim, release, keepalive, pod
 * observations from a provider, tick) -> state changes -> actions out (create
 * pods, delete a pod, record a binding, answer a waiter, report a session end).
 * Pure C: no I/O, no clock reads (every call takes `now`, monotonic
 * nanoseconds, never decreasing), no system calls, no global state. The same
 * code runs in the daemon (src/), the unit tests, the fuzzer and the sizing
 * simulator. Single-threaded: the caller serialises all calls on one set.
 *
 * Callers: the daemon's API handlers (claim, release, keepalive, lookups),
 * the providers in src/provider_* (pod observations in, actions out) and the
 * daemon loop (tick at pool_set_next_deadline(), drain actions after every
 * call).
 *
 * Memory: everything is allocated when a pool is added (pod slab, session
 * slab, waiter slab sized from max_total / max_waiters, hash indexes, timer
 * heap) and when the set is created (action ring). Claim, release, keepalive,
 * observations and tick never allocate: a claim unlinks the oldest idle pod
 * from an intrusive list, takes a session record from a free list, inserts it
 * into three hash indexes and a timer heap. Keys, request ids, pod names and
 * addresses are bounded strings stored inline; longer input is refused with
 * POOL_E_TOO_LONG (the daemon answers 400). Every array is written once when
 * allocated, so its pages are mapped before the first claim. Records are laid
 * out for a claim that arrives alone on cold caches: a bind touches few
 * cache lines (the first line of the pod and session records, their
 * short strings packed, the pool's claim fields, one index slot, the id
 * generator's buffer, one action slot), and the action ring restarts at its
 * first slot whenever it is drained empty.
 *
 * Lifetime and ownership
 * ----------------------
 * pool_set   created by pool_set_new(), freed by pool_set_free() together
 *            with every pool, pod, session and waiter in it. The caller owns
 *            nothing inside; it only holds `struct pool *` handles, valid
 *            until pool_set_free().
 *
 * pods       A pod record lives in its pool's slab. States and who moves them:
 *              CREATING  sizing issued CREATE_PODS; no name yet. Becomes
 *                        STARTING/READY when the provider reports a new pod
 *                        name (oldest CREATING record is adopted), GONE when
 *                        the provider reports the create failed
 *                        (pool_pods_create_failed) or after start_timeout.
 *              STARTING  exists, not Ready (provider observation).
 *              READY     idle, in the pool's idle list (provider observation).
 *              BOUND     a session holds it (claim, or a waiter bound on Ready).
 *              DRAINING  DELETE_POD was emitted: session ended, surplus idle
 *                        pod (above max_idle), or STARTING past start_timeout.
 *                        DELETE_POD is re-emitted every start_timeout until
 *                        the provider reports the pod GONE.
 *              GONE      provider reported it gone; the record returns to the
 *                        slab free list at once (GONE is never counted).
 *            Every change goes through one function with a transition table
 *            (pool_pod.c); the legal moves are
 *              GONE     -> CREATING | STARTING | READY   (sizing, adoption)
 *              CREATING -> STARTING | READY | GONE
 *              STARTING -> READY | DRAINING | GONE
 *              READY    -> STARTING | BOUND | DRAINING | GONE
 *              BOUND    -> DRAINING | GONE
 *              DRAINING -> GONE
 *            An event that would make any other change (e.g. Ready observed
 *            for a DRAINING pod) returns POOL_E_STATE, changes nothing and
 *            counts in illegal_transitions.
 *            DRAINING pods count against max_total until GONE.
 *            A pod observed under an unknown name is adopted (STARTING or
 *            READY); if the pool is at max_total, DELETE_POD is emitted for it
 *            and POOL_E_FULL returned.
 *
 * sessions   Created by a claim (or by a waiter bound on Ready); live in the
 *            pool's session slab and in the set-wide index by session id, so
 *            pool_set_session() needs no pool name. A session ends by
 *            pool_set_release() (RELEASED), TTL expiry, idle expiry (no
 *            keepalive for idle_timeout_s), or its pod reported GONE
 *            (POD_DIED). On end: SESSION_ENDED is emitted, the pod goes
 *            DRAINING (DELETE_POD emitted; skipped when the pod is already
 *            gone), the record is freed and the pool refills. Pods are never
 *            reused after a session.
 *            key: while a session with key K lives in a pool, a claim with K
 *            in that pool returns the same session (KEY_REUSED; counts as a
 *            keepalive). request_id: while a session created with request id
 *            R lives, a claim with R in that pool returns it again
 *            (REPLAYED). Once the session ended, K and R are forgotten: a
 *            repeat makes a fresh claim. Both scopes are per pool. A session
 *            past its deadline counts as ended even before tick runs: a
 *            claim naming it ends it and binds afresh, and a waiter is not
 *            answered with it (dispatch waits for the tick to end it).
 *            owner: an opaque label the caller gives at claim (the API's
 *            caller name under auth); stored with the session, shown in
 *            its info and restored with it, never interpreted here.
 *
 * waiters    A claim that finds no idle pod and carries a wait deadline is
 *            queued (FIFO, at most max_waiters) and answered later by exactly
 *            one action carrying the caller's `waiter_data` pointer:
 *            WAITER_BOUND (a pod became Ready) or WAITER_TIMED_OUT (tick past
 *            the deadline) -- or by nothing if the caller cancels it first
 *            with pool_cancel_waiter(). The core never dereferences
 *            waiter_data; the caller keeps it valid until the answer is
 *            drained or the cancel succeeded. Cancel of an already answered
 *            waiter returns POOL_E_NOT_FOUND (its answer is in the action
 *            queue or was drained). If, by the time a pod is free, the
 *            waiter's request id or key names a live session, the waiter
 *            gets that session instead of a new one; the action's outcome
 *            says which (BOUND = a new session, KEY_REUSED / REPLAYED = a
 *            session another claim created). A caller that went away
 *            releases the session of a BOUND answer only: the others belong
 *            to whoever claimed them first. Queued waiters
 *            come before new claims: an idle pod is never handed to a new
 *            claim while an older waiter of the same pool waits.
 *
 * actions    A bounded FIFO ring in the set (action_capacity entries). Each
 *            action is a self-contained copy (strings inline), so it stays
 *            meaningful whatever happens afterwards. If the caller does not
 *            drain: before any state change each call checks that the ring
 *            has room for the actions it may emit; if not it returns
 *            POOL_E_BUSY and changes nothing (drain, then retry). Sizing and
 *            tick do as much as fits and leave the rest pending;
 *            pool_set_next_deadline() then returns 0 ("call tick now").
 *            No action is ever dropped. A CREATE_PODS is merged into the
 *            newest queued action when that is a CREATE_PODS of the same
 *            pool. The daemon drains after every call, so a ring of 1024 is
 *            ample (one call emits at most a few actions plus sizing).
 *
 * Sizing (after every event, per pool): with supply = idle + starting +
 * creating, live = all non-GONE pods and cap = max_total, or the node pool's
 * capacity if the provider reported a smaller one (pool_set_capacity), create
 * min(target + waiters - supply, cap - live) pods when positive, and drain
 * idle pods (newest first) above max_idle and, for the dynamic policies,
 * while supply is above `keep`. Queued waiters count as demand, so a pool
 * with min_idle 0 still serves waiting claims (scale from zero). The policy
 * sets target, always within [min_idle, max_idle]:
 *   FIXED       target = min_idle; only max_idle drains.
 *   PERCENT     target = ceil(bound x percent / 100).
 *   SCHEDULE    target = min_idle of the schedule entry in force one lead
 *               time (p90) from now, so the pods are Ready when it starts.
 *   PREDICTIVE  target = the smallest supply whose chance of running out
 *               before refills are Ready is at most target_miss: the pods
 *               on their way hold Poisson(rate x mean lead time) claims (an
 *               M/G/infinity queue), widened to a negative binomial by the
 *               variance the rate itself shows; during a burst the rate is
 *               the short window's plus a ramp term over the lead time's
 *               p90 (pool_estimate.h has the statistics).
 * Dynamic policies re-evaluate on a per-pool timer every 500 ms, and at once
 * when a claim reveals a burst. keep = the highest target of the last
 * scale_down_delay_s: a pool scales down late, only by draining idle pods
 * (never a bound or starting one), and does not flap.
 *
 * Estimates, whatever the policy: every new claim (not a key reuse or a
 * replay) counts as an arrival; every pod that goes from a CREATING record
 * to READY gives a lead-time sample (create -> Ready, as the provider's
 * observations show it), so every provider feeds them without extra calls.
 * Adopted pods give none. Time of day = now + pool_set_wall_clock()'s offset.
 *
 * Idle set order: FIFO. A claim takes the pod that has been Ready longest.
 *
 * Ids: session id = "s-" + 128 random bits in hex, connect token = 256
 * random bits in hex, both from a ChaCha20-based generator seeded with 32
 * bytes given to pool_set_new() (the caller reads them from getrandom()).
 * Hash indexes are keyed with SipHash from the same generator, so crafted
 * keys cannot degrade lookups.
 */
#ifndef PREWARM_POOL_H
#define PREWARM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POOL_NAME_MAX       63  /* pool name (a Kubernetes label value) */
#define POOL_POD_NAME_MAX   253 /* pod name (a DNS subdomain) */
#define POOL_NODE_MAX       253 /* node name */
#define POOL_ADDR_MAX       261 /* "host:port", host up to 253, "[v6]" fits */
#define POOL_KEY_MAX        162 /* caller key and request id: 128 + "~<owner>/" */
#define POOL_OWNER_MAX      32  /* a session's owner: an opaque caller name */
#define POOL_SESSION_ID_LEN 34  /* "s-" + 32 hex */
#define POOL_TOKEN_LEN      64  /* 64 hex */
#define POOL_SEED_LEN       32

enum pool_status {
    POOL_OK = 0,
    POOL_E_INVALID,      /* bad argument or configuration */
    POOL_E_TOO_LONG,     /* a string is longer than its bound */
    POOL_E_NOMEM,        /* allocation failed (only at creation / add) */
    POOL_E_EXISTS,       /* a pool with that name already exists */
    POOL_E_NOT_FOUND,    /* no such pool, pod, session or waiter */
    POOL_E_EMPTY,        /* no idle pod and the claim does not wait */
    POOL_E_WAITERS_FULL, /* no idle pod and max_waiters already queued */
    POOL_E_TTL,          /* ttl_seconds above the pool's max_ttl_s */
    POOL_E_STATE,        /* illegal pod state transition; nothing changed */
    POOL_E_FULL,         /* pool at max_total, observed pod not adopted */
    POOL_E_BUSY,         /* action queue full: drain it, then retry */
    POOL_E_CORRUPT,      /* pool_set_check() found a broken invariant */
};

const char *pool_status_str(enum pool_status status);

enum pool_pod_state {
    POOL_POD_GONE = 0, /* also: free slab slot */
    POOL_POD_CREATING,
    POOL_POD_STARTING,
    POOL_POD_READY,
    POOL_POD_BOUND,
    POOL_POD_DRAINING,
};
#define POOL_POD_STATE_COUNT 6

const char *pool_pod_state_str(enum pool_pod_state state);

enum pool_end_reason {
    POOL_END_RELEASED = 1, /* pool_set_release() */
    POOL_END_TTL,          /* expires_at passed */
    POOL_END_IDLE,         /* no keepalive for idle_timeout_s */
    POOL_END_POD_DIED,     /* pod reported gone while bound */
};

const char *pool_end_reason_str(enum pool_end_reason reason);

struct pool_set;
struct pool;

/* How a pool decides how many idle pods to keep (see "Sizing" above). Zero
 * fields take the defaults in brackets. */
enum pool_sizing_policy {
    POOL_SIZING_FIXED = 0,  /* min_idle / max_idle */
    POOL_SIZING_PERCENT,    /* idle = percent of bound pods */
    POOL_SIZING_SCHEDULE,   /* min_idle by time of day (UTC) */
    POOL_SIZING_PREDICTIVE, /* arrival rate x lead time at a target miss ratio */
};
#define POOL_SIZING_POLICY_COUNT 4

const char *pool_sizing_policy_str(enum pool_sizing_policy policy);

#define POOL_SCHEDULE_MAX 24

struct pool_schedule_entry {
    uint32_t minute;   /* minute of the day, UTC, 0..1439; entries ascending */
    uint32_t min_idle; /* from this minute until the next entry's */
};

#define POOL_SIZING_DEFAULT_MISS       0.001
#define POOL_SIZING_DEFAULT_SHORT_MS   1000u
#define POOL_SIZING_DEFAULT_LONG_S     60u
#define POOL_SIZING_DEFAULT_LEAD_MS    5000u
#define POOL_SIZING_DEFAULT_DOWN_DELAY 60u

struct pool_sizing_config {
    enum pool_sizing_policy policy;
    uint32_t percent; /* PERCENT: 1..1000 */
    uint32_t nschedule;
    struct pool_schedule_entry schedule[POOL_SCHEDULE_MAX]; /* SCHEDULE: 1.. entries */
    double target_miss;                                     /* PREDICTIVE: (0, 0.5) [0.001] */
    uint32_t short_window_ms;                               /* fast rate window [1000] */
    uint32_t long_window_s;                                 /* slow rate window, > short [60] */
    uint32_t lead_time_hint_ms;  /* lead time before the first observation [5000] */
    uint32_t scale_down_delay_s; /* idle pods drained only after [60] */
};

/* Per-pool configuration. Times in seconds. Rules: 0 <= min_idle <= max_idle
 * <= max_total, max_total >= 1, 1 <= default_ttl_s <= max_ttl_s,
 * start_timeout_s >= 1. idle_timeout_s 0 = no idle expiry. max_waiters 0 =
 * claims never wait. sizing: zero = FIXED. */
struct pool_config {
    const char *name; /* copied; 1..POOL_NAME_MAX bytes */
    uint32_t min_idle;
    uint32_t max_idle;
    uint32_t max_total;
    uint32_t max_waiters;
    uint32_t default_ttl_s;
    uint32_t max_ttl_s;
    uint32_t idle_timeout_s;
    uint32_t start_timeout_s;
    struct pool_sizing_config sizing;
};

/* A session as seen from outside: a copy, valid as long as the caller keeps
 * it. Times are the caller's monotonic nanoseconds. */
struct pool_session_info {
    char id[POOL_SESSION_ID_LEN + 1];
    char token[POOL_TOKEN_LEN + 1];
    char pool[POOL_NAME_MAX + 1];
    char pod[POOL_POD_NAME_MAX + 1];
    char address[POOL_ADDR_MAX + 1];
    char node[POOL_NODE_MAX + 1];
    char key[POOL_KEY_MAX + 1];        /* "" when none */
    char request_id[POOL_KEY_MAX + 1]; /* "" when none */
    char owner[POOL_OWNER_MAX + 1];    /* "" when none */
    uint64_t claimed_at;
    uint64_t expires_at;      /* TTL deadline */
    uint64_t last_keepalive;  /* claimed_at until the first keepalive */
    uint64_t idle_expires_at; /* UINT64_MAX when idle_timeout_s is 0 */
};

/* ---- set and pools ---- */

/* Creates an empty set. seed: 32 unpredictable bytes (getrandom()); they seed
 * the id generator and hash keys. action_capacity: ring size, >= 16. */
enum pool_status pool_set_new(const uint8_t seed[POOL_SEED_LEN], uint32_t action_capacity,
                              struct pool_set **out);
void pool_set_free(struct pool_set *set);

/* Adds a pool (allocates its slabs and indexes; not on the claim path) and
 * marks it for sizing: pool_set_next_deadline() returns 0 and the next
 * pool_set_tick() queues CREATE_PODS{min_idle}. */
enum pool_status pool_set_add(struct pool_set *set, const struct pool_config *config,
                              struct pool **out);
struct pool *pool_set_find(const struct pool_set *set, const char *name);
size_t pool_set_count(const struct pool_set *set);
struct pool *pool_set_at(const struct pool_set *set, size_t index); /* NULL past end */

/* Changes a pool's configuration, then runs sizing. The name must stay the
 * same; max_total and max_waiters may not exceed the values the pool was
 * added with (its slabs are not resized). Live sessions keep their deadlines. */
enum pool_status pool_update_config(struct pool *pool, const struct pool_config *config,
                                    uint64_t now);

/* ---- claims and sessions ---- */

struct pool_claim_request {
    const char *key;        /* NULL or "" = none; <= POOL_KEY_MAX bytes */
    const char *request_id; /* NULL or "" = none; <= POOL_KEY_MAX bytes */
    const char *owner;      /* NULL or "" = none; <= POOL_OWNER_MAX bytes, kept as is */
    uint32_t ttl_seconds;   /* 0 = pool default; > max_ttl_s -> POOL_E_TTL */
    uint64_t wait_until;    /* absolute ns; 0 or <= now = do not wait */
    void *waiter_data;      /* returned in WAITER_* actions if queued */
};

enum pool_claim_outcome {
    POOL_CLAIM_BOUND = 1,  /* new session on an idle pod */
    POOL_CLAIM_KEY_REUSED, /* live session with the same key */
    POOL_CLAIM_REPLAYED,   /* live session with the same request id */
    POOL_CLAIM_QUEUED,     /* waiter queued; answered by a WAITER_* action */
};

struct pool_claim_result {
    enum pool_claim_outcome outcome;
    uint64_t waiter_id;               /* QUEUED: for pool_cancel_waiter() */
    struct pool_session_info session; /* all outcomes but QUEUED */
};

/* O(1), no allocation. On POOL_OK, out->outcome says what happened.
 * Errors: POOL_E_EMPTY, POOL_E_WAITERS_FULL, POOL_E_TTL, POOL_E_TOO_LONG,
 * POOL_E_BUSY. */
enum pool_status pool_claim(struct pool *pool, const struct pool_claim_request *req, uint64_t now,
                            struct pool_claim_result *out);

/* Withdraws a queued waiter (the client went away). No action follows.
 * POOL_E_NOT_FOUND if it was already answered or never existed. */
enum pool_status pool_cancel_waiter(struct pool *pool, uint64_t waiter_id);

/* Ends a session: SESSION_ENDED{RELEASED} + DELETE_POD, then refill. */
enum pool_status pool_set_release(struct pool_set *set, const char *session_id, uint64_t now);

/* Pushes the idle deadline to now + idle_timeout_s; out may be NULL. A
 * session already past its TTL or idle deadline (tick not yet run) is ended
 * here instead and POOL_E_NOT_FOUND returned; POOL_E_BUSY if the action ring
 * has no room for that. */
enum pool_status pool_set_keepalive(struct pool_set *set, const char *session_id, uint64_t now,
                                    struct pool_session_info *out);

/* Looks a live session up by id (any pool). */
enum pool_status pool_set_session(const struct pool_set *set, const char *session_id,
                                  struct pool_session_info *out);

/* ---- provider observations ---- */

enum pool_obs {
    POOL_OBS_STARTING = 1, /* pod exists, not Ready */
    POOL_OBS_READY,        /* pod is Ready and reachable at address */
    POOL_OBS_GONE,         /* pod no longer exists */
};

struct pool_pod_obs {
    const char *name;    /* required, <= POOL_POD_NAME_MAX */
    const char *address; /* NULL = keep the known one */
    const char *node;    /* NULL = keep the known one */
};

/* Feeds what the provider saw. STARTING/READY for an unknown name adopts it
 * (using the oldest CREATING record if any). READY on an idle candidate binds
 * the oldest waiter if there is one, else makes the pod idle. STARTING on an
 * idle pod takes it out of the idle set. READY/STARTING on a BOUND pod only
 * update address/node. GONE ends a bound pod's session (POD_DIED). Illegal
 * moves (READY/STARTING for a DRAINING pod) return POOL_E_STATE. GONE for an
 * unknown name returns POOL_E_NOT_FOUND. */
enum pool_status pool_observe(struct pool *pool, enum pool_obs what, const struct pool_pod_obs *obs,
                              uint64_t now);

/* The provider could not create `count` of the pods it was asked for: that
 * many CREATING records go GONE (sizing asks again; the provider applies its
 * own backoff). */
enum pool_status pool_pods_create_failed(struct pool *pool, uint32_t count, uint64_t now);

/* ---- recovery ---- */

/* A session found again after a restart (from the pod's binding record or a
 * local journal). Times are the caller's monotonic ns. */
struct pool_restore_session {
    const char *id;         /* required: "s-" + 32 hex */
    const char *token;      /* NULL or "": a fresh token is drawn */
    const char *key;        /* NULL or "" = none */
    const char *request_id; /* NULL or "" = none */
    const char *owner;      /* NULL or "" = none */
    uint64_t claimed_at;
    uint64_t expires_at; /* must be > now */
};

/* Recovery before serving: records a pod that already exists, as STARTING,
 * READY (idle) or, with `session`, BOUND to that session (its key and
 * request id are indexed again, its idle deadline restarts at now). Unlike
 * pool_observe() it runs no sizing and emits nothing: restore every pod
 * first, then tick once (pool_set_add's first sizing counts them all).
 * Errors: POOL_E_FULL (max_total pods already), POOL_E_EXISTS (pod name or
 * session id already known), POOL_E_TTL (session already expired),
 * POOL_E_INVALID, POOL_E_TOO_LONG. Nothing changes on error. */
enum pool_status pool_restore(struct pool *pool, enum pool_obs what, const struct pool_pod_obs *obs,
                              const struct pool_restore_session *session, uint64_t now);

/* ---- time ---- */

/* Expires sessions (TTL, idle), waiters and pods stuck CREATING/STARTING,
 * re-emits DELETE_POD for DRAINING pods, finishes pending sizing. */
void pool_set_tick(struct pool_set *set, uint64_t now);

/* When tick must run next: UINT64_MAX if nothing is scheduled, 0 if work is
 * pending because the action ring was full. */
uint64_t pool_set_next_deadline(const struct pool_set *set);

/* ---- idle time ---- */

/* Work done ahead of the next claims, off their path: tops up the id
 * generator's buffer so the next binds find their session ids and tokens'
 * random bytes ready instead of running ChaCha20 themselves. Optional and
 * cheap when there is nothing to do: the daemon calls it after each drain,
 * before its loop waits. Changes no state a caller can observe. */
void pool_set_prepare(struct pool_set *set);

/* ---- sizing ---- */

/* Maps the caller's monotonic clock to UTC: wall ns = now + offset_ns. Only
 * SCHEDULE uses it; 0 until set. */
void pool_set_wall_clock(struct pool_set *set, int64_t offset_ns);

/* The node pool can hold `pods` pods of this pool (0 = unknown): creation
 * stops there even below max_total. Runs sizing. */
void pool_set_capacity(struct pool *pool, uint32_t pods, uint64_t now);

/* Create -> Ready observations as a Prometheus histogram: upper bounds in
 * seconds; bucket i counts samples <= bound i (and > bound i-1), the last
 * bucket those above every bound. Counts never decay. */
#define POOL_LEAD_HIST_BUCKETS 15
extern const double pool_lead_bounds_s[POOL_LEAD_HIST_BUCKETS - 1];

/* The live estimates behind the pool's size, as of `now`. */
struct pool_sizing_info {
    enum pool_sizing_policy policy;
    double rate_short; /* claims/s, short window */
    double rate_long;  /* claims/s, long window */
    double rate;       /* what PREDICTIVE sizes for (burst: short + ramp) */
    bool burst;        /* short window above what noise explains */
    double lead_p50_s; /* create -> Ready quantiles (prior until samples) */
    double lead_p90_s;
    double lead_p99_s;
    uint64_t lead_samples; /* create -> Ready observations */
    uint32_t target;       /* idle + starting pods wanted now */
    uint32_t keep;         /* idle pods are drained while supply is above this */
    uint32_t capacity;     /* node pool capacity in pods, 0 = unknown */
    uint64_t lead_buckets[POOL_LEAD_HIST_BUCKETS]; /* not cumulative */
    double lead_sum_s;
};

void pool_get_sizing(const struct pool *pool, uint64_t now, struct pool_sizing_info *out);

/* ---- actions ---- */

enum pool_action_kind {
    POOL_ACT_CREATE_PODS = 1,  /* pool, count */
    POOL_ACT_DELETE_POD,       /* pool, pod */
    POOL_ACT_RECORD_BINDING,   /* pool, pod, session (id, key, ...) */
    POOL_ACT_WAITER_BOUND,     /* pool, waiter_data, waiter_id, session, outcome */
    POOL_ACT_WAITER_TIMED_OUT, /* pool, waiter_data, waiter_id */
    POOL_ACT_SESSION_ENDED,    /* pool, pod, session, reason */
};

const char *pool_action_kind_str(enum pool_action_kind kind);

struct pool_action {
    enum pool_action_kind kind;
    struct pool *pool;
    char pool_name[POOL_NAME_MAX + 1];
    uint32_t count;
    char pod[POOL_POD_NAME_MAX + 1];
    void *waiter_data;
    uint64_t waiter_id;
    enum pool_end_reason reason;
    enum pool_claim_outcome outcome; /* WAITER_BOUND: BOUND, KEY_REUSED or REPLAYED */
    struct pool_session_info session;
};

/* Pops the oldest action into *out. Returns false when the queue is empty. */
bool pool_set_next_action(struct pool_set *set, struct pool_action *out);
size_t pool_set_pending_actions(const struct pool_set *set);

/* ---- read access (API, metrics, dashboard) ---- */

struct pool_counts {
    uint32_t by_state[POOL_POD_STATE_COUNT]; /* GONE entry is always 0 */
    uint32_t live;                           /* sum of by_state */
    uint32_t sessions;                       /* == by_state[BOUND] */
    uint32_t waiters;
};

struct pool_counters {
    uint64_t claims_bound; /* immediate binds */
    uint64_t claims_queued;
    uint64_t claims_empty; /* POOL_E_EMPTY and POOL_E_WAITERS_FULL */
    uint64_t key_reused;
    uint64_t idempotent_replay;
    uint64_t waiters_bound;
    uint64_t waiters_timed_out; /* "timed_out" */
    uint64_t waiters_cancelled;
    uint64_t released;
    uint64_t expired; /* ttl + idle */
    uint64_t expired_ttl;
    uint64_t expired_idle;
    uint64_t pod_died_bound;
    uint64_t pods_requested; /* sum of CREATE_PODS counts */
    uint64_t pods_deleted;   /* DELETE_POD emitted (first time per pod) */
    uint64_t start_timeouts;
    uint64_t illegal_transitions;
};

const char *pool_name(const struct pool *pool);
void pool_get_config(const struct pool *pool, struct pool_config *out); /* name points inside */
void pool_get_counts(const struct pool *pool, struct pool_counts *out);
void pool_get_counters(const struct pool *pool, struct pool_counters *out);

struct pool_pod_info {
    const char *name; /* "" while CREATING */
    const char *address;
    const char *node;
    enum pool_pod_state state;
    uint64_t state_since;
    const char *session_id; /* NULL unless BOUND */
};

/* Iteration: the callback returns nonzero to stop; the visitor must not call
 * mutating pool functions. Pointers in pool_pod_info are valid during the
 * callback only. Order: slab order (pods), claim order (sessions). */
typedef int pool_pod_fn(void *ctx, const struct pool_pod_info *pod);
typedef int pool_session_fn(void *ctx, const struct pool_session_info *session);
void pool_foreach_pod(const struct pool *pool, pool_pod_fn *fn, void *ctx);
void pool_foreach_session(const struct pool *pool, pool_session_fn *fn, void *ctx);

/* Walks every structure of the set and verifies the invariants: counts by
 * state match the records, lists and indexes agree with states, every BOUND
 * pod has exactly one session and every session one BOUND pod, the timer heap
 * is ordered and holds exactly the records that need a deadline. O(size of
 * the set): for tests, fuzzers and a debug endpoint, not for the hot path. */
enum pool_status pool_set_check(const struct pool_set *set);

#endif
