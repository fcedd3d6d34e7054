/*
 * pool_driver: replays a byte string as a sequence of pool events (claims,
 * releases, keepalives, provider observations, clock steps, ticks, drains,
 * cancels, config changes) against a small two-pool set, and checks the
 * invariants after every step. Shared by the property test
 * (tests/pool/test_property.c) and the fuzzer (fuzz/fuzz_pool.c).
 *
 * driver_run() returns NULL when every invariant held, else a message naming
 * the broken one. Everything is freed before it returns.
 */
#ifndef PREWARM_TEST_POOL_DRIVER_H
#define PREWARM_TEST_POOL_DRIVER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#define DRV_POOLS    2
#define DRV_NAMES    48
#define DRV_SESSIONS 48
#define DRV_WAITERS  16

struct drv_waiter {
    int pool;
    uint64_t id;
    void *data;
};

struct driver {
    struct pool_set *set;
    struct pool *pools[DRV_POOLS];
    uint32_t max_total[DRV_POOLS];
    uint64_t now;
    unsigned created[DRV_POOLS]; /* CREATE_PODS counts not yet started */
    unsigned next_name;
    char names[DRV_NAMES][24]; /* pod names seen, with their pool */
    int name_pool[DRV_NAMES];
    unsigned nnames;
    char sessions[DRV_SESSIONS][POOL_SESSION_ID_LEN + 1];
    unsigned nsessions;
    struct drv_waiter waiters[DRV_WAITERS];
    unsigned nwaiters;
    char tags[DRV_WAITERS]; /* addresses used as waiter_data */
    const char *error;
};

struct drv_input {
    const uint8_t *p;
    size_t len;
};

static inline unsigned drv_byte(struct drv_input *in)
{
    if (in->len == 0)
        return 0;
    in->len--;
    return *in->p++;
}

static inline void drv_remember_name(struct driver *d, int pool, const char *name)
{
    for (unsigned i = 0; i < d->nnames; i++)
        if (strcmp(d->names[i], name) == 0)
            return;
    unsigned slot = d->nnames < DRV_NAMES ? d->nnames++ : (unsigned)(d->next_name % DRV_NAMES);
    snprintf(d->names[slot], sizeof(d->names[slot]), "%s", name);
    d->name_pool[slot] = pool;
}

static inline void drv_remember_session(struct driver *d, const char *id)
{
    unsigned slot =
        d->nsessions < DRV_SESSIONS ? d->nsessions++ : (unsigned)(d->now % DRV_SESSIONS);
    memcpy(d->sessions[slot], id, POOL_SESSION_ID_LEN + 1);
}

static inline int drv_pool_index(const struct driver *d, const struct pool *p)
{
    for (int i = 0; i < DRV_POOLS; i++)
        if (d->pools[i] == p)
            return i;
    return -1;
}

/* Removes a waiter from the outstanding list; false if it was not there
 * (answered twice, or answered after a successful cancel). */
static inline bool drv_forget_waiter(struct driver *d, int pool, uint64_t id, void *data)
{
    for (unsigned i = 0; i < d->nwaiters; i++) {
        if (d->waiters[i].pool == pool && d->waiters[i].id == id) {
            if (d->waiters[i].data != data)
                return false;
            d->waiters[i] = d->waiters[--d->nwaiters];
            return true;
        }
    }
    return false;
}

