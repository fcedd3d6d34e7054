/*
 * api_internal: what the API's files share (api.c, api_claims.c,
 * api_json.c). Not for use outside src/api.
 */
#ifndef PREWARM_API_INTERNAL_H
#define PREWARM_API_INTERNAL_H

#include <stdbool.h>

#include "api.h"
#include "buf.h"
#include "http_route.h"
#include "log.h"

#define API_JSON_TYPE "application/json"

struct api_waiter;
struct auth_caller;

/* Who made the request being handled: caller NULL when auth is off or the
 * route was open to anyone. */
struct api_caller {
    struct auth_caller *caller;
    unsigned roles; /* enum auth_role bits */
};

struct api {
    struct service *svc;
    struct log *log;
    struct http_router router;
    struct http_router health_router; /* the health listener's routes */
    struct api_waiter *waiters;       /* every live record */
    struct api_security sec;
    struct api_caller caller; /* set by the guard for the handler's call */
    struct api_stats stats;
};

/* Answers with b's bytes and frees b. */
void api_respond_buf(struct http_exchange *ex, int status, struct buf *b, const char *type);
/* 503 with Retry-After: 1. */
void api_unavailable(struct http_exchange *ex, const char *reason, const char *message);

/* POST /v1/pools/{pool}/claims (api_claims.c). */
void api_claim_route(void *ctx, struct http_exchange *ex, const struct http_request *req,
                     const struct http_route_match *m);

/* GET /dashboard, /dashboard/state, /openapi.yaml (api_dashboard.c). */
void api_dashboard_page(void *ctx, struct http_exchange *ex, const struct http_request *req,
                        const struct http_route_match *m);
void api_dashboard_state(void *ctx, struct http_exchange *ex, const struct http_request *req,
                         const struct http_route_match *m);
void api_openapi(void *ctx, struct http_exchange *ex, const struct http_request *req,
                 const struct http_route_match *m);

/* api_json.c. A session without its closing brace (callers add fields). */
void api_json_session(struct api *api, struct buf *b, const struct pool_session_info *s,
                      bool with_token);
void api_json_pool(struct buf *b, const struct service_pool_info *p);
void api_json_readyz(struct api *api, struct buf *b, bool ready);

#endif
