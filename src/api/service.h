/*
 * service: everything the HTTP API may ask of the daemon, and nothing more.
 *
 * The API (api.c) turns requests into calls on this interface and answers
 * into JSON; the daemon (src/daemon) implements it over the pool core and
 * the providers. The API never sees struct daemon, a provider or the config,
 * and never drains the pool core's action queue: the daemon does that in
 * one place, after every turn of the loop (see daemon.h). Unit tests of the
 * API (tests/src/api) implement the interface over a bare pool set.
 *
 * Pools are named by index (0..pool_count-1), found by name with
 * find_pool. Times are the loop's monotonic nanoseconds; wall_ns converts
 * one to Unix time for JSON.
 *
 * Contract of the mutating calls (claim, cancel_waiter, release,
 * keepalive): they return the pool core's status; the actions they cause
 * (replacement pods, waiter answers through api_waiter_*) run later on the
 * same loop turn, never from inside the call.
 *
 * Ownership: the service outlives the API; info structs are copies, except
 * the strings and histogram they point to, which live as long as the
 * service.
 */
#ifndef PREWARM_SERVICE_H
#define PREWARM_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "metrics.h"
#include "pool.h"

/* One pool as the API shows it. */
struct service_pool_info {
    const char *name;
    const char *provider; /* "local", "kubernetes" */
    struct pool_config limits;
    struct pool_counts counts;
    struct pool_counters counters;
    const struct metrics_histogram *bind;  /* seconds taken by pool_claim */
    const struct metrics_histogram *claim; /* request to answer with a session */
    uint64_t claims_error;                 /* claims refused for bad input */
    struct pool_sizing_info sizing;        /* the policy's live estimates */
    bool reached_min_idle;
};

struct service;

/* Leader election, for the dashboard. */
struct service_leader {
    bool elected;   /* leader election is configured */
    bool leading;   /* this replica holds the Lease and may answer */
    uint64_t epoch; /* current (or last) term; 0 without election or journal */
};

struct service_ops {
    size_t (*pool_count)(struct service *s);
    /* Index of the pool named name[0..len); false if there is none. */
    bool (*find_pool)(struct service *s, const char *name, size_t len, size_t *index);
    void (*pool_info)(struct service *s, size_t pool, struct service_pool_info *out);
    /* pool_claim on the pool; *bind_ns is how long the core took. */
    enum pool_status (*claim)(struct service *s, size_t pool, const struct pool_claim_request *req,
                              struct pool_claim_result *res, uint64_t *bind_ns);
    enum pool_status (*cancel_waiter)(struct service *s, size_t pool, uint64_t waiter_id);
    enum pool_status (*release)(struct service *s, const char *session_id);
    enum pool_status (*keepalive)(struct service *s, const char *session_id,
                                  struct pool_session_info *out);
    enum pool_status (*session)(struct service *s, const char *session_id,
                                struct pool_session_info *out);
    /* Every pool has reached min_idle at least once. */
    bool (*ready)(struct service *s);
    bool (*stopping)(struct service *s);
    uint64_t (*now)(struct service *s);
    int64_t (*wall_ns)(struct service *s, uint64_t mono_ns);
    /* The leader epoch signed into connect tokens; NULL means 0 (no
     * election: the local provider). */
    uint64_t (*epoch)(struct service *s);
    /* Optional (NULL: no election): leader election as this replica sees it. */
    void (*leader)(struct service *s, struct service_leader *out);

    /* A claim on pool was answered with status after elapsed_ns (request
     * to answer): sessions (200, 201) feed the claim-time histogram, refused
     * input (400, 422) counts as a claim error. */
    void (*claim_answered)(struct service *s, size_t pool, int status, uint64_t elapsed_ns);
    /* Writes every metric family (the daemon's collector registry). */
    void (*collect_metrics)(struct service *s, struct metrics_writer *w);
    /* Recent events, for the dashboard. */
    const struct events *(*events)(struct service *s);
};

/* Every implementation starts with this header (first member). */
struct service {
    const struct service_ops *ops;
};

#endif
