/*
 * provider: the interface between the daemon and whatever runs backends.
 *
 * The pool core (pool/) decides; a provider acts. Each configured pool has
 * its own provider instance, made by provider_new() (provider_factory.c)
 * from the pool's config; the provider keeps its own settings (command,
 * probe, namespace, template...) behind its operations, so the daemon never
 * reads them. The daemon drains the core's action queue and calls the
 * operations (create pods, delete pod X, record the binding of X); the
 * provider reports what it observes back through struct provider_events,
 * which the daemon turns into pool events. Both directions are asynchronous
 * and run on the loop: no operation blocks. Events may be delivered from
 * inside the operation that caused them (pod_starting from within
 * create_pods): the daemon feeds them to the pool core, whose action queue
 * absorbs the re-entry.
 *
 * Providers whose pods outlive prewarmd (Kubernetes) rebuild the pool at
 * start: they report each existing pod with pod_restored, then recovered;
 * until then the daemon neither sizes the pools nor answers claims.
 *
 * Implementations: providers/local/ (child processes on loopback ports);
 * providers/kubernetes/ (pods through k8sclient/, driven by the daemon's loop
 * through k8s_loop.h). A new provider: its directory and library, a config
 * block (config.h), and one entry in provider_factory.c's table.
 *
 * Errors: an operation that fails returns a status and the daemon handles
 * it (create_pods: the core is told the pods will not come; delete_pod and
 * record_binding of an unknown pod: the core is told it is gone). Out of
 * memory aborts (oom.h) and is not a status.
 *
 * Ownership: the provider borrows the loop and its pool's config (both
 * outlive it) and owns its pods' records; names and addresses handed to the
 * events are valid only during the callback (copy them).
 */
#ifndef PREWARM_PROVIDER_H
#define PREWARM_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct loop;
struct pool_session_info;

/* A session found again when a provider rebuilds its pool at start (from a
 * pod's binding record or a local journal). Times are Unix ns. */
struct provider_session {
    const char *id;
    const char *key;        /* "" when none */
    const char *request_id; /* "" when none */
    const char *owner;      /* the claiming caller's name under auth; "" when none */
    int64_t claimed_at_ns;
    int64_t expires_at_ns;
};

enum provider_status {
    PROVIDER_OK = 0,
    PROVIDER_ERR_SPAWN,    /* the backend could not be started (or stopping) */
    PROVIDER_ERR_UNKNOWN,  /* no such pod */
    PROVIDER_ERR_REJECTED, /* the backend's API refused the operation */
};

/* Observations, delivered on the loop thread; ctx is provider_events.ctx. */
struct provider_events {
    void *ctx;
    /* A pod exists and is starting; address is "HOST:PORT". */
    void (*pod_starting)(void *ctx, const char *pod, const char *address, const char *node);
    /* The pod passed its readiness probe. */
    void (*pod_ready)(void *ctx, const char *pod);
    /* The pod is gone (exited, killed, deleted). Reported once per started pod. */
    void (*pod_gone)(void *ctx, const char *pod);
    /* count requested pods could not be started at all (no pod_starting was
     * reported for them); the provider has already waited out its backoff.
     * why is one line for the log ("command /bin/x: not found"). */
    void (*create_failed)(void *ctx, uint32_t count, const char *why);
    /* Recovery (providers whose pods outlive prewarmd; optional for the
     * others): a pod that already exists, Ready or starting, bound to s when
     * s is not NULL. Returns 0 if the pool took it, -1 if not (over
     * max_total, duplicate, expired): the provider then deletes the pod. */
    int (*pod_restored)(void *ctx, const char *pod, bool ready, const char *address,
                        const char *node, const struct provider_session *s);
    /* The pool is rebuilt: it may be sized and serve. Also after a later
     * pod_restored (the daemon then drains the pool core). */
    void (*recovered)(void *ctx);
};

struct provider;

