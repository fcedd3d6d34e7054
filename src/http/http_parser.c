/*
 * http_parser.c: request line and header block, see http_parser.h.
 *
 * The head is located first (a CRLF CRLF within the cap), then parsed line
 * by line with a cursor that never runs past the located end, so every read
 * is bounded by the blank line that is known to exist.
 */
#include "http_parser.h"

#include <string.h>
#include <strings.h>

struct cursor {
    const char *p;
    const char *end; /* the CR of the final blank line's CRLF */
};

static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_value_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_target_char(unsigned char c)
{
    return c > 0x20 && c != 0x7f;
}

/* Bytes from p up to the next CRLF; the cursor moves past the CRLF. */
static bool next_line(struct cursor *c, const char **line, size_t *len)
{
    const char *p = c->p;
    while (p < c->end && *p != '\r' && *p != '\n')
        p++;
    /* p <= end, and end is followed by CR LF, so p[1] is inside the buffer. */
    if (p[0] != '\r' || p[1] != '\n')
        return false;
    *line = c->p;
    *len = (size_t)(p - c->p);
    c->p = p + 2;
    return true;
}

static bool equals_ci(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

static enum http_parse_status parse_version(const char *v, size_t len, int *version)
{
    if (len != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.')
        return HTTP_PARSE_BAD_REQUEST;
    if (v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
        return HTTP_PARSE_BAD_REQUEST;
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
        return HTTP_PARSE_VERSION_UNSUPPORTED;
    *version = v[7] == '1' ? 11 : 10;
    return HTTP_PARSE_OK;
}

/* Splits the target into path and query; absolute-form keeps only its path. */
static bool parse_target(const char *t, size_t len, struct http_parsed_request *out)
{
    for (size_t i = 0; i < len; i++)
        if (!is_target_char((unsigned char)t[i]))
            return false;
    if (len > 7 && (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0)) {
        const char *host = (const char *)memchr(t, ':', len) + 3;
        const char *slash = memchr(host, '/', len - (size_t)(host - t));
        if (!slash) {
            out->path = "/";
            out->path_len = 1;
            return true;
        }
        len -= (size_t)(slash - t);
        t = slash;
    } else if (t[0] != '/' && !(len == 1 && t[0] == '*')) {
        return false;
    }
    const char *q = memchr(t, '?', len);
    out->path = t;
    out->path_len = q ? (size_t)(q - t) : len;
    out->query = q ? q + 1 : NULL;
    out->query_len = q ? len - out->path_len - 1 : 0;
    return true;
}

static enum http_parse_status parse_request_line(const char *line, size_t len,
                                                 struct http_parsed_request *out)
{
    const char *end = line + len;
    const char *sp1 = memchr(line, ' ', len);
    if (!sp1 || sp1 == line)
        return HTTP_PARSE_BAD_REQUEST;
    for (const char *p = line; p < sp1; p++)
        if (!is_tchar((unsigned char)*p))
            return HTTP_PARSE_BAD_REQUEST;
    const char *target = sp1 + 1;
    const char *sp2 = memchr(target, ' ', (size_t)(end - target));
    if (!sp2 || sp2 == target)
        return HTTP_PARSE_BAD_REQUEST;
    out->method = line;
    out->method_len = (size_t)(sp1 - line);
    if (!parse_target(target, (size_t)(sp2 - target), out))
        return HTTP_PARSE_BAD_REQUEST;
    return parse_version(sp2 + 1, (size_t)(end - sp2 - 1), &out->version);
}

static bool parse_content_length(const char *v, size_t len, struct http_parsed_request *out)
{
    if (len == 0 || len > 15)
        return false;
    uint64_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        n = n * 10 + (uint64_t)(v[i] - '0');
    }
    if (out->has_content_length && out->content_length != n)
        return false;
    out->content_length = n;
    out->has_content_length = true;
    return true;
}

/* Does the comma-separated list v contain token tok (case-insensitive)? */
static bool list_has(const char *v, size_t len, const char *tok)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < len && v[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
            end--;
        if (end > start && equals_ci(v + start, end - start, tok))
            return true;
    }
    return false;
}

/* The last coding of a Transfer-Encoding list decides how the body is framed. */
static enum http_transfer transfer_of(const char *v, size_t len)
{
    size_t end = len;
    while (end > 0 && (v[end - 1] == ' ' || v[end - 1] == '\t'))
        end--;
    size_t start = end;
    while (start > 0 && v[start - 1] != ',')
        start--;
    while (start < end && (v[start] == ' ' || v[start] == '\t'))
        start++;
    return equals_ci(v + start, end - start, "chunked") ? HTTP_TRANSFER_CHUNKED
                                                        : HTTP_TRANSFER_OTHER;
}

static bool apply_header(const struct http_header *h, struct http_parsed_request *out)
{
    if (equals_ci(h->name, h->name_len, "content-length"))
        return parse_content_length(h->value, h->value_len, out);
    if (equals_ci(h->name, h->name_len, "transfer-encoding")) {
        enum http_transfer t = transfer_of(h->value, h->value_len);
        if (out->transfer == HTTP_TRANSFER_NONE || t == HTTP_TRANSFER_OTHER)
            out->transfer = t;
    } else if (equals_ci(h->name, h->name_len, "connection")) {
        if (list_has(h->value, h->value_len, "close"))
            out->keep_alive = false;
        else if (list_has(h->value, h->value_len, "keep-alive"))
            out->keep_alive = true;
    } else if (equals_ci(h->name, h->name_len, "expect")) {
        out->expect = equals_ci(h->value, h->value_len, "100-continue") ? HTTP_EXPECT_CONTINUE
                                                                        : HTTP_EXPECT_OTHER;
    }
    return true;
}

static enum http_parse_status parse_header_line(const char *line, size_t len,
                                                struct http_parsed_request *out)
{
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return HTTP_PARSE_BAD_REQUEST; /* also catches obs-fold lines */
    for (const char *p = line; p < colon; p++)
        if (!is_tchar((unsigned char)*p))
            return HTTP_PARSE_BAD_REQUEST;
    const char *v = colon + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    for (const char *p = v; p < end; p++)
        if (!is_value_char((unsigned char)*p))
            return HTTP_PARSE_BAD_REQUEST;
    if (out->header_count == HTTP_PARSER_MAX_HEADERS)
        return HTTP_PARSE_TOO_LARGE;
    struct http_header *h = &out->headers[out->header_count++];
    *h = (struct http_header){line, (size_t)(colon - line), v, (size_t)(end - v)};
    return apply_header(h, out) ? HTTP_PARSE_OK : HTTP_PARSE_BAD_REQUEST;
}

/* Finds the CRLF CRLF ending the head; returns its offset or -1. */
static long find_head_end(const char *buf, size_t len, size_t from)
{
    if (len < 4)
        return -1;
    for (size_t i = from; i + 4 <= len; i++) {
        const char *p = memchr(buf + i, '\r', len - 3 - i);
        if (!p)
            return -1;
        i = (size_t)(p - buf);
        if (p[1] == '\n' && p[2] == '\r' && p[3] == '\n')
            return (long)i;
    }
    return -1;
}

static size_t skip_leading_blank_lines(const char *buf, size_t len)
{
    size_t i = 0;
    while (i + 2 <= len && buf[i] == '\r' && buf[i + 1] == '\n')
        i += 2;
    return i;
}

size_t http_parse_rescan_from(size_t len)
{
    return len > 3 ? len - 3 : 0;
}

static enum http_parse_status parse_head(struct cursor *c, struct http_parsed_request *out)
{
    const char *line;
    size_t len;
    if (!next_line(c, &line, &len))
        return HTTP_PARSE_BAD_REQUEST;
    enum http_parse_status st = parse_request_line(line, len, out);
    if (st != HTTP_PARSE_OK)
        return st;
    out->keep_alive = out->version == 11;
    while (c->p < c->end) {
        if (!next_line(c, &line, &len))
            return HTTP_PARSE_BAD_REQUEST;
        st = parse_header_line(line, len, out);
        if (st != HTTP_PARSE_OK)
            return st;
    }
    if (out->transfer != HTTP_TRANSFER_NONE && out->has_content_length)
        return HTTP_PARSE_BAD_REQUEST;
    return HTTP_PARSE_OK;
}

enum http_parse_status http_parse_request(const char *buf, size_t len, size_t max_head,
                                          size_t scan_from, struct http_parsed_request *out)
{
    size_t skip = skip_leading_blank_lines(buf, len);
    size_t limit = len < max_head ? len : max_head;
    if (skip >= limit)
        return len >= max_head ? HTTP_PARSE_TOO_LARGE : HTTP_PARSE_INCOMPLETE;
    long end = find_head_end(buf, limit, scan_from > skip ? scan_from : skip);
    if (end < 0)
        return len >= max_head ? HTTP_PARSE_TOO_LARGE : HTTP_PARSE_INCOMPLETE;
    memset(out, 0, sizeof(*out));
    /* The cursor ends at the CR of the blank line; the line before it keeps its CRLF. */
    struct cursor c = {buf + skip, buf + end + 2};
    enum http_parse_status st = parse_head(&c, out);
    if (st == HTTP_PARSE_OK)
        out->head_len = (size_t)end + 4;
    return st;
}
