/* api: the route table and the small routes of prewarmd (see api.h). */
#include "api.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_guard.h"
#include "api_internal.h"
#include "json_out.h"
#include "metrics.h"
#include "oom.h"

void api_respond_buf(struct http_exchange *ex, int status, struct buf *b, const char *type)
{
    struct http_header h = {"Content-Type", 12, type, strlen(type)};
    http_respond(ex, status, &h, 1, b->data ? buf_start(b) : "", buf_size(b));
    buf_free(b);
}

void api_unavailable(struct http_exchange *ex, const char *reason, const char *message)
{
    struct http_header h = {"Retry-After", 11, "1", 1};
    http_respond_error_with(ex, 503, reason, message, &h, 1);
}

/* ---- sessions ---- */

static void session_answer(struct api *api, struct http_exchange *ex, enum pool_status rc,
                           const struct pool_session_info *s)
{
    if (rc != POOL_OK)
        return http_respond_error(ex, 404, "NotFound", "no such session (ended or never existed)");
    struct buf b = {0};
    api_json_session(api, &b, s, false);
    JSON_LIT(&b, "}");
    api_respond_buf(ex, 200, &b, API_JSON_TYPE);
}

/* {id} was checked for length by resolve(); copy it as a C string. */
static void session_id(const struct http_route_match *m, char id[POOL_SESSION_ID_LEN + 1])
{
    memcpy(id, m->params[0].value, m->params[0].len);
    id[m->params[0].len] = '\0';
}

/* The session id names, if api->caller may use it; another caller's session
 * is POOL_E_NOT_FOUND, as if it did not exist. */
static enum pool_status usable_session(struct api *api, const char *id, struct pool_session_info *s)
{
    enum pool_status rc = api->svc->ops->session(api->svc, id, s);
    return rc == POOL_OK && !api_guard_may_use(api, s) ? POOL_E_NOT_FOUND : rc;
}

/* GET /v1/sessions/{id} and POST .../keepalive: the session, without token. */
static void session_show(struct api *api, struct http_exchange *ex,
                         const struct http_route_match *m, bool keepalive)
{
    char id[POOL_SESSION_ID_LEN + 1];
    struct pool_session_info s;
    session_id(m, id);
    struct service *svc = api->svc;
    enum pool_status rc = usable_session(api, id, &s);
    if (rc == POOL_OK && keepalive)
        rc = svc->ops->keepalive(svc, id, &s);
    session_answer(api, ex, rc, &s);
}

static void session_get(void *ctx, struct http_exchange *ex, const struct http_request *req,
                        const struct http_route_match *m)
{
    (void)req;
    session_show(ctx, ex, m, false);
}

static void session_keepalive(void *ctx, struct http_exchange *ex, const struct http_request *req,
                              const struct http_route_match *m)
{
    (void)req;
    session_show(ctx, ex, m, true);
}

static void session_delete(void *ctx, struct http_exchange *ex, const struct http_request *req,
                           const struct http_route_match *m)
{
    (void)req;
    struct api *api = ctx;
    char id[POOL_SESSION_ID_LEN + 1];
    struct pool_session_info s;
    session_id(m, id);
    if (usable_session(api, id, &s) != POOL_OK || api->svc->ops->release(api->svc, id) != POOL_OK)
        return session_answer(api, ex, POOL_E_NOT_FOUND, NULL);
    struct buf b = {0};
    JSON_LIT(&b, "{\"status\":\"Released\",\"session_id\":");
    json_str(&b, id);
    JSON_LIT(&b, "}");
    api_respond_buf(ex, 200, &b, API_JSON_TYPE);
}

/* ---- pools, health, metrics ---- */

static void pool_item(struct buf *b, const void *api, size_t i)
{
    struct service *svc = ((const struct api *)api)->svc;
    struct service_pool_info p;
    svc->ops->pool_info(svc, i, &p);
    api_json_pool(b, &p);
}

