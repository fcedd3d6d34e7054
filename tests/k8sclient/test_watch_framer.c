/* The watch framer and event decoder on real recorded bytes, split at every
 * byte boundary, one byte at a time, and many events per write. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_framer.h"

struct lines {
    char *v[4096];
    size_t n;
};

static enum k8s_status collect(void *arg, const char *line, size_t len)
{
    struct lines *l = arg;
    cr_assert_lt(l->n, 4096);
    l->v[l->n] = strndup(line, len);
    l->n++;
    return K8S_OK;
}

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

static char *read_fixture(const char *rel, size_t *len)
{
    const char *root = getenv("PREWARM_FIXTURES");
    cr_assert(root, "PREWARM_FIXTURES not set");
    char path[1024];
    snprintf(path, sizeof path, "%s/k8s/%s", root, rel);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* Decodes an HTTP/1.1 chunked body (the recorded wire bytes). */
static char *dechunk(const char *msg, size_t *out_len)
{
    const char *p = strstr(msg, "\r\n\r\n");
    cr_assert(p);
    p += 4;
    char *out = malloc(strlen(p) + 1);
    size_t n = 0;
    for (;;) {
        char *end;
        unsigned long size = strtoul(p, &end, 16);
        cr_assert(end[0] == '\r' && end[1] == '\n');
        p = end + 2;
        if (size == 0)
            break;
        memcpy(out + n, p, size);
        n += size;
        p += size + 2;
    }
    *out_len = n;
    return out;
}

static void check_serviceaccount_events(struct lines *l)
{
    cr_assert_eq(l->n, 2);
    struct k8s_event ev;
    cr_assert_eq(k8s_event_decode(l->v[0], strlen(l->v[0]), &ev), K8S_OK);
    cr_assert_eq(ev.type, K8S_EVENT_ADDED);
    cr_assert_str_eq(ev.resource_version, "217");
    k8s_event_free(&ev);
    cr_assert_eq(k8s_event_decode(l->v[1], strlen(l->v[1]), &ev), K8S_OK);
    cr_assert_eq(ev.type, K8S_EVENT_BOOKMARK);
    cr_assert_str_eq(ev.resource_version, "964");
    k8s_event_free(&ev);
}

Test(framer, recorded_stream_split_at_every_byte)
{
    size_t raw_len, len;
    char *raw = read_fixture("watch/watch-http11-chunked-serviceaccount.http", &raw_len);
    char *body = dechunk(raw, &len);
    cr_assert_eq(len, 0xe9 + 0xa1);
    for (size_t i = 0; i <= len; i++) {
        for (size_t j = i; j <= len; j += 7) {
            struct k8s_framer f;
            struct lines l = {0};
            k8s_framer_init(&f, 1 << 16);
            cr_assert_eq(k8s_framer_feed(&f, body, i, collect, &l), K8S_OK);
            cr_assert_eq(k8s_framer_feed(&f, body + i, j - i, collect, &l), K8S_OK);
            cr_assert_eq(k8s_framer_feed(&f, body + j, len - j, collect, &l), K8S_OK);
            cr_assert(!k8s_framer_pending(&f));
            check_serviceaccount_events(&l);
            lines_free(&l);
            k8s_framer_free(&f);
        }
    }
    free(body);
    free(raw);
}

Test(framer, one_byte_at_a_time)
{
    size_t raw_len, len;
    char *raw = read_fixture("watch/watch-http11-chunked-serviceaccount.http", &raw_len);
    char *body = dechunk(raw, &len);
    struct k8s_framer f;
    struct lines l = {0};
    k8s_framer_init(&f, 1 << 16);
    for (size_t i = 0; i < len; i++)
        cr_assert_eq(k8s_framer_feed(&f, body + i, 1, collect, &l), K8S_OK);
    check_serviceaccount_events(&l);
    lines_free(&l);
    k8s_framer_free(&f);
    free(body);
    free(raw);
}

