/*
 * kube_flush: at start, writes onto the pods what this node's bind journal
 * knows and the pods may not.
 *
 * Why: a prewarmd killed between answering a claim and recording the
 * binding on the pod leaves the binding only in its journal. If another
 * replica has become leader meanwhile, that leader holds the pods it cannot
 * prove idle in quarantine (kube_provider.h) and restores a session as soon
 * as its binding appears on the pod. So every prewarmd, leader or standby,
 * first lists its pods once and:
 *   - writes each bound journal entry onto its pod when the pod carries no
 *     binding, or one of an older epoch (a JSON merge patch carrying the
 *     pod's resourceVersion, so a concurrent change makes it a 409 and the
 *     pass runs again; a newer binding is never overwritten);
 *   - deletes (uid precondition) each pod whose annotation names a session
 *     the journal knows has ended, so an ended session is never restored.
 * A pass that had failures (list errors, 409s, 5xx, transport) is run again
 * after a back-off (1 s doubling to 30 s) until one completes cleanly; then
 * `done` runs once. Pods that are gone (404) are simply skipped.
 *
 * Ownership: the caller keeps the client and the journal alive until
 * kube_flush_free(), which cancels what is in flight (no callback runs from
 * inside it). Single-threaded: the client's loop.
 */
#ifndef KUBE_FLUSH_H
#define KUBE_FLUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "k8s_client.h"
#include "kube_journal.h"
#include "loop.h"

struct kube_flush_stats {
    uint64_t passes;  /* list passes started */
    uint64_t seen;    /* pods listed in the last pass */
    uint64_t written; /* bindings written onto pods */
    uint64_t deleted; /* pods of ended sessions deleted */
    uint64_t failures;
    bool done;
};

struct kube_flush;

/* namespaces: the pools' namespaces (duplicates are listed once), copied.
 * done(arg) runs once, on the loop, after a clean pass. The first pass
 * starts on the next loop turn. Aborts on OOM (src/base/oom.h). */
void kube_flush_start(struct loop *loop, struct k8s_client *c, struct kube_journal *j,
                      const char *const *namespaces, size_t n, void (*done)(void *arg), void *arg,
                      struct kube_flush **out);
void kube_flush_free(struct kube_flush *f);
void kube_flush_get_stats(const struct kube_flush *f, struct kube_flush_stats *out);

#endif
