/* libFuzzer target: arbitrary bytes, split at arbitrary points, through the
 * watch line framer and the event decoder (ERROR events into k8s_error).
 * The first two bytes seed the split sizes; the rest is the stream. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "k8s_framer.h"

static enum k8s_status on_line(void *arg, const char *line, size_t len)
{
    size_t *lines = arg;
    (*lines)++;
    struct k8s_event ev;
    if (k8s_event_decode(line, len, &ev) != K8S_OK)
        return K8S_OK; /* a bad line is an error for the watch, not a crash */
    if (ev.type == K8S_EVENT_ERROR) {
        struct k8s_error err;
        k8s_error_from_status_json(ev.object, &err);
        (void)k8s_error_is_expired(&err);
    }
    if (ev.resource_version)
        (void)strlen(ev.resource_version);
    k8s_event_free(&ev);
    return K8S_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned seed = (unsigned)data[0] << 8 | data[1];
    const char *p = (const char *)data + 2;
    size_t left = size - 2, lines = 0;
    struct k8s_framer f;
    k8s_framer_init(&f, 4096);
    while (left > 0) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 16) % 97;
        if (n > left)
            n = left;
        if (k8s_framer_feed(&f, p, n, on_line, &lines) != K8S_OK)
            k8s_framer_reset(&f); /* over the line cap: the watch would reconnect */
        p += n;
        left -= n;
    }
    k8s_framer_free(&f);
    return 0;
}
