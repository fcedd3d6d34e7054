/*
 * k8s_leader: leader election on a coordination.k8s.io/v1 Lease, with
 * client-go's semantics and defaults (lease 15 s, renew deadline 10 s,
 * retry period 2 s), driven by the client's timers on the caller's loop.
 *
 * How it decides
 *   - A follower reads the Lease every retry period. It takes the Lease
 *     (PUT carrying the resourceVersion it read, so a lost race is a 409,
 *     never a silent overwrite) when the holder is empty, is this elector's
 *     own identity, or has not changed the record for a whole lease duration
 *     as timed by this process's monotonic clock from when it first saw that
 *     record. Remote timestamps are never compared with the local clock, so
 *     clock skew between replicas cannot make two leaders.
 *   - A leader renews every retry period. k8s_leader_is_leading() turns
 *     false at (send time of the last successful renew) + renew deadline.
 *     A standby cannot take over before (the moment it saw that renew) +
 *     lease duration, which is later than the send time, and the renew
 *     deadline is shorter than the lease duration: so a leader that cannot
 *     renew stops leading before its lease can have expired anywhere. A
 *     timer also calls `stopped` at that instant, and at once when a read
 *     shows another holder.
 *   - The epoch is spec.leaseTransitions as written by the acquisition. Every
 *     acquisition by a new process incarnation increments it, also when the
 *     holder identity is this elector's own (a restarted replica takes its
 *     Lease back at once, with a new epoch). A Lease deleted and created
 *     again never lowers the epoch below the floor the caller sets (the
 *     highest epoch it has seen recorded anywhere).
 *
 * Identities must be unique per running process (two processes with one
 * identity would both lead); a pod name plus a start counter or a random
 * suffix will do.
 *
 * Ownership: k8s_leader_start() returns an elector the caller frees with
 * k8s_leader_free() (no callback runs from inside it; an in-flight request is
 * cancelled; the Lease is left as it is, so a standby takes over after the
 * lease duration). k8s_leader_release() gives the Lease up at once (holder
 * "") for a graceful shutdown. Free electors before their client.
 * Callbacks run on the client's loop, never from inside a k8s_leader_* call.
 */
#ifndef K8S_LEADER_H
#define K8S_LEADER_H

#include <stdbool.h>
#include <stdint.h>

#include "k8s_client.h"
#include "k8s_error.h"

struct k8s_leader;

struct k8s_leader_options {
    const char *ns;        /* NULL: the client's namespace */
    const char *name;      /* the Lease's name; required */
    const char *identity;  /* holderIdentity; required, unique per process */
    int lease_duration_ms; /* 0: 15 000 */
    int renew_deadline_ms; /* 0: 10 000; must be < lease_duration_ms */
    int retry_period_ms;   /* 0: 2 000; must be < renew_deadline_ms */
    int64_t epoch_floor;   /* the epoch of a new acquisition is > floor; -1: none */
};

struct k8s_leader_events {
    /* This process leads from now on, in term `epoch`. */
    void (*started)(void *arg, int64_t epoch);
    /* It no longer leads (renew deadline passed, another holder seen, or
     * released). Stop every leader-only action now. */
    void (*stopped)(void *arg);
    /* Optional: the holder the Lease names changed ("" when released). */
    void (*holder)(void *arg, const char *identity);
};

struct k8s_leader_stats {
    uint64_t acquisitions; /* times this elector became leader */
    uint64_t renewals;     /* successful renews, acquisitions excluded */
    uint64_t failures;     /* failed API calls (conflicts included) */
    uint64_t losses;       /* times leadership ended */
};

/* K8S_EINVAL for missing names or inconsistent durations. The first read
 * of the Lease starts at once. */
enum k8s_status k8s_leader_start(struct k8s_client *c, const struct k8s_leader_options *o,
                                 const struct k8s_leader_events *ev, void *arg,
                                 struct k8s_leader **out);
void k8s_leader_free(struct k8s_leader *l);

/* True while this process leads, judged at now_ms (k8s_now_ms()'s clock).
 * Cheap: no call, no allocation. */
bool k8s_leader_is_leading(const struct k8s_leader *l, uint64_t now_ms);
/* The instant leadership ends unless a renew succeeds first (monotonic ms);
 * 0 when not leading. */
uint64_t k8s_leader_deadline_ms(const struct k8s_leader *l);
/* The epoch of the current (or last) term; -1 before the first. */
int64_t k8s_leader_epoch(const struct k8s_leader *l);
/* Raises the floor for future acquisitions (never lowers it). */
void k8s_leader_set_epoch_floor(struct k8s_leader *l, int64_t floor);
void k8s_leader_get_stats(const struct k8s_leader *l, struct k8s_leader_stats *out);

/* Stops leading now (without a `stopped` callback: the caller asked), stops
 * electing, and writes holder "" so a standby can take over at once. done(arg, status)
 * runs exactly once when the write has finished (K8S_OK if nothing needed
 * writing). Free the elector only after `done`. */
enum k8s_status k8s_leader_release(struct k8s_leader *l, void (*done)(void *arg, enum k8s_status),
                                   void *arg);

#endif
