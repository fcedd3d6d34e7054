/*
 * k8s_exec: runs one exec credential plugin (client.authentication.k8s.io
 * v1 / v1beta1) without blocking the caller's event loop.
 *
 * Differences from kubernetes-client/c (see the reference, section 3.3):
 *  - posix_spawnp with an argv array: no shell, arguments reach the plugin
 *    byte for byte (spaces, '$HOME', quotes stay literal);
 *  - the child's environment is built in a new envp array: our environ +
 *    the configured env entries (same name replaces) + KUBERNETES_EXEC_INFO
 *    (an ExecCredential with spec.interactive=false and, when
 *    provideClusterInfo is set, spec.cluster); we never call setenv;
 *  - stdin is /dev/null (we are never interactive), stderr is inherited;
 *  - the plugin leads a new process group; a timeout or k8s_exec_free()
 *    of a running plugin SIGKILLs the whole group, so helpers it started
 *    (gke-gcloud-auth-plugin -> gcloud) do not outlive it;
 *  - stdout is read through a non-blocking pipe without a fixed buffer, up
 *    to K8S_EXEC_MAX_OUTPUT (1 MiB) -> K8S_ETOOBIG;
 *  - the exit status and apiVersion are checked and the output validated
 *    with client-go's exact error texts:
 *      "exec: executable %s not found" + client-go's verbose help
 *          + "\n\n" + installHint when set
 *      "exec: executable %s failed with exit code %d"
 *      "decoding stdout: ..."
 *      "exec plugin is configured to use API version %s, plugin returned version %s"
 *      "exec plugin didn't return a status field"
 *      "exec plugin didn't return a token or cert/key pair"
 *      "exec plugin returned only certificate or key, not both"
 *  - interactiveMode: v1 requires it ("interactiveMode must be specified
 *    for USER to use exec authentication plugin"); v1beta1 defaults to
 *    IfAvailable (= Never for us); Always fails because a library never
 *    has a terminal.
 *
 * State machine (one `struct k8s_exec` per plugin run):
 *   k8s_exec_start() -> RUNNING; poll k8s_exec_fd() for POLLIN and call
 *   k8s_exec_on_readable() until it returns DONE or FAILED. The fd is the
 *   stdout pipe while output is read; after EOF, if the child has not
 *   exited yet, it switches to a pidfd (readable when the child exits), so
 *   re-read k8s_exec_fd() after every call. The child is reaped with
 *   waitpid(pid, WNOHANG) only, never a blocking wait, except in
 *   k8s_exec_free() of a still-running child (SIGKILL then waitpid).
 *
 * Ownership: `struct k8s_exec_config` fields are heap strings owned by the
 * struct (k8s_exec_config_free / k8s_exec_config_copy). k8s_exec_start
 * copies what it needs; the caller keeps its config. `struct
 * k8s_exec_credential` strings are owned by the struct
 * (k8s_exec_credential_free). No global state.
 * Callers: k8s_cred (the exec credential source), tests.
 */
#ifndef K8S_EXEC_H
#define K8S_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "k8s_error.h"

#define K8S_EXEC_MAX_OUTPUT (1024 * 1024)

enum k8s_exec_interactive {
    K8S_EXEC_INTERACTIVE_UNSET = 0, /* not given in the kubeconfig */
    K8S_EXEC_INTERACTIVE_NEVER,
    K8S_EXEC_INTERACTIVE_IF_AVAILABLE,
    K8S_EXEC_INTERACTIVE_ALWAYS,
};

struct k8s_exec_env {
    char *name;
    char *value;
};

struct k8s_exec_config {
    char *user_name;   /* kubeconfig users[].name, used in validation messages; may be NULL */
    char *api_version; /* "client.authentication.k8s.io/v1" or ".../v1beta1" */
    char *command;     /* PATH lookup unless it contains '/'; relative paths already resolved */
    char **args;       /* nargs entries */
    size_t nargs;
    struct k8s_exec_env *env; /* nenv entries */
    size_t nenv;
    char *install_hint; /* may be NULL */
    bool provide_cluster_info;
    enum k8s_exec_interactive interactive_mode;
    /* Cluster info for KUBERNETES_EXEC_INFO spec.cluster (used when provide_cluster_info). */
    char *cluster_server;
    char *cluster_ca_data_b64; /* base64 of the CA PEM, NULL if none */
    char *cluster_tls_server_name;
    bool cluster_insecure_skip_tls_verify;
    char *cluster_config_json; /* extensions["client.authentication.k8s.io/exec"] as JSON, NULL ->
                                  null */
};

