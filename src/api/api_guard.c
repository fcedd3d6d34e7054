/* api_guard: authorisation, scoping, admission, connect tokens (see api_guard.h). */
#include "api_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oom.h"

/* ---- session owners: id -> caller, open addressing with backward-shift
 * deletion; ids are random (pool core), so a plain string hash spreads them. */

struct api_owner {
    char id[POOL_SESSION_ID_LEN + 1]; /* "" = empty slot */
    struct auth_caller *caller;
};

static size_t id_hash(const char *id)
{
    uint64_t h = 1469598103934665603ull;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29));
}

static void owners_grow(struct api *api)
{
    size_t old_cap = api->owners ? api->owners_mask + 1 : 0;
    size_t cap = old_cap ? 2 * old_cap : 256;
    struct api_owner *old = api->owners;
    api->owners = xcalloc(cap, sizeof *api->owners);
    api->owners_mask = cap - 1;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].id[0])
            continue;
        size_t j = id_hash(old[i].id) & api->owners_mask;
        while (api->owners[j].id[0])
            j = (j + 1) & api->owners_mask;
        api->owners[j] = old[i];
    }
    free(old);
}

static struct api_owner *owner_find(const struct api *api, const char *id)
{
    if (!api->owners)
        return NULL;
    for (size_t i = id_hash(id) & api->owners_mask;; i = (i + 1) & api->owners_mask) {
        struct api_owner *o = &api->owners[i];
        if (!o->id[0] || !strcmp(o->id, id))
            return o;
    }
}

void api_guard_own(struct api *api, const char *session_id, const struct api_caller *who)
{
    if (!who->caller)
        return;
    if (!api->owners || 2 * (api->owners_used + 1) > api->owners_mask + 1)
        owners_grow(api);
    struct api_owner *o = owner_find(api, session_id);
    if (!o->id[0]) {
        snprintf(o->id, sizeof o->id, "%s", session_id);
        api->owners_used++;
    }
    o->caller = who->caller;
}

bool api_guard_may_use(struct api *api, const char *session_id)
{
    if (!api->sec.auth || (api->caller.roles & AUTH_ROLE_ADMIN))
        return true;
    const struct api_owner *o = owner_find(api, session_id);
    return o && o->id[0] && o->caller == api->caller.caller;
}

void api_guard_session_ended(struct api *api, const char *session_id)
{
    struct api_owner *o = owner_find(api, session_id);
    if (!o || !o->id[0])
        return;
    size_t hole = (size_t)(o - api->owners), mask = api->owners_mask;
    for (size_t i = (hole + 1) & mask; api->owners[i].id[0]; i = (i + 1) & mask) {
        size_t h = id_hash(api->owners[i].id) & mask;
        bool stays = hole <= i ? (h > hole && h <= i) : (h > hole || h <= i);
        if (!stays) {
            api->owners[hole] = api->owners[i];
            hole = i;
        }
    }
    api->owners[hole].id[0] = '\0';
    api->owners_used--;
}

void api_guard_free(struct api *api)
{
    free(api->owners);
    api->owners = NULL;
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
    snprintf(out, API_SCOPED_MAX, "~%x/%s", who->caller->id, key);
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
