/*
 * kube_ha: what makes a 201 survive crashes and failovers for Kubernetes
 * pools: the bind journal (kube_journal.h), leader election on a Lease
 * (k8s_leader.h), the journal flush at start (kube_flush.h), and what the
 * Kubernetes providers ask of them (kube_provider_set_ha): one kube_ha is
 * shared by every Kubernetes pool of a daemon (kube_group.h).
 *
 * Life of a replica
 *   1. kube_ha_new() opens and replays the journal (a blocking read of a
 *      local file, before the daemon serves anything), creates its own
 *      API client (so Lease renewals never queue behind pod creates in the
 *      provider's rate limiter) and starts the flush of the journal onto the
 *      pods and, when configured, the election.
 *   2. It leads: `leading(epoch)` runs once. Without election the epoch is
 *      the journal's last epoch + 1 and `leading` runs on the next loop
 *      turn. The epoch is recorded in the journal before `leading` runs.
 *      The daemon then starts the provider's recovery and, once it has
 *      recovered, answers claims.
 *   3. It stops leading (renew deadline passed, another holder seen):
 *      `stopped` runs; kube_ha_serving() was already false from the
 *      deadline on. The daemon stops answering at once and exits, to come
 *      back as a standby (crash-only: no path from leading back to
 *      following inside one process).
 *
 * Idle pods are provable (kube_ha_idle_provable) only when this
 * journal existed before the start, replayed cleanly, and the new epoch
 * directly follows its last one: then no one else can have bound a pod
 * in between, and every claim this node answered is in the journal.
 * Otherwise the provider quarantines idle pods (kube_provider.h).
 *
 * Ownership: kube_ha_new() copies its options; the k8s config must outlive
 * the kube_ha. kube_ha_free() cancels everything in flight and leaves the
 * Lease as it is; kube_ha_release() first gives it up for a fast handover.
 * Single-threaded: the daemon's loop.
 */
#ifndef KUBE_HA_H
#define KUBE_HA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_binds.h"
#include "kube_journal.h"
#include "loop.h"

struct k8s_client_stats;
struct k8s_config;

struct kube_ha_options {
    const char *journal_path;      /* NULL: no journal (idle pods never provable) */
    bool journal_sync;             /* fdatasync every record */
    const char *const *namespaces; /* the pools' namespaces (the flush lists them) */
    size_t nnamespaces;
    const struct k8s_config *k8s; /* the API server; required */
    const char *lease_name;       /* NULL: no election (one replica) */
    const char *lease_namespace;  /* NULL: the k8s config's namespace */
    const char *identity;         /* unique per replica (e.g. the pod name) */
    int lease_duration_ms;        /* 0: 15 000 */
    int renew_deadline_ms;        /* 0: 10 000 */
    int retry_period_ms;          /* 0: 2 000 */
};

struct kube_ha_events {
    void *ctx;
    void (*leading)(void *ctx, uint64_t epoch); /* recover, then serve */
    void (*stopped)(void *ctx);                 /* stop serving now */
};

struct kube_ha_stats {
    bool leader;
    uint64_t epoch;
    uint64_t acquisitions, losses;
    bool flushed;
    uint64_t flush_written, flush_deleted, flush_failures;
    struct kube_journal_stats journal;
    uint64_t journal_failures; /* binds refused because the journal could not write */
};

struct kube_ha;

/* What the journal knows of a pod. */
enum kube_journal_state {
    KUBE_JOURNAL_NONE = 0, /* nothing: trust the pod's annotation */
    KUBE_JOURNAL_BOUND,    /* bound: *out holds the binding */
    KUBE_JOURNAL_ENDED,    /* its session ended: the pod must go */
};

/* NULL with a message in err (journal unreadable, client). */
struct kube_ha *kube_ha_new(struct loop *loop, const struct kube_ha_options *o,
                            const struct kube_ha_events *ev, char *err, size_t errlen);
void kube_ha_free(struct kube_ha *ha);

/* The journal as the providers use it. A bind, before a claim's answer
 * leaves prewarmd, returns 0, or -1 when the journal could not write (the
 * claim must then be refused and its session released). End: the session
 * ended (its pod is being deleted). Forget: the pod is gone. Lookup: at
 * recovery, before serving. Without a journal: bind 0, lookup NONE. */
int kube_ha_journal_bind(struct kube_ha *ha, const char *pool, const struct kube_binding *b);
void kube_ha_journal_end(struct kube_ha *ha, const char *pod, const char *session);
void kube_ha_journal_forget(struct kube_ha *ha, const char *pod);
enum kube_journal_state kube_ha_journal_lookup(const struct kube_ha *ha, const char *pod,
                                               struct kube_binding *out);
/* Idle pods found at start are proven idle (see above). False: the
 * provider quarantines them (held out of the idle stock for
 * quarantine_seconds; a binding written onto one meanwhile restores its
 * session; the rest are then deleted). */
bool kube_ha_idle_provable(const struct kube_ha *ha);

/* True while claims may be answered: leading (judged at this instant, not
 * at the last loop turn) and the epoch recorded. The epoch is the one
 * written into bindings and connect tokens. */
bool kube_ha_serving(const struct kube_ha *ha);
uint64_t kube_ha_epoch(const struct kube_ha *ha);
void kube_ha_get_stats(const struct kube_ha *ha, struct kube_ha_stats *out);
/* Its own API client's counters (Lease and flush requests). */
void kube_ha_get_api_stats(const struct kube_ha *ha, struct k8s_client_stats *out);

/* Stops serving and gives the Lease up; done(arg) runs once afterwards. */
int kube_ha_release(struct kube_ha *ha, void (*done)(void *arg), void *arg);

#endif
