/*
 * k8s_config: the resolved connection settings the transport needs: server
 * URL, TLS material, namespace and a credential source.
 *
 * Sources:
 *  - kubeconfig: k8s_config_from_kubeconfig() resolves a loaded (merged)
 *    k8s_kubeconfig for the current context or the overrides; the loader
 *    k8s_config_load_kubeconfig() reads $KUBECONFIG (':'-list, merged) or
 *    ~/.kube/config first.
 *  - in-cluster: k8s_incluster.h (service account token file + CA).
 *  - k8s_config_load(): kubeconfig when one exists, otherwise in-cluster
 *    (client-go's deferred loading order).
 *
 * Rules implemented (client-go clientcmd):
 *  - certificate-authority-data wins over certificate-authority (a file,
 *    read now); the same for client-certificate(-data) / client-key(-data).
 *    `*-data` is base64 in the kubeconfig; ca_pem etc. hold decoded PEM.
 *  - a client certificate and key must belong together (client-go's
 *    tls.X509KeyPair, k8s_keypair.h): otherwise K8S_ECONFIG naming
 *    "user.client-key" and where each came from.
 *  - credentials are attached only when the server URL is https://: with
 *    http:// `cred`, client_cert_pem and client_key_pem stay NULL.
 *  - user credential precedence: token, then tokenFile, then exec; a user
 *    with only `auth-provider` fails with "The gcp auth plugin has been
 *    removed. ..." style text (K8S_ECONFIG), a user with only
 *    username/password fails (basic auth unsupported).
 *  - namespace: override, else the context's, else "default".
 *  - errors name "FILE:LINE:COL: FIELD" in err->detail.
 *  - the exec plugin gets spec.cluster (server, CA data, tls-server-name,
 *    insecure-skip-tls-verify, the cluster's exec extension) when
 *    provideClusterInfo is true.
 *
 * Ownership: k8s_config_* constructors return a heap `struct k8s_config`
 * that the caller frees with k8s_config_free() (which frees the strings and
 * the cred). The transport may take the cred (set cfg->cred = NULL after
 * taking it) if it outlives the config. No global state; environment
 * variables are read only when the options leave the value NULL.
 * Callers: the transport (k8s_client.c), prewarmd's k8s provider, tests.
 */
#ifndef K8S_CONFIG_H
#define K8S_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "k8s_cred.h"
#include "k8s_error.h"
#include "k8s_kubeconfig.h"

struct k8s_config {
    char *server; /* "https://host[:port][/path]", no trailing '/' */
    char *ca_pem; /* CA bundle PEM (NUL-terminated), NULL = system trust store */
    size_t ca_pem_len;
    bool insecure_skip_tls_verify;
    char *tls_server_name; /* SNI / verification name override, or NULL */
    char *client_cert_pem; /* static client certificate (kubeconfig), or NULL */
    size_t client_cert_pem_len;
    char *client_key_pem;
    size_t client_key_pem_len;
    char *namespace;       /* never NULL after a successful load */
    struct k8s_cred *cred; /* NULL = no bearer/exec credential */
    char *context;         /* the context used, NULL for in-cluster */
    char *proxy_url;       /* kubeconfig proxy-url (not applied by the transport) */
};

struct k8s_config_overrides {
    const char *context;   /* instead of current-context */
    const char *cluster;   /* instead of the context's cluster */
    const char *user;      /* instead of the context's user */
    const char *namespace; /* instead of the context's namespace */
    const char *server;    /* instead of the cluster's server */
};

struct k8s_config_options {
    struct k8s_config_overrides overrides;
    const char *kubeconfig; /* explicit file (must exist); NULL = $KUBECONFIG or ~/.kube/config */
    const char *kubeconfig_env; /* value to use for $KUBECONFIG; NULL = getenv */
    const char *home;           /* NULL = getenv("HOME") */
    /* In-cluster fallback (k8s_config_load only). */
    const char *incluster_root; /* NULL = /var/run/secrets/kubernetes.io/serviceaccount */
    const char *service_host;   /* NULL = getenv("KUBERNETES_SERVICE_HOST") */
    const char *service_port;   /* NULL = getenv("KUBERNETES_SERVICE_PORT") */
};

/* Resolves one context of a loaded kubeconfig. */
enum k8s_status k8s_config_from_kubeconfig(const struct k8s_kubeconfig *kc,
                                           const struct k8s_config_overrides *ov,
                                           struct k8s_config **out, struct k8s_error *err);

/*
 * Loads kubeconfig files (opts->kubeconfig, else the $KUBECONFIG list, else
 * ~/.kube/config) and resolves them. K8S_ECONFIG "no configuration has been
 * provided" when no file exists. opts may be NULL.
 */
enum k8s_status k8s_config_load_kubeconfig(const struct k8s_config_options *opts,
                                           struct k8s_config **out, struct k8s_error *err);

/* Kubeconfig if any file exists, otherwise in-cluster. opts may be NULL. */
enum k8s_status k8s_config_load(const struct k8s_config_options *opts, struct k8s_config **out,
                                struct k8s_error *err);

void k8s_config_free(struct k8s_config *cfg);

/*
 * Helper shared with k8s_incluster: reads a whole small file (at most
 * 4 MiB) into a NUL-terminated heap buffer (caller frees). K8S_ECONFIG with
 * "PATH: reason" when it cannot be read.
 */
enum k8s_status k8s_config_read_file(const char *path, char **data, size_t *len,
                                     struct k8s_error *err);

#endif
