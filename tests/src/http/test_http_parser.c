/* Tests for src/http_parser.c: the pure HTTP/1.1 request-head parser. */
#include "http_parser.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static struct http_parsed_request req;

static enum http_parse_status parse(const char *s)
{
    return http_parse_request(s, strlen(s), 16384, 0, &req);
}

static bool span_is(const char *p, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(p, want, len) == 0;
}

Test(http_parser, parses_a_complete_head)
{
    const char *s = "POST /v1/claims?pool=a&x HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n"
                    "X-Empty:\r\nX-Pad:   spaced value \t\r\n\r\nbody...";
    cr_assert_eq(parse(s), HTTP_PARSE_OK);
    cr_assert(span_is(req.method, req.method_len, "POST"));
    cr_assert(span_is(req.path, req.path_len, "/v1/claims"));
    cr_assert(span_is(req.query, req.query_len, "pool=a&x"));
    cr_assert_eq(req.version, 11);
    cr_assert_eq(req.header_count, 4);
    cr_assert(span_is(req.headers[3].value, req.headers[3].value_len, "spaced value"));
    cr_assert_eq(req.headers[2].value_len, 0);
    cr_assert_eq(req.content_length, 12);
    cr_assert(req.has_content_length);
    cr_assert(req.keep_alive);
    cr_assert_eq(req.head_len, (size_t)(strstr(s, "body") - s));
}

Test(http_parser, incomplete_until_the_blank_line)
{
    const char *s = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    size_t scan = 0;
    for (size_t len = 0; len < strlen(s); len++) {
        cr_assert_eq(http_parse_request(s, len, 16384, scan, &req), HTTP_PARSE_INCOMPLETE, "at %zu",
                     len);
        scan = http_parse_rescan_from(len);
    }
    cr_assert_eq(http_parse_request(s, strlen(s), 16384, scan, &req), HTTP_PARSE_OK);
    cr_assert_eq(req.query, NULL);
}

Test(http_parser, versions_and_connection_tokens)
{
    cr_assert_eq(parse("GET / HTTP/1.0\r\n\r\n"), HTTP_PARSE_OK);
    cr_assert_not(req.keep_alive);
    cr_assert_eq(req.version, 10);
    cr_assert_eq(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), HTTP_PARSE_OK);
    cr_assert(req.keep_alive);
    cr_assert_eq(parse("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n"), HTTP_PARSE_OK);
    cr_assert_not(req.keep_alive);
    cr_assert_eq(parse("GET / HTTP/2.0\r\n\r\n"), HTTP_PARSE_VERSION_UNSUPPORTED);
    cr_assert_eq(parse("GET / HTTP/1.x\r\n\r\n"), HTTP_PARSE_BAD_REQUEST);
    cr_assert_eq(parse("GET / http/1.1\r\n\r\n"), HTTP_PARSE_BAD_REQUEST);
}

