/*
 * provider_local: backends as child processes on loopback ports.
 *
 * create_pods: for each pod, pick a free port on 127.0.0.1 (bind port 0,
 * read it back, close), substitute "{port}" and "{pod}" in the pool's command
 * template and posix_spawn it - no shell, its own process group, an empty
 * signal mask, stdin/stdout on /dev/null, PREWARM_PORT/PREWARM_POD in the
 * environment. Another process may take the port between our close and the
 * child's bind: the child then exits, the pod is reported gone and the pool
 * core's sizing starts a replacement on a fresh port (that is the retry).
 *
 * Readiness: a probe runs on a loop timer with backoff (5 ms doubling to
 * 500 ms): a non-blocking TCP connect, or for http probes a GET of the probe
 * path expecting a 2xx status line. The first success reports pod_ready; no
 * probing after that (a dead child is seen through its pidfd at once).
 *
 * Exit: loop_child_watch reports the exit; the pod is reported gone exactly
 * once and its record freed. delete_pod sends SIGTERM to the process group and
 * arms a timer that sends SIGKILL after the pool's stop grace period.
 *
 * Command lookup: command[0] without '/' is looked up next to the running
 * executable (/proc/self/exe's directory) first, then on PATH.
 *
 * Names: "local-<n>", n counting from 1 over the provider's life (each pool
 * has its own provider, so its own count); node is the
 * host name (or "localhost").
 *
 * Settings: the pool's "local:" config block (struct config_local).
 *
 * Ownership: the provider borrows its pool's config and the loop (both must
 * outlive it) and owns its child records. Callers: provider_factory.c and
 * tests.
 */
#ifndef PREWARM_PROVIDER_LOCAL_H
#define PREWARM_PROVIDER_LOCAL_H

#include "config.h"
#include "provider.h"

struct loop;

/* One provider for pool (its "local:" block); never fails (err unused). */
struct provider *provider_local_new(struct loop *loop, const struct config_pool *pool,
                                    const struct provider_events *events, char *err, size_t errlen);

#endif
