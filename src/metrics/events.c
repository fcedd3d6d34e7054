/* events: ring of recent daemon events (see events.h). */
#include "events.h"

#include <stdio.h>

#include "json_out.h"

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

void events_add(struct events *e, int64_t wall_ns, enum log_level level, const char *kind,
                const char *pool, const char *pod, const char *detail)
{
    struct event *ev = &e->ring[e->last_seq % EVENTS_MAX];
    ev->seq = ++e->last_seq;
    ev->wall_ns = wall_ns;
    ev->level = level;
    copy(ev->kind, sizeof ev->kind, kind);
    copy(ev->pool, sizeof ev->pool, pool);
    copy(ev->pod, sizeof ev->pod, pod);
    copy(ev->detail, sizeof ev->detail, detail);
}

static void event_json(struct buf *b, const struct event *ev)
{
    JSON_LIT(b, "{\"seq\":");
    json_uint(b, ev->seq);
    JSON_LIT(b, ",\"time_ms\":");
    json_uint(b, (uint64_t)(ev->wall_ns / 1000000));
    JSON_LIT(b, ",\"level\":");
    json_str(b, log_level_name(ev->level));
    JSON_LIT(b, ",\"kind\":");
    json_str(b, ev->kind);
    JSON_LIT(b, ",\"pool\":");
    json_str_or_null(b, ev->pool);
    JSON_LIT(b, ",\"pod\":");
    json_str_or_null(b, ev->pod);
    JSON_LIT(b, ",\"detail\":");
    json_str_or_null(b, ev->detail);
    JSON_LIT(b, "}");
}

/* The events after one sequence number, oldest first. */
struct events_since {
    const struct events *e;
    uint64_t first; /* sequence number of element 0 */
};

static void event_item(struct buf *b, const void *since, size_t i)
{
    const struct events_since *s = since;
    event_json(b, &s->e->ring[(s->first + i - 1) % EVENTS_MAX]);
}

void events_write_json(const struct events *e, uint64_t after, struct buf *b)
{
    uint64_t first = e->last_seq > EVENTS_MAX ? e->last_seq - EVENTS_MAX + 1 : 1;
    if (after + 1 > first)
        first = after + 1;
    struct events_since since = {e, first};
    size_t n = e->last_seq >= first ? (size_t)(e->last_seq - first + 1) : 0;
    json_array(b, n, event_item, &since);
}
