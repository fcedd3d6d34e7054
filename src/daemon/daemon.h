/*
 * daemon: wires prewarmd together on one loop, and implements the service
 * the HTTP API asks things of (service.h).
 *
 *   HTTP (src/http) -> routes (src/api) -> struct service -> pool core (pool/)
 *   pool core actions -> one provider per pool (src/providers): create /
 *                        delete pods, record bindings
 *                     -> api (answer waiters), log lines (sessions ended)
 *   provider observations (starting / ready / gone / create failed)
 *                     -> pool core
 *
 * The pool core's action queue is drained in one place: a before-sleep hook
 * of the loop (registered before the HTTP server's flush hook, so answers to
 * waiters leave in the same turn). A change made after that hook ran in a
 * turn (a release from a delivery callback in the flush hook) arms the tick
 * timer for now, so the loop never sleeps on pending actions. The drain then
 * re-arms the tick timer at pool_set_next_deadline() for pool_set_tick
 * (session TTL / idle expiry, waiter timeouts, start timeouts).
 *
 * Failures of provider operations are handled: pods that cannot be created
 * are reported to the core as failed creates (it backs off and retries); a
 * delete or binding record for a pod the provider no longer knows tells the
 * core the pod is gone (its session ends as pod_died). Each is logged.
 *
 * Readiness (GET /readyz): a pool is ready once its Ready pod count has
 * reached min_idle at least once (min_idle 0: at once); the daemon is ready
 * when every pool is.
 *
 * Logging and events: pod and session lifecycle lines at info, failures at
 * warn/error (log.h); the notable ones (sessions ending, pods failing to
 * start or dying with a session, leader changes) also go to the event ring
 * the dashboard shows (events.h). GET /metrics runs the daemon's collector
 * registry: the pool families (metrics_pools.h), then process and build
 * info (metrics_process.h), then whatever providers registered.
 *
 * Ownership: daemon_new borrows loop, cfg and log (they must outlive it)
 * and owns the pool set, the providers, the HTTP server and the API state;
 * daemon_free releases them all and kills leftover children.
 * Callers: main.c and tests.
 */
#ifndef PREWARM_DAEMON_H
#define PREWARM_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "log.h"
#include "loop.h"

struct daemon;

/* Builds everything (pools start filling at once); nothing listens yet.
 * Returns 0, or -1 with a message in err. */
int daemon_new(struct loop *loop, const struct config *cfg, struct log *log, struct daemon **out,
               char *err, size_t errlen);

/* Listens on host:port; the bound port is written to *bound. Returns 0 or
 * -1 (errno). */
int daemon_listen(struct daemon *d, const char *host, uint16_t port, uint16_t *bound);

/* Listens for probes and metrics only (health_listen): its own connection
 * slots, so a saturated API port leaves probes in. 0 or -1 (errno). */
int daemon_listen_health(struct daemon *d, const char *host, uint16_t port, uint16_t *bound);

/* SIGHUP: re-reads what can change at run time (the auth tokens file, the
 * listeners' TLS certificates and keys) and
 * logs the outcome. */
void daemon_reload(struct daemon *d);

/* Graceful stop: stop listening, answer waiters, stop every pod. */
void daemon_shutdown(struct daemon *d);
bool daemon_stopping(const struct daemon *d);
/* The log given to daemon_new. */
struct log *daemon_log(const struct daemon *d);
/* True once pods are gone and connections closed after shutdown. */
bool daemon_drained(const struct daemon *d);
/* The longest time a provider may take to stop its pods, in ns. */
uint64_t daemon_stop_grace_ns(const struct daemon *d);
/* The process's exit status after the stop: 0, or DAEMON_EXIT_LOST_LEADER
 * when it stopped because this replica stopped leading (it is restarted as
 * a standby). */
#define DAEMON_EXIT_LOST_LEADER 75
int daemon_exit_status(const struct daemon *d);

void daemon_free(struct daemon *d);

#endif
