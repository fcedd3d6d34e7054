/*
 * kube_provider: warm pods on Kubernetes, behind the provider interface.
 *
 * The pool core (pool/) decides; this provider turns its actions into API
 * calls through k8sclient/ and the API's answers into pool observations.
 * Nothing here runs on a claim's path: a claim is answered from the pool
 * core's memory; pods are created, observed, annotated and deleted in the
 * background, on the daemon's loop (kube_loop.h), never blocking it.
 *
 *   CREATE_PODS{pool, n}  -> n POSTs under the pool's creation budget
 *                            (kube_budget.h: pods/s, pods being created at
 *                            once, back-off after failures), each under a
 *                            name prewarm chose (kube_name.h), so a POST
 *                            replayed by the transport meets 409
 *                            AlreadyExists (taken as success) and a create
 *                            retried after a transport error reuses its
 *                            name. The pod is the pool's template merged
 *                            with its node pool (kube_template.h).
 *   DELETE_POD{pod}       -> DELETE with the pool's grace period; 404 means
 *                            gone. The pool core re-sends it until the
 *                            informer reports the pod gone.
 *   RECORD_BINDING{s}     -> the durability hook (journal) synchronously,
 *                            then the bind writer (kube_binds.h): batched,
 *                            rate-limited merge patches of one annotation.
 *   informer (list+watch of the pool namespaces, label selector
 *   app.kubernetes.io/managed-by=prewarm, compact records kube_pod.h)
 *                         -> pod_starting / pod_ready / pod_gone on each
 *                            change of a pod's class: READY (Running, Ready,
 *                            pod IP, not deleting), STARTING, GONE (deleted
 *                            or evicted, Failed, Succeeded, a container
 *                            restarted, Unschedulable). A GONE pod that
 *                            still exists is deleted. Pods stuck Pending
 *                            are the pool core's start_timeout. A bound pod
 *                            going GONE ends its session (POD_DIED).
 *
 * Recovery (before serving): the provider lists its pods; when every pool
 * namespace is listed it rebuilds the pools and their sessions through the
 * restore callback (pool_restore): bound pods first (binding from the
 * journal when it has a newer one, else from the pod's annotation), then
 * idle Ready pods, then starting ones. A pod over max_total, of a pool no
 * longer configured, whose session has expired or ended, or that is
 * doubtful (below) is deleted. Then `recovered` runs and the daemon sizes
 * the pools and starts serving.
 *
 * Durability: what closes the window between a claim's answer and its
 * binding record on the pod.
 *
 *   failure                    what happens                         claim cost
 *   -------------------------  -----------------------------------  ----------
 *   prewarmd killed (kill -9,  the journal (append-only file,       one write(2)
 *   OOM), restarted on the     written before the answer leaves;    to the page
 *   same node                  survives a process crash; emptyDir   cache, ~1-3
 *                              in a cluster) names every binding    us (measured
 *                              the pod annotations may lack; the    in the bench)
 *                              restart restores them before serving
 *   node lost (journal gone)   standby takes over after the lease   none
 *                              expires (<= 15 s); bindings already
 *                              on pods are restored; idle pods are
 *                              doubtful (the dead leader may have
 *                              bound them in its last write window)
 *                              and are quarantined for
 *                              quarantine_seconds (a binding the
 *                              old leader's journal writes onto one
 *                              restores its session), then deleted;
 *                              sessions whose binding never reached
 *                              their pod are lost, their pods never
 *                              handed out again
 *   leader failover            the old leader stops answering at    none
 *   (partition, lost renew)    its renew deadline (10 s) before
 *                              its lease (15 s) can expire; the new
 *                              leader's epoch is higher; a binding
 *                              written later with an older epoch
 *                              onto a pod is ignored (the pod is
 *                              retired, never handed out twice)
 *   API outage                 claims keep succeeding from the      none
 *                              warm stock; binding records wait in
 *                              the bounded queue (one per pod);
 *                              creates retry; refill on return
 *   network partition of the   as an outage until the lease can no  none
 *   leader from the API        longer be renewed, then as failover
 *
 * Options weighed: replicating each bind to the standby before answering
 * (survives node loss without retiring idle pods; costs one round trip per
 * claim, ~50-200 us in a cluster, and couples every claim to the standby's
 * health); fencing at the backend (the signed connect token names session,
 * pod and epoch, so a backend can accept only the first session it sees:
 * a second hand-out fails loudly instead of sharing; free on the claim
 * path). prewarm uses the journal + retire-the-doubtful + epochs in tokens
 * and records.
 *
 * Leader election and the journal come from the daemon's kube_ha (shared
 * by every Kubernetes pool, kube_provider_set_ha); without one the
 * provider serves at epoch 0, journals nothing and, on a restart, retires
 * every idle pod it finds (safe, costly).
 *
 * Ownership: kube_provider_new() copies what it needs from its options
 * (the pool configs must outlive the provider: they hold the templates);
 * ops->free cancels every request (callbacks see K8S_ECANCELED) and frees
 * everything. Pods are not deleted at shutdown: a restarted prewarmd adopts
 * them.
 */
