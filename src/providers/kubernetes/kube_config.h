/*
 * kube_config: the Kubernetes provider's configuration, as the daemon's
 * config loader fills it (src/config/) and the provider reads it.
 *
 *   kubernetes:                       # top level: the connection (optional)
 *     kubeconfig: ~/.kube/config      # unset: $KUBECONFIG, then ~/.kube/config,
 *     context: prod                   #   then in-cluster (client-go's order)
 *     in_cluster: false               # true: service account only
 *     qps: 50                         # whole client (creates, deletes, binds,
 *     burst: 100                      #   lists, watches)
 *     bind_qps: 20                    # binding records written per second
 *     quarantine_seconds: 30          # doubtful pods held back after a takeover
 *   pools:
 *     - name: editor
 *       provider: kubernetes
 *       kubernetes:
 *         namespace: warm
 *         template: editor-pod.yaml   # file, relative to the config file,
 *         # template_inline: {...}    #   or the pod inline
 *         port: 8080                  # address = pod IP:port
 *         node_selector: {cloud.google.com/gke-nodepool: warm}
 *         tolerations:
 *           - {key: dedicated, operator: Equal, value: warm, effect: NoSchedule}
 *         create_qps: 10              # pods created per second
 *         create_burst: 10
 *         max_creating: 20            # pods being created at once
 *         delete_grace_seconds: 5     # -1: the pod's own
 *         node_lost_seconds: 30       # eviction from an unreachable node
 *         connect_key_secret: prewarm-connect   # Secret with key "connect-key":
 *                                     #   PREWARM_CONNECT_KEY in the pods
 *
 * Ownership: every string and array belongs to the struct; the config
 * module frees them (kube_pool_config_free / kube_connection_free).
 */
#ifndef KUBE_CONFIG_H
#define KUBE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

struct kube_kv {
    char *key;
    char *value;
};

struct kube_toleration {
    char *key;      /* NULL: any key (operator Exists) */
    char *operator; /* "Equal" / "Exists"; NULL: Equal */
    char *value;    /* NULL: none */
    char *effect;   /* NULL: every effect */
    bool has_seconds;
    int64_t seconds;
};

struct kube_connection {
    char *kubeconfig; /* NULL: client-go's loading order */
    char *context;    /* NULL: current-context */
    bool in_cluster;
    double qps;
    uint32_t burst;
    double bind_qps;
    uint32_t quarantine_s;
};

struct kube_pool_config {
    const struct kube_connection *conn; /* the top-level block (not owned) */
    char *namespace;
    char *template_path;    /* as resolved (for messages); NULL when inline */
    struct cJSON *template; /* parsed Pod, owned */
    uint16_t port;
    struct kube_kv *node_selector;
    size_t node_selector_len;
    struct kube_toleration *tolerations;
    size_t tolerations_len;
    double create_qps;
    uint32_t create_burst;
    uint32_t max_creating;
    int64_t delete_grace_s; /* -1: the pod's own */
    uint32_t node_lost_s;
    char *connect_key_secret; /* NULL: no PREWARM_CONNECT_KEY env */
};

void kube_connection_defaults(struct kube_connection *c);
void kube_connection_free(struct kube_connection *c);
void kube_pool_config_defaults(struct kube_pool_config *p);
void kube_pool_config_free(struct kube_pool_config *p);

#endif
