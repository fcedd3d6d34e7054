/*
 * pool_harness: shared helpers for the pool core tests. A harness owns one
 * pool_set with one pool, a fake clock and a tiny in-test "provider" that
 * turns CREATE_PODS into named pods and DELETE_POD into GONE reports. Every
 * helper asserts pool_set_check() after the events it feeds in.
 */
#ifndef PREWARM_TEST_POOL_HARNESS_H
#define PREWARM_TEST_POOL_HARNESS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pool.h"

#define SEC 1000000000ull

#define LOG_MAX 512

struct harness {
    struct pool_set *set;
    struct pool *pool;
    uint64_t now;
    unsigned next_pod;               /* names handed out: p-0, p-1, ... */
    unsigned to_create;              /* CREATE_PODS counts not yet turned into pods */
    struct pool_action log[LOG_MAX]; /* actions seen by h_drain, oldest first */
    unsigned nlog;
};

static inline struct pool_config h_config(void)
{
    return (struct pool_config){
        .name = "py",
        .min_idle = 2,
        .max_idle = 4,
        .max_total = 8,
        .max_waiters = 4,
        .default_ttl_s = 60,
        .max_ttl_s = 3600,
        .idle_timeout_s = 30,
        .start_timeout_s = 10,
    };
}

static inline void h_check(const struct harness *h)
{
    cr_assert_eq(pool_set_check(h->set), POOL_OK, "invariants broken");
    struct pool_counts c;
    pool_get_counts(h->pool, &c);
    uint32_t sum = 0;
    for (int i = 0; i < POOL_POD_STATE_COUNT; i++)
        sum += c.by_state[i];
    cr_assert_eq(sum, c.live);
    cr_assert_eq(c.sessions, c.by_state[POOL_POD_BOUND]);
    cr_assert_eq(c.by_state[POOL_POD_GONE], 0);
}

/* Pops every queued action into h->log (the log keeps the newest LOG_MAX)
 * and remembers how many pods were requested. */
static inline void h_drain(struct harness *h)
{
    struct pool_action a;
    while (pool_set_next_action(h->set, &a)) {
        if (a.kind == POOL_ACT_CREATE_PODS)
            h->to_create += a.count;
        if (h->nlog == LOG_MAX) {
            memmove(h->log, h->log + 1, (LOG_MAX - 1) * sizeof(h->log[0]));
            h->nlog--;
        }
        h->log[h->nlog++] = a;
    }
}

static inline void h_clear_log(struct harness *h)
{
    h->nlog = 0;
}

static inline unsigned h_count(const struct harness *h, enum pool_action_kind kind)
{
    unsigned n = 0;
    for (unsigned i = 0; i < h->nlog; i++)
        n += h->log[i].kind == kind;
    return n;
}

/* Pods asked for by the logged CREATE_PODS actions. */
static inline unsigned h_asked(const struct harness *h)
{
    unsigned n = 0;
    for (unsigned i = 0; i < h->nlog; i++)
        if (h->log[i].kind == POOL_ACT_CREATE_PODS)
            n += h->log[i].count;
    return n;
}

/* The i-th logged action of a kind, or NULL. */
static inline const struct pool_action *h_find(const struct harness *h, enum pool_action_kind kind,
                                               unsigned nth)
{
    for (unsigned i = 0; i < h->nlog; i++)
        if (h->log[i].kind == kind && nth-- == 0)
            return &h->log[i];
    return NULL;
}

static inline enum pool_status h_observe(struct harness *h, enum pool_obs what, const char *name)
{
    char addr[64];
    snprintf(addr, sizeof(addr), "10.0.0.1:%u", 9000 + (unsigned)strlen(name));
    struct pool_pod_obs obs = {.name = name, .address = addr, .node = "node-a"};
    enum pool_status st = pool_observe(h->pool, what, &obs, h->now);
    h_check(h);
    return st;
}

/* Provider: turns pending creates into pods that are observed STARTING (and
 * READY when ready is true). Returns how many were made. */
static inline unsigned h_start_pods(struct harness *h, bool ready)
{
    h_drain(h);
    unsigned n = h->to_create;
    for (unsigned i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "p-%u", h->next_pod++);
        cr_assert_eq(h_observe(h, POOL_OBS_STARTING, name), POOL_OK);
        if (ready)
            cr_assert_eq(h_observe(h, POOL_OBS_READY, name), POOL_OK);
    }
    h->to_create -= n;
    return n;
}

/* Provider: reports every DELETE_POD in the log after index `from` as GONE. */
static inline void h_confirm_deletes(struct harness *h, unsigned from)
{
    h_drain(h);
    unsigned end = h->nlog;
    for (unsigned i = from; i < end; i++)
        if (h->log[i].kind == POOL_ACT_DELETE_POD)
            h_observe(h, POOL_OBS_GONE, h->log[i].pod);
}

static inline void h_tick(struct harness *h, uint64_t now)
{
    h->now = now;
    pool_set_tick(h->set, now);
    h_check(h);
}

/* A set with one pool, the first tick run (CREATE_PODS{min_idle} queued). */
static inline void h_init(struct harness *h, const struct pool_config *cfg)
{
    memset(h, 0, sizeof(*h));
    uint8_t seed[POOL_SEED_LEN];
    for (int i = 0; i < POOL_SEED_LEN; i++)
        seed[i] = (uint8_t)(i * 7 + 1);
    cr_assert_eq(pool_set_new(seed, 256, &h->set), POOL_OK);
    cr_assert_eq(pool_set_add(h->set, cfg, &h->pool), POOL_OK);
    h->now = 1000 * SEC;
    h_tick(h, h->now);
}

static inline void h_fini(struct harness *h)
{
    pool_set_free(h->set);
    h->set = NULL;
}

static inline struct pool_counts h_counts(const struct harness *h)
{
    struct pool_counts c;
    pool_get_counts(h->pool, &c);
    return c;
}

static inline struct pool_counters h_counters(const struct harness *h)
{
    struct pool_counters c;
    pool_get_counters(h->pool, &c);
    return c;
}

static inline enum pool_status h_claim(struct harness *h, const char *key, const char *request_id,
                                       struct pool_claim_result *out)
{
    struct pool_claim_request req = {.key = key, .request_id = request_id};
    enum pool_status st = pool_claim(h->pool, &req, h->now, out);
    h_check(h);
    return st;
}

/* A claim that waits up to wait_s seconds (queued when no pod is idle). */
static inline enum pool_status h_wait_claim(struct harness *h, const char *key,
                                            const char *request_id, uint64_t wait_s, void *data,
                                            struct pool_claim_result *out)
{
    struct pool_claim_request req = {.key = key,
                                     .request_id = request_id,
                                     .wait_until = h->now + wait_s * SEC,
                                     .waiter_data = data};
    enum pool_status st = pool_claim(h->pool, &req, h->now, out);
    h_check(h);
    return st;
}

#endif
