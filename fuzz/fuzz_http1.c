/*
 * libFuzzer target for the HTTP/1.1 request-head parser (src/http/http_parser.c).
 *
 * Parses the input whole under a few size caps, then again as it would
 * arrive in pieces (with the rescan hint), and checks that both agree and
 * that every span of a parsed request lies inside the input.
 */
#include "http_parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_inside(const char *buf, size_t len, const char *p, size_t n)
{
    if (n == 0)
        return;
    if (p < buf || p + n > buf + len)
        abort();
}

static void check_result(const char *buf, size_t len, size_t cap,
                         const struct http_parsed_request *r)
{
    if (r->head_len > len || r->head_len > cap)
        abort();
    check_inside(buf, r->head_len, r->method, r->method_len);
    if (!(r->path_len == 1 && r->path[0] == '/')) /* absolute-form without a path */
        check_inside(buf, r->head_len, r->path, r->path_len);
    check_inside(buf, r->head_len, r->query, r->query_len);
    if (r->method_len == 0 || r->path_len == 0 || (r->version != 10 && r->version != 11))
        abort();
    if (r->header_count > HTTP_PARSER_MAX_HEADERS)
        abort();
    for (size_t i = 0; i < r->header_count; i++) {
        check_inside(buf, r->head_len, r->headers[i].name, r->headers[i].name_len);
        check_inside(buf, r->head_len, r->headers[i].value, r->headers[i].value_len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy, so reads past the end are caught by ASan. */
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    static const size_t caps[] = {64, 1024, 16384};
    struct http_parsed_request whole, piece;
    for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
        enum http_parse_status st = http_parse_request(buf, size, caps[k], 0, &whole);
        if (st == HTTP_PARSE_OK)
            check_result(buf, size, caps[k], &whole);
        /* Arrival in pieces of 7 bytes must reach the same verdict. */
        enum http_parse_status ps = HTTP_PARSE_INCOMPLETE;
        size_t scan = 0, len = 0;
        while (ps == HTTP_PARSE_INCOMPLETE && len < size) {
            len = len + 7 < size ? len + 7 : size;
            ps = http_parse_request(buf, len, caps[k], scan, &piece);
            if (ps == HTTP_PARSE_INCOMPLETE)
                scan = http_parse_rescan_from(len);
        }
        if (size > 0 && ps != st && !(ps == HTTP_PARSE_OK && st == HTTP_PARSE_OK))
            abort();
        if (ps == HTTP_PARSE_OK && st == HTTP_PARSE_OK && piece.head_len != whole.head_len)
            abort();
    }
    free(buf);
    return 0;
}
