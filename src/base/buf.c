/* buf.c: see buf.h. */
#include "buf.h"

#include "utf8.h"

#include "oom.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *buf_reserve(struct buf *b, size_t n)
{
    if (b->cap - b->len >= n)
        return b->data + b->len;
    if (b->off > 0 && b->cap - buf_size(b) >= n && b->off >= b->cap / 2) {
        buf_compact(b);
        return b->data + b->len;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    return b->data + b->len;
}

void buf_commit(struct buf *b, size_t n)
{
    b->len += n;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    memcpy(buf_reserve(b, n), p, n);
    b->len += n;
}

void buf_appendf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = buf_reserve(b, 128);
    int n = vsnprintf(dst, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= b->cap - b->len) {
        dst = buf_reserve(b, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(dst, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

size_t buf_format_uint(char *dst, uint64_t n)
{
    char tmp[BUF_UINT_MAX_DIGITS];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    memcpy(dst, tmp + i, sizeof(tmp) - i);
    return sizeof(tmp) - i;
}

void buf_append_uint(struct buf *b, uint64_t n)
{
    char digits[BUF_UINT_MAX_DIGITS];
    buf_append(b, digits, buf_format_uint(digits, n));
}

/* Runs of plain bytes are copied at once; only quote, backslash and the
 * control bytes are escaped. */
/* Bytes that need no escaping: printable ASCII but '"' and '\\'. */
static size_t plain_run(const unsigned char *s)
{
    size_t n = 0;
    while (s[n] >= 0x20 && s[n] < 0x80 && s[n] != '"' && s[n] != '\\')
        n++;
    return n;
}

void buf_append_json_string(struct buf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    buf_append(b, "\"", 1);
    while (*s) {
        size_t plain = plain_run(s);
        buf_append(b, s, plain);
        s += plain;
        if (!*s)
            break;
        uint32_t cp;
        size_t n = *s >= 0x80 ? utf8_next(s, strnlen((const char *)s, 4), &cp) : 0;
        if (n) { /* valid UTF-8 goes out as it is */
            buf_append(b, s, n);
            s += n;
        } else if (*s == '"' || *s == '\\') {
            buf_appendf(b, "\\%c", *s++);
        } else if (*s < 0x20) {
            buf_appendf(b, "\\u%04x", *s++);
        } else { /* a byte that is not UTF-8: U+FFFD, so the JSON stays valid */
            buf_append(b, "\\ufffd", 6);
            s++;
        }
    }
    buf_append(b, "\"", 1);
}

const char *buf_cstr(struct buf *b)
{
    *buf_reserve(b, 1) = '\0';
    return buf_start(b);
}

void buf_consume(struct buf *b, size_t n)
{
    b->off += n;
    if (b->off >= b->len)
        b->off = b->len = 0;
}

void buf_compact(struct buf *b)
{
    if (b->off == 0)
        return;
    memmove(b->data, b->data + b->off, buf_size(b));
    b->len -= b->off;
    b->off = 0;
}

void buf_free(struct buf *b)
{
    free(b->data);
    *b = (struct buf){0};
}