#ifndef KUBE_PROVIDER_H
#define KUBE_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_binds.h"
#include "kube_config.h"
#include "loop.h"
#include "provider.h"

struct k8s_client_stats;
struct k8s_config;
struct pool_session_info;

struct kube_ha;

struct kube_provider_pool {
    const char *name;
    const struct kube_pool_config *kube; /* NULL: not a Kubernetes pool */
    uint32_t max_total;
};

struct kube_provider_options {
    const struct kube_connection *conn;
    const struct k8s_config *k8s; /* NULL: load from conn (kubeconfig / in-cluster) */
    const struct kube_provider_pool *pools;
    size_t npools;
    struct provider_events events; /* pod_restored and recovered required */
    struct kube_ha *ha;            /* NULL: no journal, no election (kube_provider_set_ha) */
    uint64_t name_seed;            /* 0: pod names from getrandom(); else reproducible (tests) */
};

/* Counters for the metrics module. API requests by verb and answer. */
enum kube_verb { KUBE_VERB_CREATE, KUBE_VERB_DELETE, KUBE_VERB_PATCH, KUBE_VERB_COUNT };
enum kube_answer {
    KUBE_ANSWER_2XX,
    KUBE_ANSWER_404,
    KUBE_ANSWER_409,
    KUBE_ANSWER_429,
    KUBE_ANSWER_4XX, /* other 4xx */
    KUBE_ANSWER_5XX,
    KUBE_ANSWER_TRANSPORT, /* no HTTP answer */
    KUBE_ANSWER_COUNT
};
#define KUBE_LEAD_BUCKETS 8 /* <= 0.5, 1, 2, 5, 10, 30, 60 s, +Inf */

struct kube_provider_stats {
    uint64_t requests[KUBE_VERB_COUNT][KUBE_ANSWER_COUNT];
    uint64_t lists, relists, list_failures; /* informers */
    uint64_t watch_restarts;                /* watch streams opened again (resume or relist) */
    uint64_t pods_created, create_replays, create_retries, create_failures;
    uint64_t pods_gone_by_why[8]; /* enum kube_pod_why */
    uint64_t unknown_deleted, restored_bound, restored_idle, quarantined, retired, over_max_deleted;
    struct kube_binds_stats binds;
    uint64_t lead_count; /* pods created -> Ready */
    double lead_sum_s;
    uint64_t lead_buckets[KUBE_LEAD_BUCKETS];
    size_t tracked_pods; /* pods in the informer stores */
    bool recovered;
};

extern const double kube_lead_bounds[KUBE_LEAD_BUCKETS - 1];

/* NULL with a message in err (connection config, template, OOM). The
 * provider is idle until kube_provider_start(). */
struct provider *kube_provider_new(struct loop *loop, const struct kube_provider_options *o,
                                   char *err, size_t errlen);
/* Lists the pods, rebuilds the pools (restore events), then runs: called at
 * once without leader election, on becoming leader with it. Returns 0, or
 * -1 with a message in err. */
int kube_provider_start(struct provider *p, char *err, size_t errlen);

struct kube_group;
/* The factory's constructor (provider_factory.c): one pool. With a group
 * (kube_group.h) it joins it and starts when the group leads; without, it
 * starts at once (informers, then recovery). */
struct provider *provider_kube_new(struct loop *loop, const struct config_pool *pool,
                                   const struct provider_events *events, struct kube_group *group,
                                   char *err, size_t errlen);

/* Leader election and the journal plug in here; call before the loop runs
 * (or before kube_provider_start). */
/* Leader election and the bind journal (kube_ha.h; borrowed, must outlive
 * the provider): bindings are journaled before their answer, recovery
 * reads the journal, the epoch and serving state come from it. */
void kube_provider_set_ha(struct provider *p, struct kube_ha *ha);
bool kube_provider_is(const struct provider *p);
void kube_provider_get_stats(const struct provider *p, struct kube_provider_stats *out);
/* The counters of the provider's own API client (requests by verb and answer). */
void kube_provider_get_api_stats(const struct provider *p, struct k8s_client_stats *out);

#endif
