/*
 * helper_kube: the real control plane (tests/kube) as the target of the
 * simulator suites. When $PREWARM_K8S_TARGET is "kube", sim_start() does not
 * spawn the simulator: it reads the shared control plane's env file
 * ($PREWARM_KUBE_ENV, written by tests/kube/cluster.sh), makes a namespace of
 * its own for the test (so tests sharing one apiserver never see each other's
 * objects) and points the struct sim at it; sim_stop() deletes the namespace.
 * Simulator-only calls (the /_sim/ control API, simulator options) skip the
 * test on this target, with the reason.
 */
#ifndef HELPER_KUBE_H
#define HELPER_KUBE_H

#include <stdbool.h>

struct sim;

/* True when the suite runs against the real control plane. */
bool kube_target(void);

/* Fills s from the env file and creates its namespace (test assertion on
 * failure; skips the test when the env file is absent). */
void kube_attach(struct sim *s, const char *const *extra_args);

/* Deletes s's namespace (without waiting for its finalizers). */
void kube_detach(struct sim *s);

/* A blocking request to the apiserver with the admin token; returns the HTTP
 * code (0 on a transport error). */
long kube_request(const struct sim *s, const char *method, const char *path, const char *json);

#endif
