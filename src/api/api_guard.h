/*
 * api_guard: who may call what, and what a caller's claim may do.
 *
 * It is the route table's guard (http_route.h). With auth configured
 * (api_set_security with an auth table) every route's auth field names what
 * it needs: HTTP_AUTH_CLIENT the claim role, HTTP_AUTH_OPERATOR the read
 * role, HTTP_AUTH_ADMIN (changing settings: the log level) the admin role,
 * HTTP_AUTH_PROBE (health, readiness) nothing while open_probes is set
 * (the default) and HTTP_AUTH_SCRAPE (metrics) nothing while open_metrics is;
 * the admin role covers everything. A request without a valid bearer token
 * gets 401 Unauthenticated with WWW-Authenticate: Bearer; a token whose roles
 * do not cover the route gets 403 Forbidden. The caller admitted is
 * api->caller for the handler's call.
 *
 * Scoping: a caller's key and request_id are stored in the pool core as
 * "~<caller name>/<key>" (the name from the tokens file, which has no '/'),
 * so the same key from two callers names two sessions, and answers show
 * the key as the caller sent it. Each session created under auth carries
 * its owner, the caller's name, in the pool core (pool_claim_request.owner);
 * the Kubernetes provider writes it into the bind journal and the binding
 * annotation and restores it, so ownership and scoped keys survive a
 * restart or a leader change and do not depend on the order of the tokens
 * file. Session routes (GET, DELETE, keepalive) answer 404 to any other
 * caller but an admin, as if the session did not exist (no 403: a stranger
 * learns nothing of its existence). A session without an owner (claimed
 * with auth off, or recorded by an older prewarmd) is an admin's only.
 *
 * Admission: each caller has a token bucket of claims (auth.claim_rate /
 * claim_burst, or the tokens file's rate=/burst=): an empty bucket is 429
 * TooManyRequests with Retry-After in whole seconds. A claim that would wait
 * while the caller already has max_waiters_per_caller claims waiting is 429
 * TooManyWaiters. Without auth none of this applies (one anonymous caller).
 *
 * Connect tokens: api_guard_sign() turns a session into the HMAC token of
 * connect_token.h (expiry = the session's TTL deadline, in Unix seconds,
 * rounded up; epoch = the service's leader epoch, 0 without election).
 *
 * Ownership: nothing allocated; the owner lives with the session. Callers:
 * src/api only.
 */
#ifndef PREWARM_API_GUARD_H
#define PREWARM_API_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "api_internal.h"
#include "auth.h"
#include "connect_token.h"
#include "http_route.h"
#include "pool.h"

/* The route table's guard (http_route_guard_fn); ctx is the struct api. */
bool api_guard(void *ctx, struct http_exchange *ex, const struct http_request *req,
               const struct http_route *route);

/* Rate limit and waiter quota for a claim of api->caller; false after
 * answering 429. */
bool api_guard_admit_claim(struct api *api, struct http_exchange *ex, bool waits);

#define API_SCOPED_MAX (POOL_KEY_MAX + 1)
/* The pool core's form of key (NULL stays NULL): scoped per caller under
 * auth. out has API_SCOPED_MAX bytes. */
const char *api_guard_scope(const struct api_caller *who, const char *key, char *out);
/* The key as its caller sent it (skips the "~<name>/" prefix). */
const char *api_guard_unscope(const char *stored);

/* The owner a claim of who records (its caller name; NULL without auth). */
const char *api_guard_owner(const struct api_caller *who);
/* May api->caller see and change s (auth off, an admin, or its owner)? */
bool api_guard_may_use(const struct api *api, const struct pool_session_info *s);

/* The connect token for s into out (CONNECT_TOKEN_MAX + 1 bytes). */
void api_guard_sign(struct api *api, const struct pool_session_info *s, char *out);

#endif
