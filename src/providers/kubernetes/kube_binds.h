/*
 * kube_binds: the queue of binding records waiting to be written onto
 * their pods, after the claim was answered.
 *
 * A binding record (session id, key, request id, owner, claimed_at, expiry,
 * leader epoch; never the connect token) is written as one annotation,
 * KUBE_ANNOTATION_BIND, by a JSON merge patch. The claim never waits for
 * it: the provider pushes the record here and a writer drains the queue in
 * the background, at most `rate` records per second (burst `burst`) and
 * `max_in_flight` PATCHes at once, so a burst of claims cannot starve
 * creates and deletes of the shared client's QPS.
 *
 * Bounded memory: at most one record per pod (a newer record for the same
 * pod replaces the queued one) and at most `capacity` records (the
 * provider's pod capacity, the sum of max_total), so an API outage of any
 * length costs at most capacity x sizeof(struct kube_binding). A pod that
 * goes away drops its record (kube_binds_forget).
 * Outage-tolerant: a failed write stays queued and is retried; the writer
 * backs off (1 s doubling to 60 s, reset by a success). A 404 (pod gone)
 * drops the record.
 *
 * Pure: time is passed in; the provider does the I/O. Single-threaded.
 */
#ifndef KUBE_BINDS_H
#define KUBE_BINDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_budget.h"
#include "kube_journal.h"

#define KUBE_POD_MAX   253
#define KUBE_KEY_MAX   162 /* POOL_KEY_MAX: keys as the core stores them (scoped per caller) */
#define KUBE_OWNER_MAX 32  /* POOL_OWNER_MAX: the caller's name under auth */

struct kube_binding {
    size_t pool;
    char pod[KUBE_POD_MAX + 1];
    char session[40];
    char key[KUBE_KEY_MAX + 1];
    char request_id[KUBE_KEY_MAX + 1];
    char owner[KUBE_OWNER_MAX + 1]; /* "" when none (auth off, older records) */
    int64_t claimed_at_ns;          /* Unix ns */
    int64_t expires_at_ns;          /* Unix ns */
    uint64_t epoch;                 /* leader epoch that answered the claim */
};

/* The annotation value (a JSON object) into out; false if it does not fit. */
bool kube_binding_encode(const struct kube_binding *b, char *out, size_t cap);
/* The merge-patch body that writes the annotation; NULL on OOM (caller
 * frees). With resource_version (not NULL) the patch carries it too, so
 * the API server refuses it (409) if the pod changed since it was read. */
char *kube_binding_patch(const struct kube_binding *b, const char *resource_version);
/* Parses an annotation value; pool and pod are left as they are. */
bool kube_binding_decode(const char *text, struct kube_binding *out);

/* The journal's form of b (strings borrowed from b and pool_name). */
struct kube_journal_entry kube_binding_journal_entry(const struct kube_binding *b,
                                                     const char *pool_name);
/* A journal entry as a binding (pool index 0; strings copied, cut to fit). */
void kube_binding_from_journal(const struct kube_journal_entry *e, struct kube_binding *out);

enum kube_bind_outcome {
    KUBE_BIND_WRITTEN = 1, /* 200: done */
    KUBE_BIND_RETRY,       /* transport error, 429/5xx after retries, 409: keep, back off */
    KUBE_BIND_DROP,        /* 404 (pod gone) or a refusal no retry can fix */
};

struct kube_binds_stats {
    uint64_t queued, written, retried, dropped, coalesced, refused;
    size_t depth, in_flight;
};

struct kube_binds;

/* NULL on OOM. */
struct kube_binds *kube_binds_new(size_t capacity, double rate, uint32_t burst,
                                  uint32_t max_in_flight, uint64_t now);
void kube_binds_free(struct kube_binds *q);

/* Queues b (copied); replaces a queued record of the same pod. Returns
 * false when capacity records are queued (counted in refused). */
bool kube_binds_push(struct kube_binds *q, const struct kube_binding *b);
/* The pod is gone or being deleted: its queued record is dropped (one in
 * flight finishes and is then dropped). */
void kube_binds_forget(struct kube_binds *q, const char *pod);
/* Takes the oldest record due now if the rate and in-flight cap allow;
 * it stays in flight until kube_binds_finished(). */
bool kube_binds_next(struct kube_binds *q, uint64_t now, struct kube_binding *out);
void kube_binds_finished(struct kube_binds *q, const char *pod, enum kube_bind_outcome outcome,
                         uint64_t now);
/* When kube_binds_next() may next return a record: UINT64_MAX if nothing
 * waits (or everything is in flight). */
uint64_t kube_binds_wake(const struct kube_binds *q, uint64_t now);
void kube_binds_get_stats(const struct kube_binds *q, struct kube_binds_stats *out);

#endif
