/* http_buf.c: see http_buf.h. */
#include "http_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *http_buf_reserve(struct http_buf *b, size_t n)
{
    if (b->cap - b->len >= n)
        return b->data + b->len;
    if (b->off > 0 && b->cap - http_buf_size(b) >= n && b->off >= b->cap / 2) {
        http_buf_compact(b);
        return b->data + b->len;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data)
        abort();
    b->data = data;
    b->cap = cap;
    return b->data + b->len;
}

void http_buf_commit(struct http_buf *b, size_t n)
{
    b->len += n;
}

void http_buf_append(struct http_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    memcpy(http_buf_reserve(b, n), p, n);
    b->len += n;
}

void http_buf_appendf(struct http_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = http_buf_reserve(b, 128);
    int n = vsnprintf(dst, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= b->cap - b->len) {
        dst = http_buf_reserve(b, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(dst, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

size_t http_format_uint(char *dst, uint64_t n)
{
    char tmp[HTTP_UINT_MAX_DIGITS];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    memcpy(dst, tmp + i, sizeof(tmp) - i);
    return sizeof(tmp) - i;
}

void http_buf_append_uint(struct http_buf *b, uint64_t n)
{
    char digits[HTTP_UINT_MAX_DIGITS];
    http_buf_append(b, digits, http_format_uint(digits, n));
}

void http_buf_consume(struct http_buf *b, size_t n)
{
    b->off += n;
    if (b->off >= b->len)
        b->off = b->len = 0;
}

void http_buf_compact(struct http_buf *b)
{
    if (b->off == 0)
        return;
    memmove(b->data, b->data + b->off, http_buf_size(b));
    b->len -= b->off;
    b->off = 0;
}

void http_buf_free(struct http_buf *b)
{
    free(b->data);
    *b = (struct http_buf){0};
}