struct provider_ops {
    const char *name; /* "local", "kubernetes": the pool's provider in the API */
    /* Starts count pods; each is reported with pod_starting (or counted in
     * create_failed). */
    enum provider_status (*create_pods)(struct provider *p, uint32_t count);
    /* Stops a pod (graceful, then forced); pod_gone follows. */
    enum provider_status (*delete_pod)(struct provider *p, const char *pod);
    /* Writes down that s->pod serves session s, after the claim was answered
     * (a no-op for local pods). */
    enum provider_status (*record_binding)(struct provider *p, const struct pool_session_info *s);
    /* Optional. Makes a new binding durable before its answer leaves
     * prewarmd (the Kubernetes bind journal). Nonzero: the claim is refused
     * and its session released. */
    int (*bind_durable)(struct provider *p, const struct pool_session_info *s);
    /* Optional. A session of this pool ended. */
    void (*session_ended)(struct provider *p, const struct pool_session_info *s);
    /* Optional (NULL: always). The pool may answer claims: rebuilt after a
     * start and, with leader election, led by this replica. */
    bool (*serving)(const struct provider *p);
    /* Begins stopping every pod (daemon shutdown); no more pods start. */
    void (*shutdown)(struct provider *p);
    /* Pods not yet gone (for the shutdown drain). */
    size_t (*live_count)(const struct provider *p);
    /* How long stopping a pod may take before it is forced, in ms. */
    uint32_t (*stop_grace_ms)(const struct provider *p);
    /* Frees everything; pods still running are killed and reaped. */
    void (*free)(struct provider *p);
    /* Optional (NULL: the provider hands the key over its own way, as the
     * Kubernetes provider does with a Secret): the connect-token key its
     * backends get as PREWARM_CONNECT_KEY (copied). */
    void (*set_connect_key)(struct provider *p, const char *key);
};

/* Every provider starts with this header (first member). */
struct provider {
    const struct provider_ops *ops;
};

/* What the providers of one daemon share: the Kubernetes pools' bind
 * journal and leader-election Lease (kube_group.h). The daemon makes it
 * before its pools and frees it after their providers. `lost` runs when
 * this replica stops leading: the daemon stops answering and exits. */
struct provider_shared;
struct provider_shared_events {
    void *ctx;
    void (*lost)(void *ctx);
    void (*acquired)(void *ctx, uint64_t epoch); /* optional: leading from now on */
};
/* NULL with one line in err (journal unreadable, credentials). */
struct provider_shared *provider_shared_new(struct loop *loop, const struct config *cfg,
                                            const struct provider_shared_events *ev, char *err,
                                            size_t errlen);
/* Graceful stop: gives the Lease up so a standby takes over at once. */
void provider_shared_shutdown(struct provider_shared *s);

struct provider_shared_stats {
    bool elected;   /* leader election is configured */
    bool leader;    /* this replica leads and may answer now */
    uint64_t epoch; /* current (or last) term: signed into connect tokens */
    uint64_t acquisitions, losses;
    bool journal; /* a bind journal is configured */
    uint64_t journal_appended, journal_bytes, journal_failures;
    uint64_t flush_written, flush_deleted; /* bindings written onto pods at start */
};
/* The current term (0 without election or journal); cheap, for every claim. */
uint64_t provider_shared_epoch(const struct provider_shared *s);
/* s may be NULL (all zero). */
void provider_shared_get_stats(const struct provider_shared *s, struct provider_shared_stats *out);
/* The counters of the shared API client (leader election, flush): zero
 * when s is NULL or shares nothing. */
struct k8s_client_stats;
void provider_shared_get_api_stats(const struct provider_shared *s, struct k8s_client_stats *out);
bool provider_shared_drained(const struct provider_shared *s);
void provider_shared_free(struct provider_shared *s);

/* Makes the provider pool's config asks for (shared may be NULL: nothing
 * shared, each provider starts at once). Returns 0, or -1 with one line in
 * err (a provider that cannot start: bad credentials, unknown kind). */
int provider_new(struct loop *loop, const struct config_pool *pool,
                 const struct provider_events *events, struct provider_shared *shared,
                 struct provider **out, char *err, size_t errlen);

const char *provider_status_str(enum provider_status status);

#endif
