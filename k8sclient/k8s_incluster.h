/*
 * k8s_incluster: configuration for a process running in a pod (client-go
 * rest.InClusterConfig).
 *
 * Server: "https://" + host ":" port from KUBERNETES_SERVICE_HOST and
 * KUBERNETES_SERVICE_PORT; an IPv6 host (contains ':') is bracketed. Both
 * must be set and non-empty, otherwise K8S_ENOTINCLUSTER ("unable to load
 * in-cluster configuration, KUBERNETES_SERVICE_HOST and
 * KUBERNETES_SERVICE_PORT must be defined").
 * Files under the root (default /var/run/secrets/kubernetes.io/serviceaccount,
 * overridable for tests): `token` (must exist and be non-empty now; then a
 * token-file credential re-reads it every 60 s and after a 401), `ca.crt`
 * (read into ca_pem; missing -> K8S_ECONFIG), `namespace` (optional,
 * trimmed; "default" when missing or empty).
 *
 * Ownership: returns a heap k8s_config freed with k8s_config_free().
 * No global state; env is read only when the option is NULL.
 * Callers: k8s_config_load(), prewarmd.
 */
#ifndef K8S_INCLUSTER_H
#define K8S_INCLUSTER_H

#include "k8s_config.h"
#include "k8s_error.h"

#define K8S_INCLUSTER_DEFAULT_ROOT "/var/run/secrets/kubernetes.io/serviceaccount"

struct k8s_incluster_options {
    const char *root; /* NULL = K8S_INCLUSTER_DEFAULT_ROOT */
    const char *host; /* NULL = getenv("KUBERNETES_SERVICE_HOST") */
    const char *port; /* NULL = getenv("KUBERNETES_SERVICE_PORT") */
};

enum k8s_status k8s_incluster_load(const struct k8s_incluster_options *opts,
                                   struct k8s_config **out, struct k8s_error *err);

/* True when both service env vars (or options) are set: we seem to run in a pod. */
bool k8s_incluster_available(const struct k8s_incluster_options *opts);

#endif