Test(http_parser, framing_headers)
{
    cr_assert_eq(parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
                 HTTP_PARSE_OK);
    cr_assert_eq(req.transfer, HTTP_TRANSFER_CHUNKED);
    cr_assert_eq(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
                 HTTP_PARSE_OK);
    cr_assert_eq(req.transfer, HTTP_TRANSFER_OTHER);
    cr_assert_eq(
        parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
        HTTP_PARSE_BAD_REQUEST, "smuggling guard");
    cr_assert_eq(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"),
                 HTTP_PARSE_OK);
    cr_assert_eq(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"),
                 HTTP_PARSE_BAD_REQUEST);
    cr_assert_eq(parse("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), HTTP_PARSE_BAD_REQUEST);
    cr_assert_eq(parse("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"),
                 HTTP_PARSE_BAD_REQUEST);
    cr_assert_eq(parse("POST / HTTP/1.1\r\nExpect: 100-Continue\r\n\r\n"), HTTP_PARSE_OK);
    cr_assert_eq(req.expect, HTTP_EXPECT_CONTINUE);
}

Test(http_parser, targets)
{
    cr_assert_eq(parse("GET http://host:80/p/q?z=1 HTTP/1.1\r\n\r\n"), HTTP_PARSE_OK);
    cr_assert(span_is(req.path, req.path_len, "/p/q"));
    cr_assert(span_is(req.query, req.query_len, "z=1"));
    cr_assert_eq(parse("GET http://host HTTP/1.1\r\n\r\n"), HTTP_PARSE_OK);
    cr_assert(span_is(req.path, req.path_len, "/"));
    cr_assert_eq(parse("OPTIONS * HTTP/1.1\r\n\r\n"), HTTP_PARSE_OK);
    cr_assert_eq(parse("GET nopath HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD_REQUEST);
    cr_assert_eq(parse("GET /a b HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD_REQUEST);
    cr_assert_eq(parse("BREW /pot HTTP/1.1\r\n\r\n"), HTTP_PARSE_OK, "unknown methods pass");
    cr_assert_eq(parse("GE(T / HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD_REQUEST);
}

Test(http_parser, malformed_lines)
{
    cr_assert_eq(parse("GET / HTTP/1.1\r\nName\r\n\r\n"), HTTP_PARSE_BAD_REQUEST);
    cr_assert_eq(parse("GET / HTTP/1.1\r\n: v\r\n\r\n"), HTTP_PARSE_BAD_REQUEST);
    cr_assert_eq(parse("GET / HTTP/1.1\r\nBad Name: v\r\n\r\n"), HTTP_PARSE_BAD_REQUEST);
    cr_assert_eq(parse("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"), HTTP_PARSE_BAD_REQUEST);
    cr_assert_eq(parse("GET / HTTP/1.1\r\nA: b\nC: d\r\n\r\n"), HTTP_PARSE_BAD_REQUEST);
    cr_assert_eq(parse("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n"), HTTP_PARSE_BAD_REQUEST);
    cr_assert_eq(http_parse_request("GET / HTTP/1.1\r\nA: \0\r\n\r\n", 24, 16384, 0, &req),
                 HTTP_PARSE_BAD_REQUEST);
}

Test(http_parser, leading_blank_lines_are_skipped)
{
    const char *s = "\r\n\r\nGET /x HTTP/1.1\r\n\r\n";
    cr_assert_eq(parse(s), HTTP_PARSE_OK);
    cr_assert(span_is(req.path, req.path_len, "/x"));
    cr_assert_eq(req.head_len, strlen(s));
    cr_assert_eq(parse("\r\n\r\n"), HTTP_PARSE_INCOMPLETE);
}

Test(http_parser, size_caps)
{
    char big[2048];
    int n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nA: %01000d\r\n\r\n", 1);
    cr_assert_eq(http_parse_request(big, (size_t)n, 512, 0, &req), HTTP_PARSE_TOO_LARGE);
    cr_assert_eq(http_parse_request(big, 600, 512, 0, &req), HTTP_PARSE_TOO_LARGE);
    cr_assert_eq(http_parse_request(big, 500, 512, 0, &req), HTTP_PARSE_INCOMPLETE);
    cr_assert_eq(http_parse_request(big, (size_t)n, (size_t)n, 0, &req), HTTP_PARSE_OK,
                 "a head of exactly the cap fits");
    char many[8192];
    size_t len = (size_t)snprintf(many, sizeof(many), "GET / HTTP/1.1\r\n");
    for (int i = 0; i < HTTP_PARSER_MAX_HEADERS + 1; i++)
        len += (size_t)snprintf(many + len, sizeof(many) - len, "H%d: v\r\n", i);
    len += (size_t)snprintf(many + len, sizeof(many) - len, "\r\n");
    cr_assert_eq(http_parse_request(many, len, 16384, 0, &req), HTTP_PARSE_TOO_LARGE);
}