static inline void drv_drain(struct driver *d)
{
    struct pool_action a;
    while (!d->error && pool_set_next_action(d->set, &a)) {
        int pi = drv_pool_index(d, a.pool);
        if (pi < 0) {
            d->error = "action names an unknown pool";
            return;
        }
        switch (a.kind) {
        case POOL_ACT_CREATE_PODS:
            if (a.count == 0)
                d->error = "CREATE_PODS with count 0";
            d->created[pi] += a.count;
            break;
        case POOL_ACT_DELETE_POD:
            if (!a.pod[0])
                d->error = "DELETE_POD without a name";
            break;
        case POOL_ACT_RECORD_BINDING:
            if (strcmp(a.pod, a.session.pod) != 0)
                d->error = "RECORD_BINDING pod mismatch";
            break;
        case POOL_ACT_WAITER_BOUND:
            if (!drv_forget_waiter(d, pi, a.waiter_id, a.waiter_data))
                d->error = "waiter answered twice or after cancel";
            if (a.outcome != POOL_CLAIM_BOUND && a.outcome != POOL_CLAIM_KEY_REUSED &&
                a.outcome != POOL_CLAIM_REPLAYED)
                d->error = "WAITER_BOUND without an outcome";
            drv_remember_session(d, a.session.id);
            break;
        case POOL_ACT_WAITER_TIMED_OUT:
            if (!drv_forget_waiter(d, pi, a.waiter_id, a.waiter_data))
                d->error = "waiter timed out twice or after cancel";
            break;
        case POOL_ACT_SESSION_ENDED: {
            struct pool_session_info s;
            if (pool_set_session(d->set, a.session.id, &s) == POOL_OK)
                d->error = "ended session still found";
            break;
        }
        default:
            d->error = "unknown action kind";
        }
    }
}

struct drv_visit {
    char pods[64][POOL_POD_NAME_MAX + 1];
    unsigned npods;
    const char *error;
    const struct pool_set *set;
};

static inline int drv_visit_session(void *ctx, const struct pool_session_info *s)
{
    struct drv_visit *v = ctx;
    for (unsigned i = 0; i < v->npods; i++)
        if (strcmp(v->pods[i], s->pod) == 0)
            v->error = "two sessions on one pod";
    if (v->npods < 64)
        snprintf(v->pods[v->npods++], sizeof(v->pods[0]), "%s", s->pod);
    struct pool_session_info again;
    if (pool_set_session(v->set, s->id, &again) != POOL_OK || strcmp(again.pod, s->pod) != 0)
        v->error = "session lookup disagrees with iteration";
    return 0;
}

static inline int drv_visit_pod(void *ctx, const struct pool_pod_info *p)
{
    struct drv_visit *v = ctx;
    if ((p->state == POOL_POD_BOUND) != (p->session_id != NULL))
        v->error = "bound pod without session or session on unbound pod";
    if (p->session_id) {
        struct pool_session_info s;
        if (pool_set_session(v->set, p->session_id, &s) != POOL_OK || strcmp(s.pod, p->name))
            v->error = "pod's session does not point back at it";
    }
    return 0;
}

static inline void drv_check(struct driver *d)
{
    if (d->error)
        return;
    if (pool_set_check(d->set) != POOL_OK) {
        d->error = "pool_set_check failed";
        return;
    }
    for (int i = 0; i < DRV_POOLS; i++) {
        struct pool_counts c;
        pool_get_counts(d->pools[i], &c);
        uint32_t sum = 0;
        for (int s = 0; s < POOL_POD_STATE_COUNT; s++)
            sum += c.by_state[s];
        if (sum != c.live || c.sessions != c.by_state[POOL_POD_BOUND] ||
            c.by_state[POOL_POD_GONE] != 0)
            d->error = "counts do not add up";
        if (c.live > d->max_total[i])
            d->error = "more pods than max_total";
        struct drv_visit v = {.set = d->set};
        pool_foreach_session(d->pools[i], drv_visit_session, &v);
        pool_foreach_pod(d->pools[i], drv_visit_pod, &v);
        if (v.error)
            d->error = v.error;
    }
}

static inline const char *drv_key(unsigned b)
{
    static const char *const keys[] = {NULL, NULL, "", "k1", "k2", "k3"};
    return keys[b % 6];
}

