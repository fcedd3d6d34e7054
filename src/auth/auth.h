/*
 * auth: bearer tokens from a file, roles, and per-caller state.
 *
 * The tokens file (mounted from a Secret in a cluster) has one token a line:
 *
 *     # token                            caller       roles        [options]
 *     3b1f0c9e6a2d4f8e9c7b5a3d1e0f2c4b   api-server   claim,read   rate=200 burst=400 waiters=50
 *     8e2a...                            dashboard    read
 *     c4d1...                            ops          admin
 *
 * token: 16-256 printable ASCII bytes; caller: [A-Za-z0-9._-]{1,32}; roles:
 * a comma list of read (pools, sessions, metrics), claim (claim, and use
 * its own sessions) and admin (everything, any caller's sessions). Options
 * override the configured per-caller defaults: rate and burst (claims per
 * second, token bucket; rate=0 unlimited), waiters (claims of this caller
 * waiting at once). Several tokens may name the same caller (rotation).
 * Blank lines and lines starting with '#' are ignored. Errors name
 * file:line.
 *
 * Tokens are kept only as SHA-256 digests. A lookup hashes the presented
 * token and compares it with every entry with CRYPTO_memcmp, without
 * stopping at a match, so its time does not depend on which bytes of which
 * token matched.
 *
 * Reload: auth_reload() stats the file and reads it again when its device,
 * inode, size or modification time changed (a Secret volume swaps a symlink,
 * which changes the inode); force reads it regardless (SIGHUP). A file that
 * fails to parse leaves the previous table in force, and the error is
 * returned for the log.
 *
 * Callers (struct auth_caller) persist across reloads by name, with their
 * rate-limit bucket and waiter count, and are freed only by auth_free, so a
 * pointer to one (held by a waiting claim) stays valid. The caller's name is
 * its identity beyond one process: keys and request ids are scoped by it,
 * and it is the owner stored with each session (in the bind journal and the
 * pod's binding annotation too), so renaming a caller in the file hands its
 * sessions to no one but an admin, and reordering lines changes nothing.
 *
 * Ownership: auth_new allocates, auth_free frees. Not thread-safe (one loop).
 * Callers: src/api, src/daemon, tests/src/test_auth.c.
 */
#ifndef PREWARM_AUTH_H
#define PREWARM_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratelimit.h"

#define AUTH_NAME_MAX  32
#define AUTH_TOKEN_MIN 16
#define AUTH_TOKEN_MAX 256

enum auth_role {
    AUTH_ROLE_READ = 1u << 0,
    AUTH_ROLE_CLAIM = 1u << 1,
    AUTH_ROLE_ADMIN = 1u << 2,
};

struct auth_defaults {
    uint32_t claim_rate;  /* claims per second per caller; 0 = unlimited */
    uint32_t claim_burst; /* bucket size; 0 = same as the rate (at least 1) */
    uint32_t max_waiters; /* waiting claims per caller; 0 = unlimited */
};

struct auth_caller {
    char name[AUTH_NAME_MAX + 1];
    struct ratelimit claims;
    uint32_t max_waiters; /* 0 = unlimited */
    uint32_t waiters;     /* maintained by the API */
    bool present;         /* named by the file now in force */
    bool initialised;     /* its bucket was set up by a load */
};

struct auth_identity {
    struct auth_caller *caller;
    unsigned roles; /* enum auth_role bits */
};

enum auth_result {
    AUTH_OK = 0,
    AUTH_MISSING, /* no Authorization header, or not "Bearer <token>" */
    AUTH_INVALID, /* a bearer token that is not in the file */
};

struct auth;

/* Loads path. Returns 0, or -1 with a message naming file:line in err. */
int auth_new(const char *path, const struct auth_defaults *defaults, uint64_t now_ns,
             struct auth **out, char *err, size_t err_len);

/* 1 reloaded, 0 unchanged, -1 error (message in err; the old table stays). */
int auth_reload(struct auth *a, bool force, uint64_t now_ns, char *err, size_t err_len);

/* Checks an Authorization header value (NULL if absent). */
enum auth_result auth_check(const struct auth *a, const char *header, size_t len,
                            struct auth_identity *out);

/* True if roles grant need (admin grants everything). */
bool auth_allows(unsigned roles, unsigned need);

size_t auth_token_count(const struct auth *a);
void auth_free(struct auth *a);

#endif
