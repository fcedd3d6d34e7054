/*
 * kube_config: the Kubernetes provider's configuration, as the daemon's
 * config loader fills it (src/config/) and the provider reads it.
 *
 *   kubernetes:                       # top level: the connection (optional)
 *     kubeconfig: ~/.kube/config      # unset: $KUBECONFIG, then ~/.kube/config,
 *     context: prod                   #   then in-cluster (client-go's order)
 *     in_cluster: false               # true: service account only
 *     qps: 50                         # EACH POOL's client (creates, deletes,
 *     burst: 100                      #   binds, lists, watches of that pool)
 *     bind_qps: 20                    # binding records per second, each pool
 *     quarantine_seconds: 30          # doubtful pods held back after a takeover
 *     journal: /var/lib/prewarm/binds # bind journal (unset: none; kube_journal.h)
 *     journal_sync: false             # fdatasync each record (power loss)
 *     leader_election:                # absent: one replica, no Lease
 *       lease_name: prewarm
 *       lease_namespace: prewarm      # unset: $POD_NAMESPACE, else the client's
 *       identity: prewarm-0           # unset: $POD_NAME, else the host name
 *       lease_duration_seconds: 15    # client-go's defaults
 *       renew_deadline_seconds: 10
 *       retry_period_seconds: 2
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
 * Rate limits are per client, and every Kubernetes pool has its own client
 * (its own informer, creates, deletes and binding writes): qps, burst and
 * bind_qps apply to each pool, so a prewarmd with N Kubernetes pools may
 * send up to N x qps requests per second, plus 20 (burst 40) on the client
 * of leader election and the journal flush (kube_ha.h), which has its own
 * limit so Lease renewals never queue behind pod creates. Size qps for the
 * API server's priority-and-fairness share divided by the pool count.
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

struct kube_election {
    bool enabled;          /* the leader_election block is present */
    char *lease_name;      /* "prewarm" */
    char *lease_namespace; /* NULL: $POD_NAMESPACE, else the client's namespace */
    char *identity;        /* NULL: $POD_NAME, else the host name */
    double lease_duration_s, renew_deadline_s, retry_period_s;
};

struct kube_connection {
    char *kubeconfig; /* NULL: client-go's loading order */
    char *context;    /* NULL: current-context */
    bool in_cluster;
    double qps;
    uint32_t burst;
    double bind_qps;
    uint32_t quarantine_s;
    char *journal; /* NULL: no bind journal */
    bool journal_sync;
    struct kube_election election;
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

struct k8s_config;

void kube_connection_defaults(struct kube_connection *c);
/* The client configuration the connection names (in-cluster, or a
 * kubeconfig in client-go's loading order; conn NULL: the defaults). Returns
 * 0, or -1 with a message in err. The caller frees *out (k8s_config_free). */
int kube_connection_load(const struct kube_connection *conn, struct k8s_config **out, char *err,
                         size_t errlen);
void kube_connection_free(struct kube_connection *c);
void kube_pool_config_defaults(struct kube_pool_config *p);
void kube_pool_config_free(struct kube_pool_config *p);

#endif
