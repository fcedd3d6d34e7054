/*
 * events: the daemon's recent notable events (pods failing to start, pods
 * lost, sessions ending, leader changes) for the dashboard's event list.
 *
 * A fixed ring of the last EVENTS_MAX events, each numbered from 1 in the
 * order they happened, so a poller asks for what happened since the last
 * number it saw and never gets one twice; when it fell behind by more than
 * the ring, it gets the oldest still kept. Strings are copied (cut to their
 * field's size).
 *
 * Ownership: struct events is a plain value its owner embeds (the daemon);
 * no allocation.
 */
#ifndef PREWARM_EVENTS_H
#define PREWARM_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "log.h"

#define EVENTS_MAX 256

struct event {
    uint64_t seq; /* 0 = empty slot */
    int64_t wall_ns;
    enum log_level level;
    char kind[32]; /* "session_ended", "pod_failed", "leader_changed", ... */
    char pool[64];
    char pod[128];
    char detail[128]; /* a reason or short text */
};

struct events {
    struct event ring[EVENTS_MAX];
    uint64_t last_seq; /* of the newest event; 0 = none yet */
};

/* Adds one event; pool, pod and detail may be NULL. */
void events_add(struct events *e, int64_t wall_ns, enum log_level level, const char *kind,
                const char *pool, const char *pod, const char *detail);

/* Appends a JSON array of the kept events numbered above `after`, oldest
 * first: [{"seq":1,"time_ms":...,"level":"info","kind":"...","pool":"...",
 * "pod":"...","detail":"..."}, ...] (pool, pod, detail null when unset). */
void events_write_json(const struct events *e, uint64_t after, struct buf *b);

#endif