static inline void drv_claim(struct driver *d, struct drv_input *in)
{
    int pi = (int)(drv_byte(in) % DRV_POOLS);
    unsigned b = drv_byte(in);
    struct pool_claim_request req = {
        .key = drv_key(b),
        .request_id = drv_key(b >> 3),
        .ttl_seconds = (b & 0x40) ? drv_byte(in) % 80 : 0,
        .wait_until = (b & 0x80) ? d->now + (uint64_t)(drv_byte(in) % 20) * 500000000ull : 0,
    };
    unsigned tag = d->nwaiters % DRV_WAITERS;
    req.waiter_data = &d->tags[tag];
    struct pool_claim_result r;
    enum pool_status st = pool_claim(d->pools[pi], &req, d->now, &r);
    if (st != POOL_OK)
        return;
    if (r.outcome == POOL_CLAIM_QUEUED) {
        if (d->nwaiters == DRV_WAITERS) {
            pool_cancel_waiter(d->pools[pi], r.waiter_id); /* keep the model small */
            return;
        }
        d->waiters[d->nwaiters++] = (struct drv_waiter){pi, r.waiter_id, req.waiter_data};
    } else {
        if (r.session.expires_at <= d->now || r.session.idle_expires_at <= d->now)
            d->error = "a claim was answered with a session past its deadline";
        drv_remember_session(d, r.session.id);
    }
}

static inline const char *drv_pick_name(struct driver *d, struct drv_input *in, int *pool)
{
    if (d->nnames == 0)
        return NULL;
    unsigned i = drv_byte(in) % d->nnames;
    *pool = d->name_pool[i];
    return d->names[i];
}

static inline void drv_observe(struct driver *d, struct drv_input *in, enum pool_obs what)
{
    int pi;
    const char *name = drv_pick_name(d, in, &pi);
    if (!name)
        return;
    struct pool_pod_obs obs = {.name = name, .address = "127.0.0.1:1", .node = "n"};
    pool_observe(d->pools[pi], what, &obs, d->now);
}

static inline void drv_new_pod(struct driver *d, struct drv_input *in, bool adopt)
{
    int pi = (int)(drv_byte(in) % DRV_POOLS);
    if (!adopt && d->created[pi] == 0)
        return;
    char name[24];
    snprintf(name, sizeof(name), "%c-%u", adopt ? 'x' : 'p', d->next_name++);
    struct pool_pod_obs obs = {.name = name, .address = "127.0.0.1:2", .node = "n"};
    enum pool_status st =
        pool_observe(d->pools[pi], adopt ? POOL_OBS_READY : POOL_OBS_STARTING, &obs, d->now);
    if (st == POOL_OK) {
        if (!adopt)
            d->created[pi]--;
        drv_remember_name(d, pi, name);
    }
}

static inline void drv_session_op(struct driver *d, struct drv_input *in, bool release)
{
    const char *id = "s-00000000000000000000000000000000";
    unsigned b = drv_byte(in);
    if (d->nsessions > 0 && b < 240)
        id = d->sessions[b % d->nsessions];
    if (release)
        pool_set_release(d->set, id, d->now);
    else
        pool_set_keepalive(d->set, id, d->now, NULL);
}

static inline void drv_cancel(struct driver *d, struct drv_input *in)
{
    if (d->nwaiters == 0)
        return;
    unsigned i = drv_byte(in) % d->nwaiters;
    struct drv_waiter w = d->waiters[i];
    if (pool_cancel_waiter(d->pools[w.pool], w.id) == POOL_OK)
        d->waiters[i] = d->waiters[--d->nwaiters];
}

static inline void drv_reconfigure(struct driver *d, struct drv_input *in)
{
    int pi = (int)(drv_byte(in) % DRV_POOLS);
    struct pool_config c;
    pool_get_config(d->pools[pi], &c);
    unsigned b = drv_byte(in);
    c.max_total = 1 + b % d->max_total[pi];
    c.max_idle = (b >> 3) % (c.max_total + 1);
    c.min_idle = (b >> 5) % (c.max_idle + 1);
    pool_update_config(d->pools[pi], &c, d->now);
}

