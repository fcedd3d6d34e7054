/*
 * metrics_kube: the Kubernetes families of prewarmd, written from a
 * snapshot the daemon takes of its Kubernetes pools' providers, their API
 * clients and what the pools share (journal, Lease).
 *
 * Written only when the daemon has a Kubernetes pool (the API families) or
 * shares a journal or Lease (the leader and journal families):
 *
 *   prewarm_kube_api_requests_total{verb,code}  counter  HTTP attempts to the API server,
 *       every client of the daemon; verb: get list watch create update patch
 *       delete other; code: the status ("200", "409"...), its class ("4xx")
 *       for rare ones, "error" when no HTTP answer came (k8s_verb.h)
 *   prewarm_kube_api_up                      gauge    0 while the latest answer of any
 *       client was none or a 5xx, else 1
 *   prewarm_kube_lists_total{pool}, prewarm_kube_relists_total{pool},
 *   prewarm_kube_list_failures_total{pool}   counters informer lists (relists: after
 *       the watch's resourceVersion expired)
 *   prewarm_kube_watch_restarts_total{pool}  counter  watch streams opened again
 *   prewarm_kube_bind_queue_depth{pool}      gauge    binding records waiting for their patch
 *   prewarm_kube_bind_records_total{pool,result} counter written retried dropped
 *       coalesced refused
 *   prewarm_kube_pods_tracked{pool}          gauge    pods in the informer stores
 *   prewarm_leader                           gauge    1 while this replica leads (election only)
 *   prewarm_leader_term                      gauge    the current (or last) term (epoch)
 *   prewarm_leader_transitions_total{event}  counter  acquired lost (election only)
 *   prewarm_journal_records_total, prewarm_journal_failures_total  counters (journal only)
 *   prewarm_journal_bytes                    gauge    the journal file's size
 *   prewarm_journal_flush_total{action}      counter  written (bindings put onto pods at
 *       start) deleted (pods whose session had ended)
 *
 * Ownership: the snapshot is the caller's; output goes into its writer.
 */
#ifndef PREWARM_METRICS_KUBE_H
#define PREWARM_METRICS_KUBE_H

#include <stddef.h>

#include "k8s_client.h"
#include "kube_provider.h"
#include "metrics.h"
#include "provider.h"

struct metrics_kube_pool {
    const char *name;
    struct kube_provider_stats stats;
};

struct metrics_kube {
    const struct metrics_kube_pool *pools; /* the Kubernetes pools only */
    size_t npools;
    struct k8s_client_stats api; /* every client of the daemon, summed */
    struct provider_shared_stats shared;
};

/* Adds b's answers into a (failing: either). */
void metrics_kube_add_api(struct k8s_client_stats *a, const struct k8s_client_stats *b);
void metrics_kube_write(struct metrics_writer *w, const struct metrics_kube *k);

#endif
