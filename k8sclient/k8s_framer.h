/*
 * k8s_framer: splits a watch stream into events.
 *
 * The apiserver writes one compact JSON object per event, each ending in
 * "\n", and flushes whenever its queue runs empty, so libcurl hands us slices
 * that may hold several events or a fraction of one. The framer frames by
 * newline only, never by chunk: complete lines found in the input are handed
 * to the caller straight from the input buffer; only the unfinished tail is
 * copied into a carry-over buffer. Each byte is scanned once, so a stream
 * costs O(n) however it is split. A line longer than max_line is an error
 * (K8S_ETOOBIG), which bounds the memory a stream can take.
 *
 * k8s_event_decode() turns one line into a typed event (cJSON tree).
 *
 * Ownership: the framer owns its carry buffer (k8s_framer_free). Lines passed
 * to the callback are borrowed for the call. A decoded event owns its tree
 * until k8s_event_free().
 */
#ifndef K8S_FRAMER_H
#define K8S_FRAMER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "k8s_error.h"

struct k8s_framer {
    char *buf; /* carry-over: bytes of an unfinished line */
    size_t len, cap;
    size_t max_line;
};

/* Called for each complete, non-empty line (without "\n" or "\r\n"). Any
 * status other than K8S_OK stops the feed and is returned by it. */
typedef enum k8s_status k8s_line_fn(void *arg, const char *line, size_t len);

void k8s_framer_init(struct k8s_framer *f, size_t max_line);
void k8s_framer_free(struct k8s_framer *f);
/* Drops any unfinished line (a new stream starts). */
void k8s_framer_reset(struct k8s_framer *f);
enum k8s_status k8s_framer_feed(struct k8s_framer *f, const char *data, size_t len, k8s_line_fn *cb,
                                void *arg);
/* True when an unfinished line is buffered (a stream ended mid-event). */
int k8s_framer_pending(const struct k8s_framer *f);

enum k8s_event_type {
    K8S_EVENT_ADDED,
    K8S_EVENT_MODIFIED,
    K8S_EVENT_DELETED,
    K8S_EVENT_BOOKMARK,
    K8S_EVENT_ERROR,
};

struct k8s_event {
    enum k8s_event_type type;
    cJSON *root;                  /* owned: the whole event */
    cJSON *object;                /* borrowed from root: "object" */
    const char *resource_version; /* object.metadata.resourceVersion or NULL */
};

/* Parses {"type":T,"object":{...}}. Returns K8S_OK and fills ev, or an error
 * (malformed JSON, missing or unknown type, missing object) and leaves ev
 * empty. */
enum k8s_status k8s_event_decode(const char *line, size_t len, struct k8s_event *ev);
void k8s_event_free(struct k8s_event *ev);
const char *k8s_event_type_name(enum k8s_event_type t);

#endif