void k8s_exec_config_free(struct k8s_exec_config *cfg); /* frees fields, not cfg itself */
enum k8s_status k8s_exec_config_copy(struct k8s_exec_config *dst,
                                     const struct k8s_exec_config *src);

/*
 * Checks the config with client-go's texts ("command must be specified for
 * USER to use exec authentication plugin", "apiVersion must be specified
 * ...", "env variable name must be specified ...", "interactiveMode must be
 * specified ...", "exec plugin: invalid apiVersion %q" for anything but v1
 * and v1beta1, "exec plugin cannot support interactive mode: standard
 * input is not a terminal" for Always). v1beta1 without interactiveMode is
 * IfAvailable. K8S_ECONFIG on error.
 */
enum k8s_status k8s_exec_config_validate(const struct k8s_exec_config *cfg, struct k8s_error *err);

struct k8s_exec_credential {
    char *token;           /* NULL if the plugin returned a client certificate only */
    char *client_cert_pem; /* both or neither */
    char *client_key_pem;
    bool has_expiry;
    int64_t expiry_unix_ns; /* status.expirationTimestamp */
};

void k8s_exec_credential_free(struct k8s_exec_credential *cred); /* fields only */

/* Builds the KUBERNETES_EXEC_INFO JSON value (heap string, caller frees). NULL on OOM. */
char *k8s_exec_info_json(const struct k8s_exec_config *cfg);

/*
 * Parses and validates a plugin's stdout. `api_version` is the configured
 * one. Returns K8S_OK, K8S_EAUTH (validation/decoding failure, client-go
 * text in err->message) or K8S_ENOMEM.
 */
enum k8s_status k8s_exec_parse_output(const char *api_version, const char *out, size_t len,
                                      struct k8s_exec_credential *cred, struct k8s_error *err);

enum k8s_exec_state {
    K8S_EXEC_RUNNING,
    K8S_EXEC_DONE,   /* k8s_exec_result() has the credential */
    K8S_EXEC_FAILED, /* k8s_exec_result() returns the error */
};

struct k8s_exec;

/*
 * Validates the config, spawns the plugin and returns a running handle.
 * Fails with K8S_ECONFIG (validation), K8S_EAUTH ("not found" with the
 * install hint), K8S_EIO or K8S_ENOMEM; then *out is NULL.
 */
enum k8s_status k8s_exec_start(const struct k8s_exec_config *cfg, struct k8s_exec **out,
                               struct k8s_error *err);

/* The fd to poll for POLLIN; -1 once finished. May change after each on_readable call. */
int k8s_exec_fd(const struct k8s_exec *ex);

/* Reads what is available, reaps the child when possible; never blocks. */
enum k8s_exec_state k8s_exec_on_readable(struct k8s_exec *ex);

enum k8s_exec_state k8s_exec_state(const struct k8s_exec *ex);

/*
 * After DONE: moves the credential into *cred (caller frees with
 * k8s_exec_credential_free) and returns K8S_OK. After FAILED: copies the
 * error into *err and returns its status. While RUNNING: K8S_EINVAL.
 */
enum k8s_status k8s_exec_result(struct k8s_exec *ex, struct k8s_exec_credential *cred,
                                struct k8s_error *err);

/* Kills (SIGKILL) and reaps a still-running child, closes fds, frees. NULL is allowed. */
void k8s_exec_free(struct k8s_exec *ex);

/*
 * Blocking convenience (poll on k8s_exec_fd) for CLI tools and tests:
 * start, run to completion or `timeout_ms` (-1 = none; K8S_ETIMEOUT and the
 * child is killed), return the credential.
 */
enum k8s_status k8s_exec_run(const struct k8s_exec_config *cfg, int timeout_ms,
                             struct k8s_exec_credential *cred, struct k8s_error *err);

#endif
