/*
 * api_claims: POST /v1/pools/{pool}/claims, deferred claims (waiters) and
 * new sessions whose answer never left prewarmd (see api.h).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "api_claim.h"
#include "api_guard.h"
#include "api_internal.h"
#include "json_out.h"
#include "log.h"
#include "loop.h"
#include "oom.h"

/* A deferred claim. ex is NULL once the client went away while the core's
 * answer was already queued; the record is freed when that answer drains. */
struct api_waiter {
    struct api *api;
    struct http_exchange *ex;
    size_t pool;
    uint64_t waiter_id;
    uint64_t queued_at;
    uint64_t started_ns; /* loop_clock_ns() when the request was handled */
    uint64_t bind_ns;
    struct api_caller who; /* counted in who.caller->waiters while queued */
    struct api_waiter *prev, *next;
};

static const char *outcome_str(enum pool_claim_outcome o)
{
    return o == POOL_CLAIM_KEY_REUSED ? "key_reused"
           : o == POOL_CLAIM_REPLAYED ? "replayed"
                                      : "bound";
}

/* A new session's answer that never left prewarmd (the client went away
 * first) is released: nobody knows the session, so nobody would end it. */
struct unsent_claim {
    struct api *api;
    char id[POOL_SESSION_ID_LEN + 1];
};

static void claim_sent(void *data, bool delivered)
{
    struct unsent_claim *u = data;
    struct service *svc = u->api->svc;
    if (!delivered && svc->ops->release(svc, u->id) == POOL_OK)
        LOG_INFO(u->api->log, "session released: its answer was not delivered",
                 LOG_STR("session", u->id));
    free(u);
}

static void watch_new_session(struct api *api, struct http_exchange *ex,
                              const struct pool_session_info *s)
{
    struct unsent_claim *u = xmalloc(sizeof *u);
    u->api = api;
    memcpy(u->id, s->id, sizeof u->id);
    http_exchange_on_sent(ex, claim_sent, u);
}

/* What a claim answer needs besides the session. */
struct claim_answer {
    size_t pool;
    uint64_t started_ns; /* loop_clock_ns() when the request was handled */
    uint64_t bind_ns;
    uint64_t waited_ns; /* 0 = did not wait */
};

static void respond_session(struct api *api, struct http_exchange *ex, int status,
                            const struct pool_session_info *s, const char *outcome,
                            const struct claim_answer *c)
{
    struct buf b = {0};
    if (status == 201) {
        watch_new_session(api, ex, s);
        LOG_INFO(api->log, "session bound", LOG_STR("request_id", http_exchange_request_id(ex)),
                 LOG_STR("session", s->id), LOG_STR("outcome", outcome), LOG_STR("pool", s->pool),
                 LOG_STR("pod", s->pod), LOG_UINT("bind_ns", c->bind_ns));
    }
    api_json_session(api, &b, s, true);
    JSON_LIT(&b, ",\"outcome\":");
    json_str(&b, outcome);
    JSON_LIT(&b, ",\"bind_ns\":");
    json_uint(&b, c->bind_ns);
    if (c->waited_ns) {
        JSON_LIT(&b, ",\"waited_ns\":");
        json_uint(&b, c->waited_ns);
    }
    JSON_LIT(&b, "}");
    api_respond_buf(ex, status, &b, API_JSON_TYPE);
    api->svc->ops->claim_answered(api->svc, c->pool, status, loop_clock_ns() - c->started_ns);
}

static void claim_refused(struct api *api, struct http_exchange *ex, size_t pool,
                          enum pool_status rc)
{
    int status = rc == POOL_E_TTL ? 422 : rc == POOL_E_TOO_LONG ? 400 : 503;
    api->svc->ops->claim_answered(api->svc, pool, status, 0);
    switch (rc) {
    case POOL_E_EMPTY:
        return api_unavailable(ex, "PoolEmpty", "no warm backend is idle; retry or pass wait_ms");
    case POOL_E_WAITERS_FULL:
        return api_unavailable(ex, "TooManyWaiters", "the pool's waiter queue is full");
    case POOL_E_TTL:
        return http_respond_error(ex, 422, "Invalid", "ttl_seconds: above the pool's maximum");
    case POOL_E_TOO_LONG:
        return http_respond_error(ex, 400, "BadRequest", "key or request_id too long");
    default:
        return api_unavailable(ex, "Busy", pool_status_str(rc));
    }
}

/* ---- waiters ---- */

static void waiter_unlink(struct api_waiter *w)
{
    if (w->who.caller)
        w->who.caller->waiters--;
    if (w->prev)
        w->prev->next = w->next;
    else
        w->api->waiters = w->next;
    if (w->next)
        w->next->prev = w->prev;
    free(w);
}

static void waiter_cancelled(void *data)
{
    struct api_waiter *w = data;
    struct service *svc = w->api->svc;
    w->ex = NULL;
    if (svc->ops->cancel_waiter(svc, w->pool, w->waiter_id) == POOL_OK)
        waiter_unlink(w);
    /* else its answer is queued; api_waiter_* frees it when drained */
}

