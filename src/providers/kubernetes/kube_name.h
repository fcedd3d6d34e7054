/*
 * kube_name: the names prewarm gives its pods.
 *
 * prewarm chooses every pod name itself instead of asking the API server
 * for one (generateName): libcurl may send a POST twice when the connection
 * it reused dies before the answer, and a create replayed under the same
 * name meets 409 AlreadyExists instead of making a second pod. A retry of a
 * create after a transport error reuses its name for the same reason.
 *
 * Shape: "<pool>-<10 characters>", the pool name lower-cased with every
 * character outside [a-z0-9-] turned into '-', trimmed of leading and
 * trailing '-' and cut to 45 characters ("pod" when nothing is left), then
 * 10 characters from the API server's own generateName alphabet
 * (bcdfghjklmnpqrstvwxz2456789: no vowels, no look-alikes), i.e. 47.5 random
 * bits per name. A name is at most 56 characters: a valid DNS label, so it
 * also serves as the pod's hostname.
 *
 * The generator is a splitmix64 sequence seeded from getrandom() by the
 * caller; the state lives in the caller's struct (no global state).
 */
#ifndef KUBE_NAME_H
#define KUBE_NAME_H

#include <stddef.h>
#include <stdint.h>

#define KUBE_NAME_PREFIX_MAX 45
#define KUBE_NAME_RANDOM     10
#define KUBE_NAME_MAX        (KUBE_NAME_PREFIX_MAX + 1 + KUBE_NAME_RANDOM)

struct kube_namer {
    char prefix[KUBE_NAME_PREFIX_MAX + 2]; /* "<pool>-" */
    uint64_t state;
};

void kube_namer_init(struct kube_namer *n, const char *pool, uint64_t seed);
/* Writes the next name (NUL-terminated) into out. */
void kube_namer_next(struct kube_namer *n, char out[KUBE_NAME_MAX + 1]);

#endif