static void pools_list(void *ctx, struct http_exchange *ex, const struct http_request *req,
                       const struct http_route_match *m)
{
    (void)req, (void)m;
    struct service *svc = ((struct api *)ctx)->svc;
    struct buf b = {0};
    JSON_LIT(&b, "{\"pools\":");
    json_array(&b, svc->ops->pool_count(svc), pool_item, ctx);
    JSON_LIT(&b, "}");
    api_respond_buf(ex, 200, &b, API_JSON_TYPE);
}

static void pool_get(void *ctx, struct http_exchange *ex, const struct http_request *req,
                     const struct http_route_match *m)
{
    (void)req;
    struct service *svc = ((struct api *)ctx)->svc;
    struct service_pool_info p;
    struct buf b = {0};
    svc->ops->pool_info(svc, (size_t)m->params[0].resolved, &p);
    api_json_pool(&b, &p);
    api_respond_buf(ex, 200, &b, API_JSON_TYPE);
}

static void healthz(void *ctx, struct http_exchange *ex, const struct http_request *req,
                    const struct http_route_match *m)
{
    (void)ctx, (void)req, (void)m;
    struct buf b = {0};
    JSON_LIT(&b, "{\"status\":\"ok\"}");
    api_respond_buf(ex, 200, &b, API_JSON_TYPE);
}

static void readyz(void *ctx, struct http_exchange *ex, const struct http_request *req,
                   const struct http_route_match *m)
{
    (void)req, (void)m;
    struct api *api = ctx;
    bool ready = api->svc->ops->ready(api->svc) && !api->svc->ops->stopping(api->svc);
    struct buf b = {0};
    api_json_readyz(api, &b, ready);
    api_respond_buf(ex, ready ? 200 : 503, &b, API_JSON_TYPE);
}

/* Prometheus text, or OpenMetrics when Accept prefers it. */
static void metrics(void *ctx, struct http_exchange *ex, const struct http_request *req,
                    const struct http_route_match *m)
{
    (void)m;
    struct service *svc = ((struct api *)ctx)->svc;
    size_t accept_len = 0;
    const char *accept = http_request_header(req, "accept", &accept_len);
    struct buf b = {0};
    struct metrics_writer w = {.buf = &b, .format = metrics_negotiate(accept, accept_len)};
    svc->ops->collect_metrics(svc, &w);
    api_respond_buf(ex, 200, &b, metrics_content_type(w.format));
}

/* ---- log level ---- */

static void log_level_answer(struct api *api, struct http_exchange *ex)
{
    struct buf b = {0};
    JSON_LIT(&b, "{\"level\":");
    json_str(&b, log_level_name(api->log->level));
    JSON_LIT(&b, "}");
    api_respond_buf(ex, 200, &b, API_JSON_TYPE);
}

/* GET /v1/log/level: {"level":"info"}. */
static void log_level_get(void *ctx, struct http_exchange *ex, const struct http_request *req,
                          const struct http_route_match *m)
{
    (void)req, (void)m;
    log_level_answer(ctx, ex);
}

/* PUT /v1/log/level {"level":"debug"}: the level from now on. */
static void log_level_put(void *ctx, struct http_exchange *ex, const struct http_request *req,
                          const struct http_route_match *m)
{
    (void)m;
    struct api *api = ctx;
    enum log_level level;
    cJSON *root = cJSON_ParseWithLength(req->body, req->body_len);
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(root, "level");
    bool only_level = cJSON_IsObject(root) && cJSON_GetArraySize(root) == 1;
    if (!only_level || !cJSON_IsString(l) ||
        !log_level_parse(l->valuestring, strlen(l->valuestring), &level)) {
        cJSON_Delete(root);
        return http_respond_error(ex, 400, "BadRequest",
                                  "the body must be {\"level\": \"debug|info|warn|error\"}");
    }
    cJSON_Delete(root);
    if (level != api->log->level)
        LOG_AT(api->log, level > api->log->level ? api->log->level : level, "log level changed",
               LOG_STR("from", log_level_name(api->log->level)),
               LOG_STR("to", log_level_name(level)));
    log_set_level(api->log, level);
    log_level_answer(api, ex);
}

