/* libFuzzer target: arbitrary bytes through the watch line framer and the
 * event decoder (ERROR events into k8s_error), with invariants:
 *   - framing does not depend on how the stream is split: the lines seen
 *     when it arrives in arbitrary slices are the lines seen when it
 *     arrives whole;
 *   - a decoded event re-encodes (cJSON) to a line that decodes to the same
 *     type and resourceVersion;
 *   - an ERROR event's k8s_error strings are NUL-terminated.
 * The first two bytes seed the split sizes; the rest is the stream. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_framer.h"

#define FUZZ_WATCH_MAX_LINE 4096

/* Every line seen, each followed by '\n', to compare two feeds. */
struct seen {
    char *buf;
    size_t len, cap;
};

static void seen_add(struct seen *s, const char *line, size_t len)
{
    if (s->len + len + 1 > s->cap) {
        size_t cap = (s->len + len + 1) * 2;
        char *b = realloc(s->buf, cap);
        if (!b)
            abort();
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, line, len);
    s->len += len;
    s->buf[s->len++] = '\n';
}

static int same_rv(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_event(const char *line, size_t len)
{
    struct k8s_event ev;
    if (k8s_event_decode(line, len, &ev) != K8S_OK)
        return; /* a bad line is an error for the watch, not a crash */
    if (!ev.root || !ev.object || !k8s_event_type_name(ev.type))
        abort();
    char *again = cJSON_PrintUnformatted(ev.root);
    if (again) {
        struct k8s_event ev2;
        if (k8s_event_decode(again, strlen(again), &ev2) != K8S_OK)
            abort(); /* what decoded once must decode after re-encoding */
        if (ev2.type != ev.type || !same_rv(ev.resource_version, ev2.resource_version))
            abort();
        k8s_event_free(&ev2);
        free(again);
    }
    if (ev.type == K8S_EVENT_ERROR) {
        struct k8s_error err;
        k8s_error_from_status_json(ev.object, &err);
        (void)k8s_error_is_expired(&err);
        if (strnlen(err.message, sizeof err.message) == sizeof err.message ||
            strnlen(err.reason, sizeof err.reason) == sizeof err.reason)
            abort();
    }
    k8s_event_free(&ev);
}

static enum k8s_status on_line(void *arg, const char *line, size_t len)
{
    seen_add(arg, line, len);
    check_event(line, len);
    return K8S_OK;
}

/* Feeds the stream in slices whose sizes come from `seed` (0: in one piece).
 * Returns 0 if some line was over the cap (the watch would reconnect). */
static int feed(const char *p, size_t left, unsigned seed, struct seen *s)
{
    int whole = seed == 0;
    struct k8s_framer f;
    int ok = 1;
    k8s_framer_init(&f, FUZZ_WATCH_MAX_LINE);
    while (left > 0) {
        seed = seed * 1103515245u + 12345u;
        size_t n = whole ? left : 1 + (seed >> 16) % 97;
        if (n > left)
            n = left;
        if (k8s_framer_feed(&f, p, n, on_line, s) != K8S_OK) {
            k8s_framer_reset(&f);
            ok = 0;
        }
        p += n;
        left -= n;
    }
    k8s_framer_free(&f);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned seed = ((unsigned)data[0] << 8 | data[1]) | 1u;
    struct seen whole = {0}, sliced = {0};
    int ok = feed((const char *)data + 2, size - 2, 0, &whole);
    ok &= feed((const char *)data + 2, size - 2, seed, &sliced);
    if (ok && (whole.len != sliced.len || memcmp(whole.buf, sliced.buf, whole.len) != 0))
        abort(); /* framing depended on the slicing */
    free(whole.buf);
    free(sliced.buf);
    return 0;
}
