/*
 * k8s_cred: where a request's credentials come from, behind one interface
 * that the transport calls before every request.
 *
 * Sources:
 *  - static token (kubeconfig `token`);
 *  - token file (kubeconfig `tokenFile`, the in-cluster service account
 *    token): re-read when the cached copy is older than 60 s (client-go's
 *    cached file token source), trimmed of surrounding whitespace; an empty
 *    file is an error; after k8s_cred_invalidate() the next get re-reads at
 *    once. If a periodic re-read fails while a token is cached, the cached
 *    token is kept (client-go does the same) and the error is not reported.
 *    The read is a plain read() of a small local file (tmpfs in pods).
 *  - exec plugin: runs the plugin (k8s_exec) without blocking; the result
 *    is cached until its expirationTimestamp (forever without one); a 401
 *    refreshes it once per credential (see k8s_cred_invalidate). A plugin
 *    may return a client certificate and key instead of (or with) a token.
 *  - static client certificate from the kubeconfig is NOT a credential
 *    source: it lives in struct k8s_config (client_cert_pem/client_key_pem).
 *
 * State machine for the transport's event loop:
 *
 *   st = k8s_cred_get(c, now_mono_ns, now_wall_ns, &auth, &err);
 *   READY   -> use auth (pointers valid until the next get/on_readable/
 *              invalidate/free on this cred);
 *   PENDING -> park the request; watch k8s_cred_wait_fd(c) for POLLIN and
 *              call k8s_cred_on_readable(c, ...) when it fires; it returns
 *              the same three states. The fd can change between calls
 *              (stdout pipe, then a pidfd), so re-read it after every call
 *              that returns PENDING. Also call k8s_cred_get() periodically
 *              (e.g. once a second) so that a plugin that hangs past the
 *              exec timeout (default 60 s) is killed and reported.
 *   ERROR   -> err holds the reason (K8S_EAUTH, K8S_ETIMEOUT, K8S_ENOMEM,
 *              ...). The next get starts over (runs the plugin again).
 *
 * `auth.generation` increases whenever the credential material changes; the
 * transport passes the generation it used to k8s_cred_invalidate() on a 401,
 * so that several requests failing with the same stale token cause one
 * refresh, not one per request. When client_cert_pem changes (new
 * generation with a certificate) new requests use new connections (see
 * "Client certificates" in k8s_client.h; client-go closes the old ones).
 *
 * Time is passed in: `now_mono_ns` (CLOCK_MONOTONIC) drives the 60 s token
 * file period and the exec timeout; `now_wall_ns` (CLOCK_REALTIME) is
 * compared with expirationTimestamp. k8s_time.h has helpers for both.
 *
 * Ownership: the creator owns the cred (k8s_cred_free, which also kills a
 * running plugin). Constructors copy their arguments. Not thread-safe; one
 * loop thread uses a cred. No global state.
 * Callers: k8s_config (creates), the transport k8s_client.c (uses).
 */
#ifndef K8S_CRED_H
#define K8S_CRED_H

#include <stdbool.h>
#include <stdint.h>

#include "k8s_error.h"
#include "k8s_exec.h"

#define K8S_CRED_TOKEN_FILE_PERIOD_NS (60ull * 1000000000ull)
#define K8S_CRED_EXEC_TIMEOUT_NS      (60ull * 1000000000ull)

enum k8s_cred_kind {
    K8S_CRED_TOKEN,
    K8S_CRED_TOKEN_FILE,
    K8S_CRED_EXEC,
};

enum k8s_cred_state {
    K8S_CRED_READY,
    K8S_CRED_PENDING,
    K8S_CRED_ERROR,
};

struct k8s_auth {
    const char *token;           /* bearer token, or NULL */
    const char *client_cert_pem; /* from an exec plugin, or NULL */
    const char *client_key_pem;
    uint64_t generation; /* >= 1; changes when the material changes */
};

struct k8s_cred;

enum k8s_status k8s_cred_new_token(const char *token, struct k8s_cred **out);
enum k8s_status k8s_cred_new_token_file(const char *path, struct k8s_cred **out);
/* Copies *cfg; validates it (K8S_ECONFIG with client-go's text in err). */
enum k8s_status k8s_cred_new_exec(const struct k8s_exec_config *cfg, struct k8s_cred **out,
                                  struct k8s_error *err);
void k8s_cred_free(struct k8s_cred *c);

enum k8s_cred_kind k8s_cred_kind(const struct k8s_cred *c);
/* Overrides the exec timeout (nanoseconds, 0 = none). */
void k8s_cred_set_exec_timeout(struct k8s_cred *c, uint64_t timeout_ns);

enum k8s_cred_state k8s_cred_get(struct k8s_cred *c, uint64_t now_mono_ns, int64_t now_wall_ns,
                                 struct k8s_auth *out, struct k8s_error *err);
/* The fd to poll while PENDING, -1 otherwise. */
int k8s_cred_wait_fd(const struct k8s_cred *c);
enum k8s_cred_state k8s_cred_on_readable(struct k8s_cred *c, uint64_t now_mono_ns,
                                         int64_t now_wall_ns, struct k8s_auth *out,
                                         struct k8s_error *err);

/*
 * The server answered 401 to a request made with `generation`. Drops the
 * cached token/credential if it is still that generation (static tokens
 * cannot be refreshed: no-op). Returns true if the caller should retry the
 * request once with a fresh credential.
 */
bool k8s_cred_invalidate(struct k8s_cred *c, uint64_t generation);

/*
 * Blocking convenience for CLI tools and tests: drives the same state
 * machine with poll() and the real clocks until READY or ERROR, at most
 * timeout_ms (-1 = the exec timeout). Returns K8S_OK with *out filled.
 */
enum k8s_status k8s_cred_get_blocking(struct k8s_cred *c, int timeout_ms, struct k8s_auth *out,
                                      struct k8s_error *err);

#endif
