/*
 * provider: the interface between the daemon and whatever runs backends.
 *
 * The pool core (pool/) decides; a provider acts. The daemon drains the
 * core's action queue and calls the provider's operations (create pods for
 * pool P, delete pod X, record the binding of X); the provider reports what
 * it observes back through struct provider_events, which the daemon turns
 * into pool events. Both directions are asynchronous and run on the loop:
 * no operation blocks. Events may be delivered from inside the operation
 * that caused them (pod_starting from within create_pods): the daemon feeds
 * them to the pool core, whose action queue absorbs the re-entry.
 *
 * Implementations: provider_local.c (child processes on loopback ports);
 * provider_k8s.c (later: Kubernetes pods through k8sclient/).
 *
 * Pools are named by their index in the daemon's config (struct config's
 * pools[]); pods by a name unique within the provider ("local-17").
 *
 * Ownership: the provider owns its pods' records; names and addresses handed
 * to the events are valid only during the callback (copy them).
 */
#ifndef PREWARM_PROVIDER_H
#define PREWARM_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

enum provider_status {
    PROVIDER_OK = 0,
    PROVIDER_ERR_SPAWN,   /* the backend could not be started */
    PROVIDER_ERR_UNKNOWN, /* no such pod */
    PROVIDER_ERR_NOMEM,
};

/* Observations, delivered on the loop thread. */
struct provider_events {
    void *ctx;
    /* A pod exists and is starting; address is "127.0.0.1:PORT". */
    void (*pod_starting)(void *ctx, size_t pool, const char *pod, const char *address,
                         const char *node);
    /* The pod passed its readiness probe. */
    void (*pod_ready)(void *ctx, size_t pool, const char *pod);
    /* The pod is gone (exited or killed). Reported once per started pod. */
    void (*pod_gone)(void *ctx, size_t pool, const char *pod);
    /* count requested pods could not be started at all (no pod_starting was
     * reported for them); the provider has already waited out its backoff. */
    void (*create_failed)(void *ctx, size_t pool, uint32_t count);
};

struct provider;

struct provider_ops {
    /* Starts count pods for pool; each is reported with pod_starting. */
    enum provider_status (*create_pods)(struct provider *p, size_t pool, uint32_t count);
    /* Stops a pod (graceful, then forced); pod_gone follows. */
    enum provider_status (*delete_pod)(struct provider *p, size_t pool, const char *pod);
    /* Writes down that pod serves session (a no-op for local pods). */
    enum provider_status (*record_binding)(struct provider *p, size_t pool, const char *pod,
                                           const char *session);
    /* Begins stopping every pod (daemon shutdown); no more pods start. */
    void (*shutdown)(struct provider *p);
    /* Pods not yet gone (processes still running, for the shutdown drain). */
    size_t (*live_count)(const struct provider *p);
    /* Frees everything; pods still running are killed and reaped. */
    void (*free)(struct provider *p);
};

/* Every provider starts with this header (first member). */
struct provider {
    const struct provider_ops *ops;
};

#endif
