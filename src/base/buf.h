/*
 * buf: the daemon's one growable byte buffer, with a read offset. The HTTP
 * server uses it for connection input and output and copied response bodies;
 * the API and metrics modules write their JSON and Prometheus text into it.
 *
 * Bytes live in data[off..len). Appending grows the storage geometrically;
 * consuming moves off and resets both to 0 once the buffer is empty, and
 * buf_compact() moves the live bytes to the front. Out of memory aborts
 * (oom.h), so appends cannot fail.
 *
 * Ownership: the struct is embedded by its user, which calls buf_free.
 * Callers: src/http, src/api, src/metrics (JSON through json_out.h).
 */
#ifndef PREWARM_BUF_H
#define PREWARM_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
    char *data;
    size_t off, len, cap;
};

static inline size_t buf_size(const struct buf *b)
{
    return b->len - b->off;
}

static inline const char *buf_start(const struct buf *b)
{
    return b->data + b->off;
}

void buf_append(struct buf *b, const void *p, size_t n);
/* Makes room for n more bytes and returns where they go; buf_commit adds them. */
char *buf_reserve(struct buf *b, size_t n);
void buf_commit(struct buf *b, size_t n);
void buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends n in decimal (cheaper than appendf on hot paths). */
void buf_append_uint(struct buf *b, uint64_t n);

/* Writes n in decimal at dst, which has room for BUF_UINT_MAX_DIGITS;
 * returns the number of digits written (no terminating NUL). */
#define BUF_UINT_MAX_DIGITS 20
size_t buf_format_uint(char *dst, uint64_t n);
/* Appends s as a quoted JSON string, escaping '"', '\\' and control bytes;
 * bytes that are not valid UTF-8 become \ufffd, so whatever a client sent
 * that prewarm echoes, the answer stays valid JSON (NULL appends ""). */
void buf_append_json_string(struct buf *b, const char *s);
/* The live bytes as a C string: writes a NUL after them (not counted in the
 * size). Valid until the next change to the buffer. */
const char *buf_cstr(struct buf *b);
void buf_consume(struct buf *b, size_t n);
void buf_compact(struct buf *b);
void buf_free(struct buf *b);

#endif
