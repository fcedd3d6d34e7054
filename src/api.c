/* api: HTTP routes and JSON for prewarmd (see api.h). */
#include "api.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_claim.h"
#include "daemon.h"
#include "metrics.h"

#define JSON_TYPE "application/json"

/* A deferred claim. ex is NULL once the client went away while the core's
 * answer was already queued; the record is freed when that answer drains. */
struct api_waiter {
    struct api *api;
    struct http_exchange *ex;
    struct daemon_pool *dp;
    uint64_t waiter_id;
    uint64_t queued_at;
    uint64_t bind_ns;
    struct api_waiter *prev, *next;
};

struct api {
    struct daemon *d;
    struct api_waiter *waiters; /* every live record */
};

/* ---- small helpers ---- */

static void json_str_or_null(struct buf *b, const char *s)
{
    if (s && *s)
        buf_append_json_string(b, s);
    else
        buf_append(b, "null", 4);
}

/* The claim answer is written with appends only (no printf): it is on the
 * hot path and printf was most of its cost. */
#define PUT(b, lit) buf_append((b), (lit), sizeof(lit) - 1)

static void put_digits(char *out, unsigned v, int width)
{
    while (width-- > 0) {
        out[width] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ", quoted. */
static void put_time(const struct daemon *d, struct buf *b, uint64_t mono)
{
    int64_t ns = daemon_wall_ns(d, mono);
    time_t sec = (time_t)(ns / 1000000000);
    struct tm tm;
    char out[26] = "\"0000-00-00T00:00:00.000Z\"";
    gmtime_r(&sec, &tm);
    put_digits(out + 1, (unsigned)(tm.tm_year + 1900), 4);
    put_digits(out + 6, (unsigned)tm.tm_mon + 1, 2);
    put_digits(out + 9, (unsigned)tm.tm_mday, 2);
    put_digits(out + 12, (unsigned)tm.tm_hour, 2);
    put_digits(out + 15, (unsigned)tm.tm_min, 2);
    put_digits(out + 18, (unsigned)tm.tm_sec, 2);
    put_digits(out + 21, (unsigned)((ns / 1000000) % 1000), 3);
    buf_append(b, out, sizeof out);
}

static void respond_buf(struct http_exchange *ex, int status, struct buf *b, const char *type)
{
    struct http_header h = {"Content-Type", 12, type, strlen(type)};
    http_respond(ex, status, &h, 1, b->data ? buf_start(b) : "", buf_size(b));
    buf_free(b);
}

/* A Status-shaped error with one extra header (Retry-After, Allow). */
static void error_with(struct http_exchange *ex, int status, const char *reason,
                       const char *message, const char *hname, const char *hvalue)
{
    struct http_header h = {hname, strlen(hname), hvalue, strlen(hvalue)};
    http_respond_error_with(ex, status, reason, message, &h, 1);
}

static void unavailable(struct http_exchange *ex, const char *reason, const char *message)
{
    error_with(ex, 503, reason, message, "Retry-After", "1");
}

static void bad_method(struct http_exchange *ex, const char *allow)
{
    char msg[64];
    snprintf(msg, sizeof msg, "allowed methods: %s", allow);
    error_with(ex, 405, "MethodNotAllowed", msg, "Allow", allow);
}

static bool method_is(const struct http_request *req, const char *m)
{
    return req->method_len == strlen(m) && !memcmp(req->method, m, req->method_len);
}

static void session_json(struct api *api, struct buf *b, const struct pool_session_info *s,
                         bool with_token)
{
    PUT(b, "{\"session_id\":");
    buf_append_json_string(b, s->id);
    PUT(b, ",\"pool\":");
    buf_append_json_string(b, s->pool);
    PUT(b, ",\"pod\":");
    buf_append_json_string(b, s->pod);
    PUT(b, ",\"address\":");
    buf_append_json_string(b, s->address);
    PUT(b, ",\"node\":");
    buf_append_json_string(b, s->node);
    if (with_token) {
        PUT(b, ",\"token\":");
        buf_append_json_string(b, s->token);
    }
    PUT(b, ",\"claimed_at\":");
    put_time(api->d, b, s->claimed_at);
    PUT(b, ",\"expires_at\":");
    put_time(api->d, b, s->expires_at);
    PUT(b, ",\"idle_expires_at\":");
    if (s->idle_expires_at == UINT64_MAX)
        PUT(b, "null");
    else
        put_time(api->d, b, s->idle_expires_at);
    PUT(b, ",\"key\":");
    json_str_or_null(b, s->key);
    PUT(b, ",\"request_id\":");
    json_str_or_null(b, s->request_id);
}

/* ---- claims ---- */

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
    struct daemon *d = u->api->d;
    if (!delivered && pool_set_release(d->set, u->id, loop_now(d->loop)) == POOL_OK) {
        if (d->verbose)
            daemon_log(d, "session %s released: its answer was not delivered", u->id);
        daemon_drain(d);
    }
    free(u);
}

static void watch_new_session(struct api *api, struct http_exchange *ex,
                              const struct pool_session_info *s)
{
    struct unsent_claim *u = malloc(sizeof *u);
    if (!u)
        abort();
    u->api = api;
    memcpy(u->id, s->id, sizeof u->id);
    http_exchange_on_sent(ex, claim_sent, u);
}

static void respond_session(struct api *api, struct http_exchange *ex, int status,
                            const struct pool_session_info *s, const char *outcome,
                            uint64_t bind_ns, uint64_t waited_ns)
{
    struct buf b = {0};
    if (status == 201)
        watch_new_session(api, ex, s);
    if (status == 201 && api->d->verbose)
        daemon_log(api->d, "session %s bound (%s) pool=%s pod=%s", s->id, outcome, s->pool, s->pod);
    session_json(api, &b, s, true);
    PUT(&b, ",\"outcome\":");
    buf_append_json_string(&b, outcome);
    PUT(&b, ",\"bind_ns\":");
    buf_append_uint(&b, bind_ns);
    if (waited_ns) {
        PUT(&b, ",\"waited_ns\":");
        buf_append_uint(&b, waited_ns);
    }
    PUT(&b, "}");
    respond_buf(ex, status, &b, JSON_TYPE);
}

static void claim_failed(struct http_exchange *ex, enum pool_status rc)
{
    switch (rc) {
    case POOL_E_EMPTY:
        return unavailable(ex, "PoolEmpty", "no warm backend is idle; retry or pass wait_ms");
    case POOL_E_WAITERS_FULL:
        return unavailable(ex, "TooManyWaiters", "the pool's waiter queue is full");
    case POOL_E_TTL:
        return http_respond_error(ex, 422, "Invalid", "ttl_seconds: above the pool's maximum");
    case POOL_E_TOO_LONG:
        return http_respond_error(ex, 400, "BadRequest", "key or request_id too long");
    default:
        return unavailable(ex, "Busy", pool_status_str(rc));
    }
}

static void waiter_unlink(struct api_waiter *w)
{
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
    w->ex = NULL;
    if (pool_cancel_waiter(w->dp->pool, w->waiter_id) == POOL_OK)
        waiter_unlink(w);
    /* else its answer is queued; api_waiter_* frees it when drained */
}

static struct api_waiter *waiter_new(struct api *api, struct http_exchange *ex,
                                     struct daemon_pool *dp)
{
    struct api_waiter *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->api = api;
    w->ex = ex;
    w->dp = dp;
    w->queued_at = loop_now(api->d->loop);
    return w;
}

static void waiter_queued(struct api *api, struct api_waiter *w, uint64_t waiter_id)
{
    w->waiter_id = waiter_id;
    w->next = api->waiters;
    if (api->waiters)
        api->waiters->prev = w;
    api->waiters = w;
    http_exchange_on_cancel(w->ex, waiter_cancelled, w);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Calls the core, timing the call; drains first if the action ring is full. */
static enum pool_status timed_claim(struct api *api, struct daemon_pool *dp,
                                    const struct pool_claim_request *pr,
                                    struct pool_claim_result *res, uint64_t *bind_ns)
{
    enum pool_status rc;
    for (int attempt = 0; attempt < 2; attempt++) {
        uint64_t t0 = mono_ns();
        rc = pool_claim(dp->pool, pr, loop_now(api->d->loop), res);
        *bind_ns = mono_ns() - t0;
        if (rc != POOL_E_BUSY)
            break;
        daemon_drain(api->d);
    }
    return rc;
}

static void claim(struct api *api, struct http_exchange *ex, struct daemon_pool *dp,
                  const struct http_request *req)
{
    struct api_claim_args a;
    struct api_claim_error err;
    cJSON *root;
    if (api->d->shutting_down)
        return unavailable(ex, "ShuttingDown", "prewarmd is stopping");
    if (api_claim_parse(req->body, req->body_len, &root, &a, &err)) {
        http_respond_error(ex, err.status, err.reason, err.message);
        goto out;
    }
    struct pool_claim_request pr = {
        .key = a.key, .request_id = a.request_id, .ttl_seconds = a.ttl_seconds};
    struct api_waiter *w = NULL;
    if (a.wait_ms) {
        w = waiter_new(api, ex, dp);
        pr.wait_until = loop_now(api->d->loop) + (uint64_t)a.wait_ms * 1000000u;
        pr.waiter_data = w;
    }
    struct pool_claim_result res;
    uint64_t bind_ns;
    enum pool_status rc = timed_claim(api, dp, &pr, &res, &bind_ns);
    if (rc == POOL_OK && res.outcome == POOL_CLAIM_QUEUED) {
        w->bind_ns = bind_ns;
        waiter_queued(api, w, res.waiter_id);
    } else {
        free(w);
        if (rc == POOL_OK) {
            metrics_histogram_observe(&dp->bind, (double)bind_ns / 1e9);
            respond_session(api, ex, res.outcome == POOL_CLAIM_BOUND ? 201 : 200, &res.session,
                            outcome_str(res.outcome), bind_ns, 0);
        } else {
            claim_failed(ex, rc);
        }
    }
    daemon_drain(api->d);
out:
    cJSON_Delete(root);
}

void api_waiter_bound(struct api *api, void *waiter_data, const struct pool_session_info *s,
                      enum pool_claim_outcome outcome)
{
    struct api_waiter *w = waiter_data;
    bool fresh = outcome == POOL_CLAIM_BOUND;
    if (w->ex) {
        uint64_t waited = loop_now(api->d->loop) - w->queued_at;
        respond_session(api, w->ex, fresh ? 201 : 200, s, fresh ? "waited" : outcome_str(outcome),
                        w->bind_ns, waited ? waited : 1);
    } else if (fresh) {
        /* The client left after the core bound it a new session: give the
         * pod back. A reused or replayed session belongs to the caller that
         * created it and stays. */
        pool_set_release(api->d->set, s->id, loop_now(api->d->loop));
    }
    waiter_unlink(w);
}

void api_waiter_timed_out(struct api *api, void *waiter_data)
{
    (void)api;
    struct api_waiter *w = waiter_data;
    if (w->ex)
        unavailable(w->ex, "WaitTimedOut", "no backend became ready within wait_ms");
    waiter_unlink(w);
}

void api_shutdown(struct api *api)
{
    struct api_waiter *w = api->waiters;
    while (w) {
        struct api_waiter *next = w->next;
        if (w->ex) {
            unavailable(w->ex, "ShuttingDown", "prewarmd is stopping");
            w->ex = NULL;
            if (pool_cancel_waiter(w->dp->pool, w->waiter_id) == POOL_OK)
                waiter_unlink(w);
        }
        w = next;
    }
}

struct api *api_new(struct daemon *d)
{
    struct api *api = calloc(1, sizeof *api);
    if (api)
        api->d = d;
    return api;
}

void api_free(struct api *api)
{
    if (!api)
        return;
    while (api->waiters)
        waiter_unlink(api->waiters);
    free(api);
}

/* ---- sessions ---- */

static void session_route(struct api *api, struct http_exchange *ex, const struct http_request *req,
                          const char *id, bool keepalive)
{
    struct pool_session_info s;
    uint64_t now = loop_now(api->d->loop);
    enum pool_status rc;
    if (keepalive) {
        if (!method_is(req, "POST"))
            return bad_method(ex, "POST");
        rc = pool_set_keepalive(api->d->set, id, now, &s);
        daemon_drain(api->d);
    } else if (method_is(req, "GET")) {
        rc = pool_set_session(api->d->set, id, &s);
    } else if (method_is(req, "DELETE")) {
        rc = pool_set_release(api->d->set, id, now);
        daemon_drain(api->d);
        if (rc == POOL_OK) {
            struct buf b = {0};
            buf_appendf(&b, "{\"status\":\"Released\",\"session_id\":\"%s\"}", id);
            return respond_buf(ex, 200, &b, JSON_TYPE);
        }
    } else {
        return bad_method(ex, "GET, DELETE");
    }
    if (rc != POOL_OK)
        return http_respond_error(ex, 404, "NotFound", "no such session (ended or never existed)");
    struct buf b = {0};
    session_json(api, &b, &s, false);
    buf_appendf(&b, "}");
    respond_buf(ex, 200, &b, JSON_TYPE);
}

/* ---- pools, health, metrics ---- */

static const char *const state_names[] = {"gone",  "creating", "starting",
                                          "ready", "bound",    "draining"};

static void pool_json(struct buf *b, const struct daemon_pool *dp)
{
    struct pool_counts c;
    const struct config_pool *cfg = dp->cfg;
    pool_get_counts(dp->pool, &c);
    buf_appendf(b, "{\"name\":");
    buf_append_json_string(b, cfg->name);
    buf_appendf(b, ",\"provider\":\"local\",\"pods\":{");
    for (int st = POOL_POD_CREATING; st < POOL_POD_STATE_COUNT; st++)
        buf_appendf(b, "%s\"%s\":%u", st > 1 ? "," : "", state_names[st], c.by_state[st]);
    buf_appendf(b,
                "},\"live\":%u,\"sessions\":%u,\"waiters\":%u,\"reached_min_idle\":%s,"
                "\"config\":{\"min_idle\":%u,\"max_idle\":%u,\"max_total\":%u,"
                "\"session_ttl_seconds\":%u,\"session_ttl_max_seconds\":%u,"
                "\"idle_timeout_seconds\":%u,\"max_waiters\":%u,\"start_timeout_seconds\":%u}}",
                c.live, c.sessions, c.waiters, dp->reached_min_idle ? "true" : "false",
                cfg->min_idle, cfg->max_idle, cfg->max_total, cfg->session_ttl_s,
                cfg->session_ttl_max_s, cfg->idle_timeout_s, cfg->max_waiters,
                cfg->start_timeout_s);
}

static void pools_route(struct api *api, struct http_exchange *ex, const struct http_request *req,
                        struct daemon_pool *one)
{
    if (!method_is(req, "GET"))
        return bad_method(ex, "GET");
    struct buf b = {0};
    if (one) {
        pool_json(&b, one);
    } else {
        buf_appendf(&b, "{\"pools\":[");
        for (size_t i = 0; i < api->d->npools; i++) {
            if (i)
                buf_appendf(&b, ",");
            pool_json(&b, &api->d->pools[i]);
        }
        buf_appendf(&b, "]}");
    }
    respond_buf(ex, 200, &b, JSON_TYPE);
}

static void readyz(struct api *api, struct http_exchange *ex)
{
    struct buf b = {0};
    bool ready = daemon_ready(api->d) && !api->d->shutting_down;
    buf_appendf(&b, "{\"ready\":%s,\"pools\":{", ready ? "true" : "false");
    for (size_t i = 0; i < api->d->npools; i++) {
        if (i)
            buf_appendf(&b, ",");
        buf_append_json_string(&b, api->d->pools[i].cfg->name);
        buf_appendf(&b, ":%s", api->d->pools[i].reached_min_idle ? "true" : "false");
    }
    buf_appendf(&b, "}}");
    respond_buf(ex, ready ? 200 : 503, &b, JSON_TYPE);
}

struct family {
    const char *name, *type, *help;
};

static void metrics_gauges(struct buf *b, struct daemon *d)
{
    metrics_family(b, "prewarm_pods", "gauge", "Pods by pool and state.");
    for (size_t i = 0; i < d->npools; i++) {
        struct pool_counts c;
        pool_get_counts(d->pools[i].pool, &c);
        for (int st = POOL_POD_CREATING; st < POOL_POD_STATE_COUNT; st++) {
            const char *l[] = {"pool", d->pools[i].cfg->name, "state", state_names[st]};
            metrics_sample(b, "prewarm_pods", l, 2, c.by_state[st]);
        }
    }
    metrics_family(b, "prewarm_sessions", "gauge", "Live sessions by pool.");
    for (size_t i = 0; i < d->npools; i++) {
        struct pool_counts c;
        pool_get_counts(d->pools[i].pool, &c);
        const char *l[] = {"pool", d->pools[i].cfg->name};
        metrics_sample(b, "prewarm_sessions", l, 1, c.sessions);
    }
    metrics_family(b, "prewarm_waiters", "gauge", "Claims waiting for a Ready pod, by pool.");
    for (size_t i = 0; i < d->npools; i++) {
        struct pool_counts c;
        pool_get_counts(d->pools[i].pool, &c);
        const char *l[] = {"pool", d->pools[i].cfg->name};
        metrics_sample(b, "prewarm_waiters", l, 1, c.waiters);
    }
}

/* One counter family with a second label taking values[] from counters. */
static void counter_family(struct buf *b, struct daemon *d, const struct family *f,
                           const char *label, const char *const *values, const size_t *offsets,
                           size_t n)
{
    metrics_family(b, f->name, f->type, f->help);
    for (size_t i = 0; i < d->npools; i++) {
        struct pool_counters pc;
        pool_get_counters(d->pools[i].pool, &pc);
        for (size_t j = 0; j < n; j++) {
            const char *l[] = {"pool", d->pools[i].cfg->name, label, label ? values[j] : NULL};
            uint64_t v = *(const uint64_t *)((const char *)&pc + offsets[j]);
            metrics_sample(b, f->name, l, label ? 2 : 1, (double)v);
        }
    }
}

#define OFF(field) offsetof(struct pool_counters, field)

static void metrics_counters(struct buf *b, struct daemon *d)
{
    static const struct family claims = {"prewarm_claims_total", "counter",
                                         "Claims by pool and result."};
    static const char *const cv[] = {"bound", "key_reused", "replayed", "queued", "empty"};
    static const size_t co[] = {OFF(claims_bound), OFF(key_reused), OFF(idempotent_replay),
                                OFF(claims_queued), OFF(claims_empty)};
    counter_family(b, d, &claims, "result", cv, co, 5);
    static const struct family waiters = {"prewarm_waiters_total", "counter",
                                          "Waiting claims by pool and how they ended."};
    static const char *const wv[] = {"bound", "timed_out", "cancelled"};
    static const size_t wo[] = {OFF(waiters_bound), OFF(waiters_timed_out), OFF(waiters_cancelled)};
    counter_family(b, d, &waiters, "result", wv, wo, 3);
    static const struct family ended = {"prewarm_sessions_ended_total", "counter",
                                        "Ended sessions by pool and reason."};
    static const char *const ev[] = {"released", "ttl", "idle", "pod_died"};
    static const size_t eo[] = {OFF(released), OFF(expired_ttl), OFF(expired_idle),
                                OFF(pod_died_bound)};
    counter_family(b, d, &ended, "reason", ev, eo, 4);
    static const struct family created = {"prewarm_pods_requested_total", "counter",
                                          "Pods asked of the provider, by pool."};
    static const size_t ro[] = {OFF(pods_requested)};
    counter_family(b, d, &created, NULL, NULL, ro, 1);
    static const struct family deleted = {
        "prewarm_pods_deleted_total", "counter",
        "Pods deleted (after a session, surplus, stuck), by pool."};
    static const size_t dO[] = {OFF(pods_deleted)};
    counter_family(b, d, &deleted, NULL, NULL, dO, 1);
}

static void metrics_route(struct api *api, struct http_exchange *ex)
{
    struct buf b = {0};
    struct daemon *d = api->d;
    metrics_gauges(&b, d);
    metrics_counters(&b, d);
    metrics_family(&b, "prewarm_claim_bind_seconds", "histogram",
                   "Time the pool core took to answer a claim (bind, key reuse or replay).");
    for (size_t i = 0; i < d->npools; i++) {
        const char *l[] = {"pool", d->pools[i].cfg->name};
        metrics_histogram_write(&b, "prewarm_claim_bind_seconds", l, 1, &d->pools[i].bind);
    }
    metrics_family(&b, "prewarm_ready", "gauge", "1 once every pool reached min_idle.");
    metrics_sample(&b, "prewarm_ready", NULL, 0, daemon_ready(d) ? 1 : 0);
    respond_buf(ex, 200, &b, METRICS_CONTENT_TYPE);
}

/* ---- routing ---- */

static bool path_is(const struct http_request *req, const char *p)
{
    return req->path_len == strlen(p) && !memcmp(req->path, p, req->path_len);
}

static bool starts_with(const char *s, size_t len, const char *prefix, size_t *rest)
{
    size_t n = strlen(prefix);
    if (len < n || memcmp(s, prefix, n))
        return false;
    *rest = n;
    return true;
}

static void simple_get(struct http_exchange *ex, const struct http_request *req, const char *body)
{
    if (!method_is(req, "GET"))
        return bad_method(ex, "GET");
    struct http_header h = {"Content-Type", 12, JSON_TYPE, strlen(JSON_TYPE)};
    http_respond(ex, 200, &h, 1, body, strlen(body));
}

/* /v1/pools[/{pool}[/claims]] */
static void pools_prefix(struct api *api, struct http_exchange *ex, const struct http_request *req,
                         const char *rest, size_t len)
{
    if (len == 0)
        return pools_route(api, ex, req, NULL);
    if (rest[0] != '/' || len == 1)
        return http_respond_error(ex, 404, "NotFound", "no such route");
    rest++, len--;
    const char *slash = memchr(rest, '/', len);
    size_t name_len = slash ? (size_t)(slash - rest) : len;
    struct daemon_pool *dp = daemon_find_pool(api->d, rest, name_len);
    bool claims = slash && len - name_len == 7 && !memcmp(slash, "/claims", 7);
    if (slash && !claims)
        return http_respond_error(ex, 404, "NotFound", "no such route");
    if (!dp) {
        char msg[128];
        snprintf(msg, sizeof msg, "no pool named \"%.*s\"", (int)(name_len > 64 ? 64 : name_len),
                 rest);
        return http_respond_error(ex, 404, "NotFound", msg);
    }
    if (!claims)
        return pools_route(api, ex, req, dp);
    if (!method_is(req, "POST"))
        return bad_method(ex, "POST");
    claim(api, ex, dp, req);
}

/* /v1/sessions/{id}[/keepalive] */
static void sessions_prefix(struct api *api, struct http_exchange *ex,
                            const struct http_request *req, const char *rest, size_t len)
{
    const char *slash = memchr(rest, '/', len);
    size_t id_len = slash ? (size_t)(slash - rest) : len;
    bool keepalive = slash && len - id_len == 10 && !memcmp(slash, "/keepalive", 10);
    if ((slash && !keepalive) || id_len == 0)
        return http_respond_error(ex, 404, "NotFound", "no such route");
    if (id_len > POOL_SESSION_ID_LEN)
        return http_respond_error(ex, 404, "NotFound", "no such session");
    char id[POOL_SESSION_ID_LEN + 1];
    memcpy(id, rest, id_len);
    id[id_len] = '\0';
    session_route(api, ex, req, id, keepalive);
}

void api_handle(void *ctx, struct http_exchange *ex, const struct http_request *req)
{
    struct api *api = ctx;
    size_t n;
    if (starts_with(req->path, req->path_len, "/v1/pools", &n))
        return pools_prefix(api, ex, req, req->path + n, req->path_len - n);
    if (starts_with(req->path, req->path_len, "/v1/sessions/", &n))
        return sessions_prefix(api, ex, req, req->path + n, req->path_len - n);
    if (path_is(req, "/healthz"))
        return simple_get(ex, req, "{\"status\":\"ok\"}");
    if (path_is(req, "/readyz"))
        return method_is(req, "GET") ? readyz(api, ex) : bad_method(ex, "GET");
    if (path_is(req, "/metrics"))
        return method_is(req, "GET") ? metrics_route(api, ex) : bad_method(ex, "GET");
    http_respond_error(ex, 404, "NotFound", "no such route");
}