Test(framer, http_bodies_split_everywhere)
{
    const char *files[] = {"http/list-serviceaccounts-response.http",
                           "status/410-watch-error-event-expired.json",
                           "status/409-pod-conflict-rv.json"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        size_t raw_len;
        char *raw = read_fixture(files[k], &raw_len);
        char *sep = strstr(raw, "\r\n\r\n");
        sep = sep ? sep : strstr(raw, "\n\n");
        const char *body = sep ? strchr(sep + 2, '{') : raw;
        size_t len = strlen(body);
        while (len && body[len - 1] == '\n')
            len--;
        char *wire = malloc(len + 1);
        memcpy(wire, body, len);
        wire[len] = '\n';
        for (size_t i = 0; i <= len + 1; i++) {
            struct k8s_framer f;
            struct lines l = {0};
            k8s_framer_init(&f, 1 << 16);
            cr_assert_eq(k8s_framer_feed(&f, wire, i, collect, &l), K8S_OK);
            cr_assert_eq(l.n, i == len + 1 ? 1u : 0u);
            cr_assert_eq(k8s_framer_feed(&f, wire + i, len + 1 - i, collect, &l), K8S_OK);
            cr_assert_eq(l.n, 1);
            cr_assert_eq(strlen(l.v[0]), len);
            cr_assert(memcmp(l.v[0], wire, len) == 0);
            lines_free(&l);
            k8s_framer_free(&f);
        }
        free(wire);
        free(raw);
    }
}

Test(framer, many_events_in_one_write)
{
    size_t cap = 4000 * 128, n = 0;
    char *buf = malloc(cap);
    for (int i = 0; i < 4000; i++)
        n += (size_t)snprintf(buf + n, cap - n,
                              "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"p%d\","
                              "\"resourceVersion\":\"%d\"}}}\r\n",
                              i, i + 1);
    struct k8s_framer f;
    struct lines l = {0};
    k8s_framer_init(&f, 256);
    cr_assert_eq(k8s_framer_feed(&f, buf, n, collect, &l), K8S_OK);
    cr_assert_eq(l.n, 4000);
    struct k8s_event ev;
    cr_assert_eq(k8s_event_decode(l.v[3999], strlen(l.v[3999]), &ev), K8S_OK);
    cr_assert_eq(ev.type, K8S_EVENT_MODIFIED);
    cr_assert_str_eq(ev.resource_version, "4000");
    k8s_event_free(&ev);
    lines_free(&l);
    k8s_framer_free(&f);
    free(buf);
}

Test(framer, line_over_the_limit_is_an_error)
{
    char big[300];
    memset(big, 'x', sizeof big);
    struct k8s_framer f;
    struct lines l = {0};
    k8s_framer_init(&f, 256);
    /* split: the carry-over hits the cap */
    cr_assert_eq(k8s_framer_feed(&f, big, 200, collect, &l), K8S_OK);
    cr_assert_eq(k8s_framer_feed(&f, big, 100, collect, &l), K8S_ETOOBIG);
    k8s_framer_free(&f);
    /* whole line in one write */
    k8s_framer_init(&f, 256);
    big[299] = '\n';
    cr_assert_eq(k8s_framer_feed(&f, big, 300, collect, &l), K8S_ETOOBIG);
    cr_assert_eq(l.n, 0);
    k8s_framer_free(&f);
}

Test(framer, blank_lines_and_crlf)
{
    struct k8s_framer f;
    struct lines l = {0};
    k8s_framer_init(&f, 256);
    const char *s = "\n\r\nabc\r\n\ndef\n";
    cr_assert_eq(k8s_framer_feed(&f, s, strlen(s), collect, &l), K8S_OK);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.v[0], "abc");
    cr_assert_str_eq(l.v[1], "def");
    lines_free(&l);
    k8s_framer_free(&f);
}

Test(event, decode_errors_and_status)
{
    struct k8s_event ev;
    const char *bad[] = {"{",
                         "[]",
                         "{\"type\":\"ADDED\"}",
                         "{\"type\":\"NOPE\",\"object\":{}}",
                         "{\"type\":1,\"object\":{}}",
                         "{\"type\":\"ADDED\",\"object\":[]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(k8s_event_decode(bad[i], strlen(bad[i]), &ev), K8S_EPROTO, "%s", bad[i]);
        cr_assert_null(ev.root);
    }
    size_t len;
    char *line = read_fixture("status/410-watch-error-event-expired.json", &len);
    cr_assert_eq(k8s_event_decode(line, len, &ev), K8S_OK);
    cr_assert_eq(ev.type, K8S_EVENT_ERROR);
    struct k8s_error err;
    cr_assert_eq(k8s_error_from_status_json(ev.object, &err), K8S_EHTTP);
    cr_assert(k8s_error_is_expired(&err));
    cr_assert_eq(err.http_code, 410);
    k8s_event_free(&ev);
    free(line);
}
