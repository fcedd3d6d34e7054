/*
 * k8s_informer: a local, always-current copy of one collection (list +
 * watch), with add/update/delete callbacks, like client-go's informer.
 *
 * Lifecycle: LIST (pages of page_size with continue tokens) into a fresh
 * store, diff it against the current store, emit exactly the differences,
 * then WATCH from the list's resourceVersion. Watch events keep the store
 * current (an ADDED for a known key is an update, a MODIFIED for an unknown
 * key is an add, a DELETED for an unknown key is dropped), so callbacks see
 * every object's life once: no lost and no duplicated deletes, across
 * reconnects (the watch resumes from its last RV) and across relists (a 410
 * Expired makes the informer relist and emit only what changed while it
 * was blind: deletes for vanished keys, adds for new ones, updates for
 * changed resourceVersions). A key whose uid changed (a name deleted and
 * created again unseen) is reported as a delete of the old object and an
 * add of the new one, never as an update. A failed list is retried with back-off
 * (800 ms x2 up to 30 s, jittered). has_synced turns true after the first
 * complete list and stays true.
 *
 * The store is a hash table keyed "namespace/name" ("name" when cluster
 * scoped) holding the informer's own cJSON objects. With a transform
 * (client-go's TransformFunc) the store holds what the transform returns
 * for each listed or watched object instead of the whole object, and the
 * callbacks see those: a caller that needs a few fields of each object keeps
 * only those in memory. The transform must keep metadata.name, namespace,
 * uid and resourceVersion (they key, diff and order the store). Objects passed to
 * callbacks and returned by k8s_informer_get() are borrowed: valid until
 * the informer next changes that key (copy what you keep). Callbacks may
 * start requests; they must not free the informer (free it from outside).
 */
#ifndef K8S_INFORMER_H
#define K8S_INFORMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "k8s_client.h"
#include "k8s_error.h"

struct k8s_informer;

struct k8s_informer_options {
    const char *path;           /* collection, e.g. "/api/v1/namespaces/ns/pods" */
    const char *label_selector; /* NULL: none */
    const char *field_selector; /* NULL: none */
    long page_size;             /* list limit; 0: 500 */
    int watch_timeout_min_s, watch_timeout_max_s; /* 0: 300/600 */
    long idle_timeout_ms;                         /* 0: watch default */
    long backoff_initial_ms, backoff_max_ms;      /* 0: 800 / 30 000 (list and watch) */
    /* NULL: store whole objects. Otherwise returns a new object to store in
     * place of obj (borrowed), or NULL when memory ran out. */
    cJSON *(*transform)(void *arg, const cJSON *obj);
};

struct k8s_informer_handlers {
    void (*on_add)(void *arg, const cJSON *obj);
    void (*on_update)(void *arg, const cJSON *old_obj, const cJSON *new_obj);
    void (*on_delete)(void *arg, const cJSON *last_obj);
    void (*on_synced)(void *arg);                             /* optional */
    void (*on_error)(void *arg, const struct k8s_error *err); /* optional, informational */
};

struct k8s_informer_stats {
    uint64_t lists, pages, relists, adds, updates, deletes, list_failures;
    uint64_t watch_restarts; /* watch streams opened after the first (resumes and relists) */
};

enum k8s_status k8s_informer_start(struct k8s_client *c, const struct k8s_informer_options *o,
                                   const struct k8s_informer_handlers *h, void *arg,
                                   struct k8s_informer **out);
/* No callback runs after this returns. */
void k8s_informer_free(struct k8s_informer *inf);

bool k8s_informer_has_synced(const struct k8s_informer *inf);
/* ns NULL for cluster-scoped objects. */
const cJSON *k8s_informer_get(const struct k8s_informer *inf, const char *ns, const char *name);
size_t k8s_informer_count(const struct k8s_informer *inf);
void k8s_informer_foreach(const struct k8s_informer *inf, void (*fn)(void *arg, const cJSON *obj),
                          void *arg);
void k8s_informer_get_stats(const struct k8s_informer *inf, struct k8s_informer_stats *out);

#endif
