/*
 * k8s_kubeconfig: loads kubeconfig YAML files into a plain model and
 * merges several of them the way client-go's loader does.
 *
 * Parsing uses libyaml's event API and accepts the subset kubeconfig
 * writers produce (block and flow maps and sequences, plain/quoted/folded
 * scalars). Known fields are read; unknown fields, `preferences`,
 * `extensions` and every field of `auth-provider` except its name are
 * skipped without error. Type errors (a sequence where a string is
 * expected, "yes" for a boolean, ...) fail with K8S_ECONFIG and
 * err->detail = "FILE:LINE:COL: FIELD" (1-based libyaml marks, FIELD the
 * dotted path such as "users[0].user.exec.args[1]").
 *
 * Merging (k8s_kubeconfig_load_paths with "$KUBECONFIG"): files are read
 * in order; the first file that defines a cluster/user/context name wins
 * for that name (later definitions are ignored whole). Within one file a
 * name given twice is an error (K8S_ECONFIG, "duplicate name", as
 * client-go's loader refuses such a file). current-context
 * comes from the first file that sets it. Files in the list that do not
 * exist are skipped (client-go does the same); an empty list entry is
 * ignored.
 *
 * Relative file paths (certificate-authority, client-certificate,
 * client-key, tokenFile, and exec.command when it contains '/') are made
 * absolute against the directory of the file that named them, at load
 * time. `*-data` fields are kept as written (base64); k8s_config decodes.
 *
 * Ownership: everything hangs off `struct k8s_kubeconfig` and is freed by
 * k8s_kubeconfig_free(). Lookups return borrowed pointers. No global state.
 * Callers: k8s_config.
 */
#ifndef K8S_KUBECONFIG_H
#define K8S_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "k8s_error.h"
#include "k8s_exec.h"

/* Where an entry was defined (for error messages). */
struct k8s_kc_mark {
    const char *file; /* borrowed from k8s_kubeconfig.files */
    unsigned line, col;
};

struct k8s_kc_cluster {
    char *name;
    char *server;
    char *certificate_authority;      /* absolute path or NULL */
    char *certificate_authority_data; /* base64 as written or NULL */
    bool insecure_skip_tls_verify;
    char *tls_server_name;
    char *proxy_url;           /* parsed, not supported by the transport */
    char *exec_extension_json; /* extensions[name=client.authentication.k8s.io/exec] as JSON */
    struct k8s_kc_mark mark;
};

struct k8s_kc_user {
    char *name;
    char *client_certificate; /* absolute path or NULL */
    char *client_certificate_data;
    char *client_key;
    char *client_key_data;
    char *token;
    char *token_file; /* absolute path */
    char *username, *password;
    char *auth_provider; /* auth-provider.name, or NULL */
    bool has_exec;
    struct k8s_exec_config exec; /* cluster_* fields left NULL here */
    struct k8s_kc_mark mark;
    struct k8s_kc_mark exec_mark;
};

struct k8s_kc_context {
    char *name;
    char *cluster;
    char *user;
    char *namespace;
    struct k8s_kc_mark mark;
};

struct k8s_kubeconfig {
    struct k8s_kc_cluster *clusters;
    size_t nclusters;
    struct k8s_kc_user *users;
    size_t nusers;
    struct k8s_kc_context *contexts;
    size_t ncontexts;
    char *current_context; /* NULL when no file set it */
    const char *current_context_file;
    char **files; /* every file loaded, in order */
    size_t nfiles;
};

void k8s_kubeconfig_init(struct k8s_kubeconfig *kc);
void k8s_kubeconfig_free(struct k8s_kubeconfig *kc);

/*
 * Parses `len` bytes as one kubeconfig and merges it into kc (first wins).
 * `file` names it in errors and its directory resolves relative paths
 * (NULL: "<memory>" and paths stay relative to the working directory).
 * kc is unchanged on error.
 */
enum k8s_status k8s_kubeconfig_load_buffer(struct k8s_kubeconfig *kc, const char *data, size_t len,
                                           const char *file, struct k8s_error *err);

/* Reads and merges one file. K8S_EIO if it cannot be read (message names it). */
enum k8s_status k8s_kubeconfig_load_file(struct k8s_kubeconfig *kc, const char *path,
                                         struct k8s_error *err);

/*
 * Merges every file of a ':'-separated list, skipping missing ones.
 * *nloaded (may be NULL) receives how many files were read.
 */
enum k8s_status k8s_kubeconfig_load_paths(struct k8s_kubeconfig *kc, const char *list,
                                          size_t *nloaded, struct k8s_error *err);

const struct k8s_kc_cluster *k8s_kubeconfig_cluster(const struct k8s_kubeconfig *kc,
                                                    const char *name);
const struct k8s_kc_user *k8s_kubeconfig_user(const struct k8s_kubeconfig *kc, const char *name);
const struct k8s_kc_context *k8s_kubeconfig_context(const struct k8s_kubeconfig *kc,
                                                    const char *name);

#endif
