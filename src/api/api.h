/*
 * api: prewarmd's HTTP routes and their JSON.
 *
 *   POST   /v1/pools/{pool}/claims       claim a warm backend
 *   GET    /v1/pools, /v1/pools/{pool}   counts by pod state + config
 *   GET    /v1/sessions/{id}             a live session (without its token)
 *   DELETE /v1/sessions/{id}             release -> 200 {"status":"Released",...}
 *   POST   /v1/sessions/{id}/keepalive   push the idle deadline -> 200 session
 *   GET    /healthz                      200 while the process runs
 *   GET    /readyz                       200 once every pool's Ready count has
 *                                        reached min_idle at least once (503
 *                                        before, and while shutting down)
 *   GET    /metrics                      Prometheus text 0.0.4, or OpenMetrics 1.0
 *                                        when Accept prefers it
 *   GET    /dashboard, /dashboard/state  the live page and the JSON it polls
 *   GET    /openapi.yaml                 this API's OpenAPI document
 *   GET|PUT /v1/log/level                the log level, changed at run time
 *
 * Claim body (optional; {} or empty = defaults):
 *   {"key": str<=128, "request_id": str<=128, "ttl_seconds": int,
 *    "wait_ms": int 0..30000, "metadata": object}
 * Answers: 201 new session; 200 same session again (live session with the
 * same key -> KEY_REUSED, or the same request_id -> replay); the body is
 *   {"session_id","pool","pod","address","node","token","claimed_at",
 *    "expires_at","idle_expires_at"|null,"key"|null,"request_id"|null,
 *    "outcome":"bound|key_reused|replayed|waited","bind_ns"}
 * with RFC 3339 UTC times in milliseconds and bind_ns the nanoseconds the
 * pool core's claim call took (clock_gettime around it).
 * wait_ms > 0 and no idle pod: the answer is deferred until a pod is Ready
 * (FIFO, the core's order) or the wait ends; a client that disconnects first
 * withdraws its waiter. A waiter whose key or request_id names a session
 * created meanwhile (by an earlier waiter) gets that session: 200 with
 * outcome key_reused / replayed; a new session is 201 "waited". If the
 * client left just as a new session was bound for it, that session is
 * released; a reused one is left to its owner. Likewise a 201 whose bytes
 * never left prewarmd (the connection closed or the HTTP/2 stream was reset
 * first, see http_exchange_on_sent) releases its new session.
 *
 * Errors (Kubernetes-Status-shaped JSON, stable reasons):
 *   400 BadRequest      malformed JSON, wrong types, unknown fields, too long
 *   422 Invalid         well-typed but out of range (ttl above the pool's max,
 *                       wait_ms above 30000, negative numbers)
 *   404 NotFound        unknown route, pool or session
 *   405 MethodNotAllowed (with Allow)
 *   503 PoolEmpty       no idle pod and no wait (Retry-After: 1)
 *   503 TooManyWaiters  max_waiters reached (Retry-After: 1)
 *   503 WaitTimedOut    the wait ended without a pod (Retry-After: 1)
 *   503 ShuttingDown    the daemon is stopping
 *
 * Layout: api.c holds the route table and the small routes; api_claims.c
 * claims and their waiters; api_json.c the JSON of sessions and pools
 * (json_out.h style); metrics text comes from src/metrics. Everything the
 * routes know of the daemon goes through struct service (service.h).
 *
 * Ownership: struct api belongs to the daemon (api_new/api_free) and borrows
 * the service; waiters are allocated per deferred claim and freed when
 * answered or cancelled. Callers: src/daemon (handler registration, WAITER_*
 * actions, shutdown) and tests.
 */
#ifndef PREWARM_API_H
#define PREWARM_API_H

#include <stdbool.h>
#include <stdint.h>

#include "http_server.h"
#include "pool.h"
#include "service.h"

struct api;
struct auth;

/* Who may call what (api_guard.h); all zero = an open API. Borrowed: the
 * auth table and the key outlive the API. */
struct api_security {
    struct auth *auth; /* NULL: no authentication */
    bool open_probes;  /* /healthz, /readyz without a token */
    bool open_metrics; /* /metrics without a token */
    const uint8_t *connect_key;
    size_t connect_key_len;
};

/* Requests turned away, for metrics and logs. */
struct api_stats {
    uint64_t unauthenticated; /* 401 */
    uint64_t forbidden;       /* 403 */
    uint64_t rate_limited;    /* 429 */
};

/* log: where session lines go (log.h), and whose level PUT /v1/log/level
 * changes; borrowed, not NULL. */
struct api *api_new(struct service *svc, struct log *log);
void api_set_security(struct api *api, const struct api_security *sec);
const struct api_stats *api_stats(const struct api *api);
/* Frees waiters whose answer never came (their exchanges are already gone). */
void api_free(struct api *api);

/* The http_server handler; ctx is the struct api. */
void api_handle(void *ctx, struct http_exchange *ex, const struct http_request *req);
/* The health listener's handler: /healthz, /readyz, /metrics only. */
void api_handle_health(void *ctx, struct http_exchange *ex, const struct http_request *req);

/* WAITER_BOUND / WAITER_TIMED_OUT actions; waiter_data from the action. */
void api_waiter_bound(struct api *api, void *waiter_data, const struct pool_session_info *s,
                      enum pool_claim_outcome outcome);
void api_waiter_timed_out(struct api *api, void *waiter_data);

/* Answers every pending waiter with 503 ShuttingDown (their core waiters
 * are withdrawn). */
void api_shutdown(struct api *api);

#endif