static inline void drv_step(struct driver *d, struct drv_input *in)
{
    switch (drv_byte(in) % 16) {
    case 0:
    case 1:
    case 2:
        drv_claim(d, in);
        break;
    case 3:
        drv_session_op(d, in, true);
        break;
    case 4:
        drv_session_op(d, in, false);
        break;
    case 5:
    case 6:
        drv_new_pod(d, in, false);
        break;
    case 7:
    case 8:
        drv_observe(d, in, POOL_OBS_READY);
        break;
    case 9:
        drv_observe(d, in, POOL_OBS_STARTING);
        break;
    case 10:
        drv_observe(d, in, POOL_OBS_GONE);
        break;
    case 11:
        d->now += (uint64_t)drv_byte(in) * 250000000ull;
        pool_set_tick(d->set, d->now);
        break;
    case 12:
        drv_drain(d);
        break;
    case 13:
        drv_cancel(d, in);
        break;
    case 14:
        if (drv_byte(in) & 1)
            drv_reconfigure(d, in);
        else
            drv_new_pod(d, in, true);
        break;
    case 15: {
        int pi = (int)(drv_byte(in) % DRV_POOLS);
        unsigned n = drv_byte(in) % 4;
        pool_pods_create_failed(d->pools[pi], n, d->now);
        d->created[pi] = d->created[pi] > n ? d->created[pi] - n : 0;
        break;
    }
    }
}

static inline void drv_add_counters(struct pool_counters *sum, const struct pool_counters *c)
{
    uint64_t *dst = (uint64_t *)sum;
    const uint64_t *src = (const uint64_t *)c;
    for (size_t i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
        dst[i] += src[i];
}

static inline const char *drv_setup(struct driver *d, const uint8_t *data, size_t len)
{
    memset(d, 0, sizeof(*d));
    uint8_t seed[POOL_SEED_LEN] = {0};
    for (size_t i = 0; i < len && i < POOL_SEED_LEN; i++)
        seed[i] = data[i];
    if (pool_set_new(seed, 16, &d->set) != POOL_OK)
        return "pool_set_new failed";
    const struct pool_config cfg[DRV_POOLS] = {
        {.name = "a",
         .min_idle = 2,
         .max_idle = 3,
         .max_total = 6,
         .max_waiters = 3,
         .default_ttl_s = 30,
         .max_ttl_s = 60,
         .idle_timeout_s = 10,
         .start_timeout_s = 5},
        {.name = "b",
         .min_idle = 0,
         .max_idle = 1,
         .max_total = 3,
         .max_waiters = 2,
         .default_ttl_s = 5,
         .max_ttl_s = 60,
         .idle_timeout_s = 0,
         .start_timeout_s = 2},
    };
    for (int i = 0; i < DRV_POOLS; i++) {
        if (pool_set_add(d->set, &cfg[i], &d->pools[i]) != POOL_OK) {
            pool_set_free(d->set);
            return "pool_set_add failed";
        }
        d->max_total[i] = cfg[i].max_total;
    }
    d->now = 1;
    return NULL;
}

/* Wind down: drain, expire everything, check the end state, free the set. */
static inline const char *drv_finish(struct driver *d, struct pool_counters *sum)
{
    for (int i = 0; i < 64 && !d->error; i++) {
        drv_drain(d);
        d->now += 100ull * 1000000000ull;
        pool_set_tick(d->set, d->now);
        drv_check(d);
    }
    drv_drain(d);
    const char *err = d->error;
    if (!err && d->nwaiters != 0)
        err = "a waiter was never answered";
    for (int i = 0; i < DRV_POOLS && !err; i++) {
        struct pool_counts counts;
        pool_get_counts(d->pools[i], &counts);
        if (counts.sessions != 0 || counts.waiters != 0)
            err = "sessions or waiters outlived every deadline";
        if (sum) {
            struct pool_counters counters;
            pool_get_counters(d->pools[i], &counters);
            drv_add_counters(sum, &counters);
        }
    }
    pool_set_free(d->set);
    return err;
}

/* As driver_run(), adding every pool's counters to *sum when sum is set. */
static inline const char *driver_run_sum(const uint8_t *data, size_t len, struct pool_counters *sum)
{
    static struct driver d; /* large; one at a time (tests and fuzzers are single-threaded) */
    const char *err = drv_setup(&d, data, len);
    if (err)
        return err;
    struct drv_input in = {data, len};
    while (in.len > 0 && !d.error) {
        drv_step(&d, &in);
        drv_check(&d);
    }
    return drv_finish(&d, sum);
}

static inline const char *driver_run(const uint8_t *data, size_t len)
{
    return driver_run_sum(data, len, NULL);
}

#endif