static struct api_waiter *waiter_new(struct api *api, struct http_exchange *ex, size_t pool,
                                     uint64_t started_ns)
{
    struct api_waiter *w = xcalloc(1, sizeof *w);
    w->api = api;
    w->ex = ex;
    w->pool = pool;
    w->who = api->caller;
    w->queued_at = api->svc->ops->now(api->svc);
    w->started_ns = started_ns;
    return w;
}

static void waiter_queued(struct api *api, struct api_waiter *w, uint64_t waiter_id)
{
    w->waiter_id = waiter_id;
    if (w->who.caller)
        w->who.caller->waiters++;
    w->next = api->waiters;
    if (api->waiters)
        api->waiters->prev = w;
    api->waiters = w;
    http_exchange_on_cancel(w->ex, waiter_cancelled, w);
}

/* Asks the service; answers now, or queues the waiter for a later answer. */
static void claim(struct api *api, struct http_exchange *ex, size_t pool,
                  const struct api_claim_args *a, uint64_t started_ns)
{
    struct service *svc = api->svc;
    char key[API_SCOPED_MAX], request_id[API_SCOPED_MAX];
    struct pool_claim_request pr = {.key = api_guard_scope(&api->caller, a->key, key),
                                    .request_id =
                                        api_guard_scope(&api->caller, a->request_id, request_id),
                                    .owner = api_guard_owner(&api->caller),
                                    .ttl_seconds = a->ttl_seconds};
    struct api_waiter *w = NULL;
    if (a->wait_ms) {
        w = waiter_new(api, ex, pool, started_ns);
        pr.wait_until = svc->ops->now(svc) + (uint64_t)a->wait_ms * 1000000u;
        pr.waiter_data = w;
    }
    struct pool_claim_result res;
    uint64_t bind_ns;
    enum pool_status rc = svc->ops->claim(svc, pool, &pr, &res, &bind_ns);
    if (rc == POOL_OK && res.outcome == POOL_CLAIM_QUEUED) {
        w->bind_ns = bind_ns;
        return waiter_queued(api, w, res.waiter_id);
    }
    free(w);
    if (rc != POOL_OK)
        return claim_refused(api, ex, pool, rc);
    struct claim_answer c = {.pool = pool, .started_ns = started_ns, .bind_ns = bind_ns};
    respond_session(api, ex, res.outcome == POOL_CLAIM_BOUND ? 201 : 200, &res.session,
                    outcome_str(res.outcome), &c);
}

void api_claim_route(void *ctx, struct http_exchange *ex, const struct http_request *req,
                     const struct http_route_match *m)
{
    struct api *api = ctx;
    struct api_claim_args a;
    struct api_claim_error err;
    cJSON *root;
    uint64_t started_ns = loop_clock_ns();
    size_t pool = (size_t)m->params[0].resolved;
    if (api->svc->ops->stopping(api->svc))
        return api_unavailable(ex, "ShuttingDown", "prewarmd is stopping");
    if (api_claim_parse(req->body, req->body_len, &root, &a, &err)) {
        api->svc->ops->claim_answered(api->svc, pool, err.status, 0);
        http_respond_error(ex, err.status, err.reason, err.message);
    } else if (api_guard_admit_claim(api, ex, a.wait_ms > 0)) {
        claim(api, ex, pool, &a, started_ns);
    }
    cJSON_Delete(root);
}

void api_waiter_bound(struct api *api, void *waiter_data, const struct pool_session_info *s,
                      enum pool_claim_outcome outcome)
{
    struct api_waiter *w = waiter_data;
    struct service *svc = api->svc;
    bool fresh = outcome == POOL_CLAIM_BOUND;
    if (w->ex) {
        uint64_t waited = svc->ops->now(svc) - w->queued_at;
        struct claim_answer c = {.pool = w->pool,
                                 .started_ns = w->started_ns,
                                 .bind_ns = w->bind_ns,
                                 .waited_ns = waited ? waited : 1};
        respond_session(api, w->ex, fresh ? 201 : 200, s, fresh ? "waited" : outcome_str(outcome),
                        &c);
    } else if (fresh) {
        /* The client left after the core bound it a new session: give the
         * pod back. A reused or replayed session belongs to the caller that
         * created it and stays. */
        svc->ops->release(svc, s->id);
    }
    waiter_unlink(w);
}

void api_waiter_timed_out(struct api *api, void *waiter_data)
{
    (void)api;
    struct api_waiter *w = waiter_data;
    if (w->ex)
        api_unavailable(w->ex, "WaitTimedOut", "no backend became ready within wait_ms");
    waiter_unlink(w);
}

void api_shutdown(struct api *api)
{
    struct api_waiter *w = api->waiters;
    while (w) {
        struct api_waiter *next = w->next;
        if (w->ex) {
            api_unavailable(w->ex, "ShuttingDown", "prewarmd is stopping");
            w->ex = NULL;
            if (api->svc->ops->cancel_waiter(api->svc, w->pool, w->waiter_id) == POOL_OK)
                waiter_unlink(w);
        }
        w = next;
    }
}

void api_free(struct api *api)
{
    if (!api)
        return;
    while (api->waiters)
        waiter_unlink(api->waiters);
    free(api);
}
