/*
 * http_parser: the HTTP/1.1 request-head parser (request line + header block).
 *
 * Pure code: no I/O, no allocation, no clock. The connection code in
 * http_h1.c keeps the bytes received so far and calls http_parse_request()
 * each time more arrive; the parser either finds a complete head and fills a
 * struct http_parsed_request whose pointers point INTO the caller's buffer
 * (so they live as long as those bytes), or says it needs more bytes, or
 * reports why the head is unacceptable. Bodies are not parsed here: the
 * result carries the declared Content-Length and the caller reads that many
 * bytes after the head.
 *
 * Strictness (a server in front of a pool prefers a clear 400 to guessing):
 * lines end with CRLF (a bare LF or CR is an error); the request line is
 * `method SP target SP HTTP/1.x`; header names are RFC 9110 tokens; values
 * may not contain control characters other than HTAB; obs-fold (a header line
 * starting with a space) is an error; Content-Length must be digits, and
 * repeated Content-Length headers must agree; a request with both
 * Transfer-Encoding and Content-Length is an error (request smuggling guard).
 * Empty lines before the request line are skipped, as RFC 9112 allows.
 *
 * Callers: http_h1.c, fuzz/fuzz_http1.c, tests/src/test_http_parser.c.
 */
#ifndef PREWARM_HTTP_PARSER_H
#define PREWARM_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_server.h"

#define HTTP_PARSER_MAX_HEADERS 64

enum http_parse_status {
    HTTP_PARSE_OK = 0,
    HTTP_PARSE_INCOMPLETE,         /* no blank line yet, still under the cap */
    HTTP_PARSE_BAD_REQUEST,        /* malformed: answer 400 */
    HTTP_PARSE_TOO_LARGE,          /* head over the cap or too many headers: 431 */
    HTTP_PARSE_VERSION_UNSUPPORTED /* HTTP/x.y other than 1.0 and 1.1: 505 */
};

enum http_transfer {
    HTTP_TRANSFER_NONE = 0,
    HTTP_TRANSFER_CHUNKED, /* Transfer-Encoding ends with chunked */
    HTTP_TRANSFER_OTHER    /* any other transfer coding */
};

enum http_expect {
    HTTP_EXPECT_NONE = 0,
    HTTP_EXPECT_CONTINUE, /* Expect: 100-continue */
    HTTP_EXPECT_OTHER
};

struct http_parsed_request {
    const char *method;
    size_t method_len;
    const char *path; /* target without the query; absolute-form reduced to its path */
    size_t path_len;
    const char *query; /* after '?'; NULL when there is none */
    size_t query_len;
    int version; /* 10 or 11 */
    struct http_header headers[HTTP_PARSER_MAX_HEADERS];
    size_t header_count;
    size_t head_len;         /* bytes of the head, blank line included */
    uint64_t content_length; /* 0 when absent */
    bool has_content_length;
    bool keep_alive; /* from the version and the Connection header */
    enum http_transfer transfer;
    enum http_expect expect;
};

/* Parses the head at the start of buf[0..len). max_head caps head_len.
 * scan_from is where the search for the blank line may start (the caller
 * passes how many bytes it had already scanned, or 0); it only saves work.
 * out is filled only when HTTP_PARSE_OK is returned. */
enum http_parse_status http_parse_request(const char *buf, size_t len, size_t max_head,
                                          size_t scan_from, struct http_parsed_request *out);

/* Where the next scan may start after an HTTP_PARSE_INCOMPLETE on len bytes. */
size_t http_parse_rescan_from(size_t len);

#endif
