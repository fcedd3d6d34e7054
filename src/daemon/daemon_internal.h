/*
 * daemon_internal: struct daemon, shared by daemon.c (wiring, actions,
 * provider events) and daemon_service.c (the service the API calls).
 * Not for use outside src/daemon.
 */
#ifndef PREWARM_DAEMON_INTERNAL_H
#define PREWARM_DAEMON_INTERNAL_H

#include "daemon.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "metrics_process.h"
#include "pool.h"
#include "provider.h"
#include "service.h"

struct api;
struct auth;
struct http_server;
struct http_tls;

/* Per configured pool, same index as cfg->pools. */
struct daemon_pool {
    struct daemon *d;
    struct pool *pool;
    const struct config_pool *cfg;
    struct pool_config limits; /* as given to the pool core */
    struct provider *provider;
    size_t index;
    bool reached_min_idle;
    bool recovered;                 /* the provider rebuilt the pool (at once for local pools) */
    struct metrics_histogram bind;  /* seconds taken by pool_claim */
    struct metrics_histogram claim; /* request to answer with a session */
    uint64_t claims_error;          /* claims refused for bad input */
    uint64_t create_failures;       /* pods the provider could not create */
    uint64_t start_timeouts_seen;   /* counters.start_timeouts already reported */
};

struct daemon {
    struct service svc; /* first: what the API holds */
    struct loop *loop;
    const struct config *cfg;
    struct pool_set *set;
    struct provider_shared *shared; /* the Kubernetes pools' journal and Lease */
    struct daemon_pool *pools;
    size_t npools;
    struct api *api;
    struct http_server *http;
    struct loop_timer tick;
    int64_t wall_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC at start */
    bool dirty;             /* the core may have actions: drain before sleeping */
    bool draining;
    bool shutting_down;
    int exit_status;
    struct http_server *health;  /* the health listener's server, or NULL */
    struct auth *auth;           /* bearer tokens; NULL: the API is open */
    struct loop_timer auth_poll; /* re-reads the tokens file when it changes */
    struct http_tls *tls;        /* the API port's TLS, or NULL (daemon_tls.c) */
    struct http_tls *health_tls; /* the health port's, or NULL */
    struct loop_timer tls_poll;  /* reloads certificates whose files changed */
    uint8_t connect_key[256];    /* HMAC key of connect tokens (printable) */
    size_t connect_key_len;
    struct log *log;                 /* borrowed from main */
    struct events events;            /* recent events, for the dashboard */
    struct metrics_registry metrics; /* collectors of GET /metrics */
    struct metrics_build build;
};

/* Drains the pool core's actions and re-arms the tick timer. */
void daemon_drain(struct daemon *d);
/* Notes a change to the pool core made outside a drain (see daemon.h). */
void daemon_wake(struct daemon *d);
/* Ready counts reached min_idle once (readiness). */
void daemon_update_reached(struct daemon_pool *dp);
/* Every pool is rebuilt (sizing and claims may run). */
bool daemon_recovered(const struct daemon *d);
/* The pool may answer claims: rebuilt, and led here (provider's serving). */
bool daemon_pool_serving(const struct daemon_pool *dp);
/* Makes a new session durable before its answer leaves (the provider's
 * bind_durable); on failure the session is released and -1 returned. */
int daemon_bind_durable(struct daemon_pool *dp, const struct pool_session_info *s);
/* The listeners' TLS contexts from the config (daemon_tls.c); reload
 * (force: SIGHUP, else only changed files); free. */
int daemon_tls_new(struct daemon *d, char *err, size_t errlen);
void daemon_tls_reload(struct daemon *d, bool force);
void daemon_tls_free(struct daemon *d);
/* Registers the daemon's collectors (daemon_metrics.c). */
void daemon_register_metrics(struct daemon *d);
/* Records an event for the dashboard (pool, pod, detail may be NULL). */
void daemon_event(struct daemon *d, enum log_level level, const char *kind, const char *pool,
                  const char *pod, const char *detail);

extern const struct service_ops daemon_service_ops;

#endif
