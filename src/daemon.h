/*
 * daemon: wires prewarmd together on one loop.
 *
 *   HTTP (http_server) -> api.c routes -> pool core (pool/) -> actions
 *   actions -> provider (create / delete pods, record bindings)
 *           -> api (answer waiters), log lines (sessions ended)
 *   provider observations (starting / ready / gone / create failed) -> pool core
 *
 * After every call into the pool core the daemon drains the core's action
 * queue (daemon_drain; re-entry from a provider event raised while an action
 * is handled is absorbed by the queue) and re-arms one loop timer at
 * pool_set_next_deadline() for pool_set_tick (session TTL / idle expiry,
 * waiter timeouts, start timeouts).
 *
 * Readiness (GET /readyz): a pool is ready once its Ready pod count has
 * reached min_idle at least once (min_idle 0: at once); the daemon is ready
 * when every pool is.
 *
 * Ownership: daemon_new borrows loop and cfg (they must outlive the daemon)
 * and owns the pool set, the provider, the HTTP server and the API state;
 * daemon_free releases them all and kills leftover children.
 * Callers: main.c and tests.
 */
#ifndef PREWARM_DAEMON_H
#define PREWARM_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"
#include "metrics.h"
#include "pool.h"
#include "provider.h"

struct api;
struct http_server;

/* Per configured pool, same index as cfg->pools. */
struct daemon_pool {
    struct pool *pool;
    const struct config_pool *cfg;
    size_t index;
    bool reached_min_idle;
    struct metrics_histogram bind; /* seconds taken by pool_claim */
};

struct daemon {
    struct loop *loop;
    const struct config *cfg;
    struct pool_set *set;
    struct daemon_pool *pools;
    size_t npools;
    struct provider *provider;
    struct api *api;
    struct http_server *http;
    struct loop_timer tick;
    int64_t wall_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC at start */
    bool draining;
    bool shutting_down;
    bool verbose; /* one log line per pod / session event */
};

/* Builds everything (pools start filling at once); nothing listens yet.
 * Returns 0, or -1 with a message in err. */
int daemon_new(struct loop *loop, const struct config *cfg, bool verbose, struct daemon **out,
               char *err, size_t errlen);

/* Listens on host:port (cfg's unless overridden); the bound port is written
 * to *bound. Returns 0 or -1 (errno). */
int daemon_listen(struct daemon *d, const char *host, uint16_t port, uint16_t *bound);

/* Drains the pool core's actions and re-arms the tick timer. */
void daemon_drain(struct daemon *d);

struct daemon_pool *daemon_find_pool(struct daemon *d, const char *name, size_t len);
struct daemon_pool *daemon_pool_of(struct daemon *d, const struct pool *pool);

bool daemon_ready(const struct daemon *d);

/* Monotonic ns (the pool core's clock) to Unix wall ns. */
int64_t daemon_wall_ns(const struct daemon *d, uint64_t mono_ns);

/* Graceful stop: stop listening, answer waiters, stop every child. */
void daemon_shutdown(struct daemon *d);
/* True once children have exited and connections closed after shutdown. */
bool daemon_drained(const struct daemon *d);

void daemon_free(struct daemon *d);

/* Logs one line to stderr ("prewarmd: ..."). */
void daemon_log(const struct daemon *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
