/*
 * k8s_watch: a resilient watch on one collection (e.g. the pods of a
 * namespace), as client-go's reflector runs it.
 *
 * The state machine:
 *   CONNECTING/STREAMING -- a GET ?watch=true&allowWatchBookmarks=true&
 *       timeoutSeconds=T (T random in [5, 10) min by default) from the last
 *       resourceVersion seen. Bytes go through k8s_framer (newline framing,
 *       bounded lines); every event, BOOKMARKs included, advances the RV.
 *   clean end of stream -- routine (the server's timeoutSeconds): re-watch
 *       at once from the last RV. A stream that ends within 1 s with no
 *       event (BOOKMARKs count) is a failure (client-go's VeryShortWatchError).
 *   410 Expired/Gone (HTTP status or ERROR event) -- the RV is compacted:
 *       the watch PAUSES and calls on_expired; the owner relists and calls
 *       k8s_watch_restart() with the list's RV (the informer does this).
 *   any other failure (ERROR event, 429, 5xx, transport error, idle timeout,
 *       malformed event) -- on_error, then BACKOFF: jittered exponential
 *       800 ms x2 up to 30 s (delay in [d, 2d)), at least Retry-After, reset
 *       after 2 minutes without a failure; then re-watch from the last RV.
 * A client-side idle timeout (no byte for idle_timeout_ms) catches dead
 * connections that timeoutSeconds, a server timer, cannot.
 *
 * Resuming is exact when the watch starts from a list's resourceVersion
 * (as k8s_informer does). A watch started from "" receives the current
 * objects as ADDED events in no RV order; if it reconnects before any
 * later event or BOOKMARK, some ADDED events can repeat (the apiserver
 * behaves the same way). Use the informer when that matters.
 *
 * Ownership: the watch copies its options. Event objects passed to on_event
 * are borrowed for the call (cJSON_Duplicate to keep one). k8s_watch_free()
 * may be called at any time, also from inside the watch's own callbacks; no
 * callback runs after it. Callers: k8s_informer, tools.
 */
#ifndef K8S_WATCH_H
#define K8S_WATCH_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "k8s_client.h"
#include "k8s_error.h"
#include "k8s_framer.h"

struct k8s_watch;

struct k8s_watch_options {
    const char *path;                 /* collection, e.g. "/api/v1/namespaces/ns/pods" */
    const char *label_selector;       /* NULL: none (not yet URL-encoded) */
    const char *field_selector;       /* NULL: none */
    const char *resource_version;     /* start RV; NULL/"": current state as ADDED events */
    int timeout_min_s, timeout_max_s; /* server timeoutSeconds in [min, max); 0: 300/600 */
    long idle_timeout_ms;             /* 0: timeout_max_s + 60 s */
    long backoff_initial_ms;          /* 0: 800 */
    long backoff_max_ms;              /* 0: 30 000 */
    long backoff_reset_ms;            /* 0: 120 000 */
};

struct k8s_watch_handlers {
    /* ADDED, MODIFIED, DELETED (BOOKMARKs only advance the RV). */
    void (*on_event)(void *arg, enum k8s_event_type type, cJSON *object);
    /* 410: paused until k8s_watch_restart(). Required. */
    void (*on_expired)(void *arg, const struct k8s_error *err);
    /* Optional: an attempt failed; the watch retries after a back-off. */
    void (*on_error)(void *arg, const struct k8s_error *err);
};

struct k8s_watch_stats {
    uint64_t events, bookmarks, connects, failures, expired;
};

/* Connects at once. No callback runs if this returns an error. */
enum k8s_status k8s_watch_start(struct k8s_client *c, const struct k8s_watch_options *o,
                                const struct k8s_watch_handlers *h, void *arg,
                                struct k8s_watch **out);
/* (Re)connects from rv (NULL/"": current state as ADDED events), dropping
 * any stream or back-off in progress. */
enum k8s_status k8s_watch_restart(struct k8s_watch *w, const char *rv);
void k8s_watch_free(struct k8s_watch *w);

/* Last resourceVersion seen ("" if none). */
const char *k8s_watch_resource_version(const struct k8s_watch *w);
void k8s_watch_get_stats(const struct k8s_watch *w, struct k8s_watch_stats *out);

#endif
