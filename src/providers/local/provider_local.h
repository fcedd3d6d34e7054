/*
 * provider_local: backends as child processes on loopback ports.
 *
 * create_pods: for each pod, pick a free port on 127.0.0.1 (bind port 0,
 * read it back, close), substitute "{port}" and "{pod}" in the pool's command
 * template and posix_spawn it - no shell, its own process group, an empty
 * signal mask, stdin/stdout on /dev/null, no descriptor above stderr, and an
 * environment of its own: the pool's `env` entries, PATH, PREWARM_PORT,
 * PREWARM_POD, PREWARM_POOL and PREWARM_CONNECT_KEY (set_connect_key);
 * nothing of prewarmd's environment. Another process may take the port between our close and the
 * child's bind: the child then exits, the pod is reported gone and the pool
 * core's sizing starts a replacement on a fresh port (that is the retry).
 *
 * Readiness: a probe runs on a loop timer with backoff (5 ms doubling to
 * 500 ms): a non-blocking TCP connect, or for http probes a GET of the probe
 * path expecting a 2xx status line. The first success reports pod_ready. A
 * Ready pod keeps being probed every probe.interval_ms (each attempt bounded
 * by probe.timeout_ms) until it is bound: one failure reports it starting
 * again (the core stops handing it out), a later success Ready again, and
 * probe.failure_threshold failures in a row kill it (SIGKILL: a stopped or
 * hung process ignores SIGTERM); its exit reports it gone and the pool
 * replaces it. A dead child is seen through its pidfd at once.
 *
 * Restart: sessions of local pools do not survive prewarmd. A graceful
 * stop stops the children; after a kill -9 a backend that asked for
 * PR_SET_PDEATHSIG (the demo backend) dies with prewarmd, and any other is
 * an orphan that no later prewarmd adopts. A restart starts with an empty
 * pool: nothing is recovered (no pod_restored), no owner, key or request
 * id is kept anywhere. Durable sessions are the Kubernetes provider's
 * (bind journal and binding annotation).
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
