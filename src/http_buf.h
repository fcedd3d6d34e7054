/*
 * http_buf: a growable byte buffer with a read offset, used for connection
 * input and output and for copied response bodies.
 *
 * Bytes live in data[off..len). Appending grows the storage geometrically;
 * consuming moves off and resets both to 0 once the buffer is empty, and
 * http_buf_compact() moves the live bytes to the front. prewarmd aborts on
 * out of memory (as the design says), so appends cannot fail.
 *
 * Ownership: the struct is embedded by its user, which calls http_buf_free.
 * Callers: http_server.c, http_h1.c, http_h2.c.
 */
#ifndef PREWARM_HTTP_BUF_H
#define PREWARM_HTTP_BUF_H

#include <stddef.h>
#include <stdint.h>

struct http_buf {
    char *data;
    size_t off, len, cap;
};

static inline size_t http_buf_size(const struct http_buf *b)
{
    return b->len - b->off;
}

static inline const char *http_buf_start(const struct http_buf *b)
{
    return b->data + b->off;
}

void http_buf_append(struct http_buf *b, const void *p, size_t n);
/* Makes room for n more bytes and returns where they go; http_buf_commit adds them. */
char *http_buf_reserve(struct http_buf *b, size_t n);
void http_buf_commit(struct http_buf *b, size_t n);
void http_buf_appendf(struct http_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends n in decimal (cheaper than appendf on the response path). */
void http_buf_append_uint(struct http_buf *b, uint64_t n);

/* Writes n in decimal at dst, which has room for HTTP_UINT_MAX_DIGITS;
 * returns the number of digits written (no terminating NUL). */
#define HTTP_UINT_MAX_DIGITS 20
size_t http_format_uint(char *dst, uint64_t n);
void http_buf_consume(struct http_buf *b, size_t n);
void http_buf_compact(struct http_buf *b);
void http_buf_free(struct http_buf *b);

#endif
