/* http_route: route table dispatch (see http_route.h). */
#include "http_route.h"

#include <stdio.h>
#include <string.h>

/* The segment starting at s (after a '/'), up to the next '/' or end. */
static size_t segment_len(const char *s, size_t len)
{
    const char *slash = memchr(s, '/', len);
    return slash ? (size_t)(slash - s) : len;
}

static bool add_param(struct http_route_match *m, const char *pat, size_t plen, const char *seg,
                      size_t slen)
{
    if (slen == 0 || m->count == HTTP_ROUTE_MAX_PARAMS)
        return false;
    m->params[m->count++] = (struct http_route_param){pat + 1, plen - 2, seg, slen, 0};
    return true;
}

bool http_route_match_path(const char *pattern, const char *path, size_t len,
                           struct http_route_match *m)
{
    m->route = NULL;
    m->count = 0;
    const char *p = pattern;
    size_t left = strlen(pattern);
    while (left > 0 && len > 0 && *p == '/' && *path == '/') {
        p++, left--, path++, len--;
        size_t plen = segment_len(p, left), slen = segment_len(path, len);
        bool param = plen >= 2 && p[0] == '{' && p[plen - 1] == '}';
        if (param ? !add_param(m, p, plen, path, slen) : plen != slen || memcmp(p, path, slen) != 0)
            return false;
        p += plen, left -= plen, path += slen, len -= slen;
    }
    return left == 0 && len == 0;
}

static bool method_is(const struct http_request *req, const char *m)
{
    return req->method_len == strlen(m) && !memcmp(req->method, m, req->method_len);
}

static void not_allowed(struct http_exchange *ex, const char *allow)
{
    char msg[160];
    snprintf(msg, sizeof msg, "allowed methods: %s", allow);
    struct http_header h = {"Allow", 5, allow, strlen(allow)};
    http_respond_error_with(ex, 405, "MethodNotAllowed", msg, &h, 1);
}

/* Appends method to the comma-separated list in allow (once). */
static void allow_add(char *allow, size_t cap, const char *method)
{
    size_t n = strlen(allow), m = strlen(method);
    if (n + m + 3 > cap)
        return;
    if (n)
        memcpy(allow + n, ", ", 2), n += 2;
    memcpy(allow + n, method, m + 1);
}

/* Runs the resolve hook on every parameter of the first matching route and
 * keeps the results for the routes after it (same path, same segments). */
static bool resolve_params(const struct http_router *r, struct http_exchange *ex,
                           struct http_route_match *m, uintptr_t *saved, bool *resolved)
{
    for (size_t i = 0; i < m->count; i++) {
        if (*resolved) {
            m->params[i].resolved = saved[i];
            continue;
        }
        if (r->resolve && !r->resolve(r->ctx, ex, &m->params[i]))
            return false;
        saved[i] = m->params[i].resolved;
    }
    *resolved = true;
    return true;
}

void http_router_dispatch(const struct http_router *r, struct http_exchange *ex,
                          const struct http_request *req)
{
    struct http_route_match m;
    uintptr_t saved[HTTP_ROUTE_MAX_PARAMS];
    char allow[96] = "";
    bool resolved = false;
    for (size_t i = 0; i < r->count; i++) {
        const struct http_route *route = &r->routes[i];
        if (!http_route_match_path(route->pattern, req->path, req->path_len, &m))
            continue;
        if (!resolve_params(r, ex, &m, saved, &resolved))
            return;
        if (!method_is(req, route->method)) {
            allow_add(allow, sizeof allow, route->method);
            continue;
        }
        if (r->guard && !r->guard(r->ctx, ex, req, route))
            return;
        m.route = route;
        route->handler(r->ctx, ex, req, &m);
        return;
    }
    if (allow[0])
        return not_allowed(ex, allow);
    http_respond_error(ex, 404, "NotFound", "no such route");
}
