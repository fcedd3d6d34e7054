/* api_guard: authorisation, scoping, admission, connect tokens (see api_guard.h). */
#include "api_guard.h"

#include <stdio.h>
#include <string.h>

/* ---- session owners ---- */

const char *api_guard_owner(const struct api_caller *who)
{
    return who->caller ? who->caller->name : NULL;
}

bool api_guard_may_use(const struct api *api, const struct pool_session_info *s)
{
    if (!api->sec.auth || (api->caller.roles & AUTH_ROLE_ADMIN))
        return true;
    return api->caller.caller && s->owner[0] && !strcmp(s->owner, api->caller.caller->name);
}

/* ---- authorisation ---- */

static unsigned role_of(const struct api *api, enum http_auth auth)
{
    switch (auth) {
    case HTTP_AUTH_CLIENT:
        return AUTH_ROLE_CLAIM;
    case HTTP_AUTH_OPERATOR:
        return AUTH_ROLE_READ;
    case HTTP_AUTH_ADMIN:
        return AUTH_ROLE_ADMIN;
    case HTTP_AUTH_PROBE:
        return api->sec.open_probes ? 0 : AUTH_ROLE_READ;
    case HTTP_AUTH_SCRAPE:
        return api->sec.open_metrics ? 0 : AUTH_ROLE_READ;
    default:
        return 0;
    }
}

static void unauthenticated(struct api *api, struct http_exchange *ex, const char *message)
{
    struct http_header h = {"WWW-Authenticate", 16, "Bearer realm=\"prewarm\"", 21};
    api->stats.unauthenticated++;
    http_respond_error_with(ex, 401, "Unauthenticated", message, &h, 1);
}

bool api_guard(void *ctx, struct http_exchange *ex, const struct http_request *req,
               const struct http_route *route)
{
    struct api *api = ctx;
    unsigned role = role_of(api, route->auth);
    api->caller = (struct api_caller){0};
    if (!api->sec.auth || !role)
        return true;
    size_t len = 0;
    const char *h = http_request_header(req, "authorization", &len);
    struct auth_identity id;
    enum auth_result r = auth_check(api->sec.auth, h, len, &id);
    if (r != AUTH_OK) {
        unauthenticated(api, ex,
                        r == AUTH_MISSING ? "this route needs Authorization: Bearer <token>"
                                          : "the bearer token is not valid");
        return false;
    }
    if (!auth_allows(id.roles, role)) {
        api->stats.forbidden++;
        http_respond_error(ex, 403, "Forbidden",
                           role == AUTH_ROLE_CLAIM   ? "this token has no claim role"
                           : role == AUTH_ROLE_ADMIN ? "this token has no admin role"
                                                     : "this token has no read role");
        return false;
    }
    api->caller = (struct api_caller){id.caller, id.roles};
    return true;
}

/* ---- admission ---- */

static void too_many(struct api *api, struct http_exchange *ex, const char *reason,
                     const char *message, uint64_t retry_s)
{
    char secs[24];
    snprintf(secs, sizeof secs, "%llu", (unsigned long long)retry_s);
    struct http_header h = {"Retry-After", 11, secs, strlen(secs)};
    api->stats.rate_limited++;
    http_respond_error_with(ex, 429, reason, message, &h, 1);
}

bool api_guard_admit_claim(struct api *api, struct http_exchange *ex, bool waits)
{
    struct auth_caller *c = api->caller.caller;
    uint64_t retry_ns = 0;
    if (!c)
        return true;
    if (waits && c->max_waiters && c->waiters >= c->max_waiters) {
        too_many(api, ex, "TooManyWaiters", "this caller already has its most claims waiting", 1);
        return false;
    }
    if (ratelimit_take(&c->claims, api->svc->ops->now(api->svc), &retry_ns))
        return true;
    too_many(api, ex, "TooManyRequests", "this caller's claim rate is exceeded",
             retry_ns / 1000000000u + 1);
    return false;
}

/* ---- scoping ---- */

const char *api_guard_scope(const struct api_caller *who, const char *key, char *out)
{
    if (!key || !who->caller)
        return key;
    snprintf(out, API_SCOPED_MAX, "~%s/%s", who->caller->name, key);
    return out;
}

const char *api_guard_unscope(const char *stored)
{
    if (stored[0] != '~')
        return stored;
    const char *slash = strchr(stored, '/');
    return slash ? slash + 1 : stored;
}

/* ---- connect tokens ---- */

void api_guard_sign(struct api *api, const struct pool_session_info *s, char *out)
{
    struct service *svc = api->svc;
    struct connect_claims c = {.epoch = svc->ops->epoch ? svc->ops->epoch(svc) : 0};
    int64_t wall = svc->ops->wall_ns(svc, s->expires_at);
    c.expires_unix = wall <= 0 ? 0 : (uint64_t)(wall + 999999999) / 1000000000u;
    snprintf(c.session_id, sizeof c.session_id, "%s", s->id);
    snprintf(c.pool, sizeof c.pool, "%s", s->pool);
    snprintf(c.pod, sizeof c.pod, "%s", s->pod);
    out[0] = '\0';
    if (api->sec.connect_key_len)
        connect_token_sign(api->sec.connect_key, api->sec.connect_key_len, &c, out,
                           CONNECT_TOKEN_MAX + 1);
}
