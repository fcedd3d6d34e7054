/*
 * connect_token: session tokens that a backend verifies on its own.
 *
 * A claim answers with a connect token the caller hands to its backend. The
 * token is signed with a key only prewarm and the backends hold, so the
 * backend accepts exactly the session prewarm bound to it, until it expires,
 * without calling prewarm:
 *
 *   token   = "v1." B64URL(payload) "." B64URL(HMAC-SHA256(key, "v1." B64URL(payload)))
 *   payload = session_id "|" pool "|" pod "|" expires_unix "|" leader_epoch
 *
 * B64URL is base64url without padding (RFC 4648 section 5). session_id,
 * pool and pod never contain '|' (pod names repeat across pools of the
 * local provider, so the pool is part of what a backend checks);
 * expires_unix is the session's TTL deadline in Unix
 * seconds; leader_epoch is the epoch of the prewarm leader that bound the
 * session (0 for the local provider), so a backend that learned a newer epoch
 * can refuse tokens of a deposed leader.
 *
 * A backend checks, in order: the MAC (in constant time), that pool and pod
 * are its own (PREWARM_POOL, PREWARM_POD), that expires_unix is in the
 * future, and then fences on session_id (the first valid session it serves
 * is the only one it serves).
 *
 * The MAC is OpenSSL's HMAC with SHA-256 (libcrypto): prewarm links it
 * already through libcurl's TLS stack, and hand-written cryptography would be
 * one more thing to audit. Keys are at least CONNECT_KEY_MIN bytes.
 *
 * Pure functions apart from connect_key_load (reads a file). No allocation.
 * Callers: src/api (signing), src/backend (verifying), tests.
 */
#ifndef PREWARM_CONNECT_TOKEN_H
#define PREWARM_CONNECT_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define CONNECT_KEY_MIN     32
#define CONNECT_KEY_MAX     256
#define CONNECT_SESSION_MAX 64
#define CONNECT_POOL_MAX    63
#define CONNECT_POD_MAX     253
#define CONNECT_TOKEN_MAX   512 /* bytes of a token, NUL excluded */

struct connect_claims {
    char session_id[CONNECT_SESSION_MAX + 1];
    char pool[CONNECT_POOL_MAX + 1];
    char pod[CONNECT_POD_MAX + 1];
    uint64_t expires_unix;
    uint64_t epoch;
};

enum connect_token_status {
    CONNECT_TOKEN_OK = 0,
    CONNECT_TOKEN_MALFORMED, /* not a v1 token, or fields out of bounds */
    CONNECT_TOKEN_BAD_MAC,   /* signed with another key, or altered */
    CONNECT_TOKEN_WRONG_POD, /* issued for another backend (pool or pod) */
    CONNECT_TOKEN_EXPIRED,
};

const char *connect_token_status_str(enum connect_token_status st);

/* HMAC-SHA256 of msg under key into mac[32]. */
void connect_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg, size_t msg_len,
                         uint8_t mac[32]);

/* Writes the NUL-terminated token for c into out (>= CONNECT_TOKEN_MAX + 1
 * bytes). Returns its length, or 0 if a field is out of bounds or has '|'. */
size_t connect_token_sign(const uint8_t *key, size_t key_len, const struct connect_claims *c,
                          char *out, size_t out_len);

/* Verifies token[0..len): the MAC, then pool and pod (each skipped when
 * NULL), then the expiry against now_unix. *out is filled when the MAC is
 * good. */
enum connect_token_status connect_token_verify(const uint8_t *key, size_t key_len,
                                               const char *token, size_t len, const char *pool,
                                               const char *pod, uint64_t now_unix,
                                               struct connect_claims *out);

/* Reads a key file: CONNECT_KEY_MIN..CONNECT_KEY_MAX printable ASCII bytes
 * (e.g. `openssl rand -hex 32`), one trailing newline dropped; printable so
 * that the same bytes travel in an environment variable (PREWARM_CONNECT_KEY,
 * from a Secret in a cluster). Returns the key length, or 0 with a message
 * in err. */
size_t connect_key_load(const char *path, uint8_t key[CONNECT_KEY_MAX], char *err, size_t err_len);

#endif