/* ---- routing ---- */

/* Every route of prewarmd. Order matters only for the Allow header of a
 * 405 (methods are listed in table order). auth: who may call it; the
 * router's guard (api_guard.h) enforces it. */
static const struct http_route routes[] = {
    {"POST", "/v1/pools/{pool}/claims", api_claim_route, HTTP_AUTH_CLIENT},
    {"GET", "/v1/pools", pools_list, HTTP_AUTH_OPERATOR},
    {"GET", "/v1/pools/{pool}", pool_get, HTTP_AUTH_OPERATOR},
    {"GET", "/v1/sessions/{id}", session_get, HTTP_AUTH_CLIENT},
    {"DELETE", "/v1/sessions/{id}", session_delete, HTTP_AUTH_CLIENT},
    {"POST", "/v1/sessions/{id}/keepalive", session_keepalive, HTTP_AUTH_CLIENT},
    {"GET", "/v1/log/level", log_level_get, HTTP_AUTH_OPERATOR},
    {"PUT", "/v1/log/level", log_level_put, HTTP_AUTH_ADMIN},
    {"GET", "/dashboard", api_dashboard_page, HTTP_AUTH_OPERATOR},
    {"GET", "/dashboard/state", api_dashboard_state, HTTP_AUTH_OPERATOR},
    {"GET", "/openapi.yaml", api_openapi, HTTP_AUTH_NONE},
    {"GET", "/healthz", healthz, HTTP_AUTH_PROBE},
    {"GET", "/readyz", readyz, HTTP_AUTH_PROBE},
    {"GET", "/metrics", metrics, HTTP_AUTH_SCRAPE},
};

/* The health listener serves the last three only (same handlers, same guard). */
#define HEALTH_ROUTES 3

/* {pool} must name a configured pool; {id} must fit a session id. */
static bool resolve(void *ctx, struct http_exchange *ex, struct http_route_param *p)
{
    struct service *svc = ((struct api *)ctx)->svc;
    size_t index;
    if (p->name_len == 4 && !memcmp(p->name, "pool", 4)) {
        if (svc->ops->find_pool(svc, p->value, p->len, &index)) {
            p->resolved = index;
            return true;
        }
        char msg[128];
        snprintf(msg, sizeof msg, "no pool named \"%.*s\"", (int)(p->len > 64 ? 64 : p->len),
                 p->value);
        http_respond_error(ex, 404, "NotFound", msg);
        return false;
    }
    if (p->len > POOL_SESSION_ID_LEN) {
        http_respond_error(ex, 404, "NotFound", "no such session");
        return false;
    }
    return true;
}

void api_handle(void *ctx, struct http_exchange *ex, const struct http_request *req)
{
    struct api *api = ctx;
    http_router_dispatch(&api->router, ex, req);
    api->caller = (struct api_caller){0};
}

void api_handle_health(void *ctx, struct http_exchange *ex, const struct http_request *req)
{
    struct api *api = ctx;
    http_router_dispatch(&api->health_router, ex, req);
    api->caller = (struct api_caller){0};
}

struct api *api_new(struct service *svc, struct log *log)
{
    const size_t n = sizeof routes / sizeof routes[0];
    struct api *api = xcalloc(1, sizeof *api);
    api->svc = svc;
    api->log = log;
    api->router = (struct http_router){
        .routes = routes, .count = n, .ctx = api, .resolve = resolve, .guard = api_guard};
    api->health_router = (struct http_router){.routes = routes + n - HEALTH_ROUTES,
                                              .count = HEALTH_ROUTES,
                                              .ctx = api,
                                              .guard = api_guard};
    return api;
}

void api_set_security(struct api *api, const struct api_security *sec)
{
    api->sec = *sec;
}

const struct api_stats *api_stats(const struct api *api)
{
    return &api->stats;
}
