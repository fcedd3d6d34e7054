/*
 * http_route: a route table and its dispatcher.
 *
 * A route is a method, a path pattern, a handler and the role a caller must
 * hold (auth). Patterns are literal segments and "{name}" segments, each
 * matching one non-empty segment: "/v1/pools/{pool}/claims". The dispatcher
 * walks the table in order:
 *
 *   1. no pattern matches the path          -> 404 NotFound "no such route"
 *   2. each parameter goes to the router's resolve hook (if any), which may
 *      answer itself (404 "no pool named ...") and stop; it can attach a
 *      value (a pool index) the handler reads from the match
 *   3. no matching route has the method     -> 405 MethodNotAllowed, with
 *      Allow listing the methods of the routes whose pattern matched
 *   4. the guard hook (if any) sees the route (its auth field) and the
 *      request, and may answer 401/403 itself and stop
 *   5. the handler runs.
 *
 * So an unknown pool is 404 whatever the method, and a known path with the
 * wrong method is 405: the order prewarm has always answered in.
 *
 * Ownership: tables are static arrays owned by their module; the router
 * borrows them. A match (parameters point into the request's path) is valid
 * during the handler call only.
 */
#ifndef PREWARM_HTTP_ROUTE_H
#define PREWARM_HTTP_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_server.h"

#define HTTP_ROUTE_MAX_PARAMS 4

/* Who may call a route. HTTP_AUTH_NONE: anyone. The guard hook decides what
 * the other values require (tokens, mTLS identities...). */
enum http_auth {
    HTTP_AUTH_NONE = 0,
    HTTP_AUTH_CLIENT,   /* an application asking for backends */
    HTTP_AUTH_OPERATOR, /* pool status, reading the daemon's state */
    HTTP_AUTH_ADMIN,    /* changing the daemon's settings */
    HTTP_AUTH_PROBE,    /* health and readiness: open or operator, by config */
    HTTP_AUTH_SCRAPE,   /* metrics: open or operator, by config */
};

struct http_route_param {
    const char *name; /* from the pattern, without braces */
    size_t name_len;
    const char *value; /* the path segment */
    size_t len;
    uintptr_t resolved; /* set by the resolve hook */
};

struct http_route_match {
    const struct http_route *route;
    struct http_route_param params[HTTP_ROUTE_MAX_PARAMS];
    size_t count;
};

typedef void http_route_fn(void *ctx, struct http_exchange *ex, const struct http_request *req,
                           const struct http_route_match *m);

struct http_route {
    const char *method;
    const char *pattern;
    http_route_fn *handler;
    enum http_auth auth;
};

/* Resolves one parameter; returns false after answering ex. */
typedef bool http_route_resolve_fn(void *ctx, struct http_exchange *ex,
                                   struct http_route_param *param);
/* Admits the request to route; returns false after answering ex. */
typedef bool http_route_guard_fn(void *ctx, struct http_exchange *ex,
                                 const struct http_request *req, const struct http_route *route);

struct http_router {
    const struct http_route *routes;
    size_t count;
    void *ctx; /* passed to the handlers and hooks */
    http_route_resolve_fn *resolve;
    http_route_guard_fn *guard;
};

/* Answers req through the table (steps above). */
void http_router_dispatch(const struct http_router *r, struct http_exchange *ex,
                          const struct http_request *req);

/* Matches path against pattern; fills m (route left NULL). For tests. */
bool http_route_match_path(const char *pattern, const char *path, size_t len,
                           struct http_route_match *m);

#endif
