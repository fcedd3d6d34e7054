/* HTTP/1.1 tests for src/http_server.c over real sockets on 127.0.0.1. */
#include "http_test_util.h"

#include <strings.h>
#include <sys/resource.h>

struct resp {
    int status;
    const char *head;
    size_t head_len;
    const char *body;
    size_t body_len;
};

struct reader {
    struct fixture *fx;
    int fd;
    char buf[1 << 17];
    size_t len;
    bool eof;
    size_t want;
    struct resp resps[32];
    size_t count;
};

static size_t content_length(const char *head, size_t len)
{
    for (size_t i = 0; i + 15 < len; i++)
        if (strncasecmp(head + i, "\r\ncontent-length:", 17) == 0)
            return (size_t)strtoul(head + i + 17, NULL, 10);
    return 0;
}

/* Splits the bytes read so far into complete responses (interim 1xx skipped). */
static void split_responses(struct reader *r)
{
    r->count = 0;
    size_t off = 0;
    while (r->count < 32) {
        const char *p = r->buf + off;
        const char *end = memmem(p, r->len - off, "\r\n\r\n", 4);
        if (!end)
            return;
        size_t head_len = (size_t)(end - p) + 4;
        int status = atoi(p + 9);
        if (status >= 100 && status < 200) {
            off += head_len;
            continue;
        }
        size_t cl = content_length(p, head_len);
        if (off + head_len + cl > r->len)
            return;
        r->resps[r->count++] = (struct resp){status, p, head_len, p + head_len, cl};
        off += head_len + cl;
    }
}

static bool reader_done(void *arg)
{
    struct reader *r = arg;
    for (;;) {
        ssize_t n = recv(r->fd, r->buf + r->len, sizeof(r->buf) - r->len - 1, 0);
        if (n > 0) {
            r->len += (size_t)n;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            r->eof = true;
        break;
    }
    r->buf[r->len] = 0;
    split_responses(r);
    return r->eof || r->count >= r->want;
}

static struct reader *reader_new(struct fixture *fx, int fd)
{
    struct reader *r = calloc(1, sizeof(*r));
    r->fx = fx;
    r->fd = fd;
    return r;
}

/* Reads until want responses arrived (or EOF); asserts they did. */
static void expect_responses(struct reader *r, size_t want)
{
    r->want = want;
    turn_until(r->fx, reader_done, r);
    cr_assert_eq(r->count, want, "got %zu responses, wanted %zu: [%s]", r->count, want, r->buf);
}

static bool reader_eof(void *arg)
{
    struct reader *r = arg;
    r->want = SIZE_MAX;
    reader_done(r);
    return r->eof;
}

static void expect_eof(struct reader *r)
{
    cr_assert(turn_until(r->fx, reader_eof, r), "connection should close: [%s]", r->buf);
}

static bool has(const struct resp *rs, const char *needle)
{
    return memmem(rs->head, rs->head_len + rs->body_len, needle, strlen(needle)) != NULL;
}

static void expect_body(const struct resp *rs, const char *body)
{
    cr_assert_eq(rs->body_len, strlen(body), "body [%.*s] wanted [%s]", (int)rs->body_len, rs->body,
                 body);
    cr_assert_eq(memcmp(rs->body, body, rs->body_len), 0);
}

#define SEND(fx, fd, s) client_send(fx, fd, s, strlen(s))

Test(http_h1, get_and_post_round_trip)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    SEND(&fx, fd, "GET /hello?x=1&y=2 HTTP/1.1\r\nHost: example\r\n\r\n");
    expect_responses(r, 1);
    cr_assert_eq(r->resps[0].status, 200);
    expect_body(&r->resps[0], "GET /hello x=1&y=2 0");
    cr_assert(has(&r->resps[0], "Content-Type: text/plain\r\n"));
    cr_assert_str_eq(fx.app.last_host, "example");
    cr_assert_eq(fx.app.last_version, 11);
    SEND(&fx, fd, "POST /items HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
    expect_responses(r, 2);
    expect_body(&r->resps[1], "POST /items  5");
    cr_assert_not(r->eof, "keep-alive keeps the connection open");
    cr_assert_eq(fx.app.calls, 2);
    close(fd);
    free(r);
    fixture_stop(&fx);
}

Test(http_h1, body_split_across_reads)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    SEND(&fx, fd, "PUT /x HTTP/1.1\r\nContent-Le");
    loop_run_once(fx.loop, 5);
    SEND(&fx, fd, "ngth: 10\r\n\r\n01234");
    loop_run_once(fx.loop, 5);
    cr_assert_eq(fx.app.calls, 0, "body incomplete");
    SEND(&fx, fd, "56789");
    expect_responses(r, 1);
    expect_body(&r->resps[0], "PUT /x  10");
    close(fd);
    free(r);
    fixture_stop(&fx);
}

static bool calls_reach(void *arg)
{
    struct fixture *fx = arg;
    return fx->app.calls >= fx->app.npending + 2;
}

Test(http_h1, pipelined_answers_stay_in_order_behind_a_deferred_one)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    SEND(&fx, fd, "GET /defer HTTP/1.1\r\n\r\nGET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    cr_assert(turn_until(&fx, calls_reach, &fx));
    cr_assert_eq(fx.app.calls, 3);
    cr_assert_eq(fx.app.npending, 1);
    for (int i = 0; i < 5; i++)
        loop_run_once(fx.loop, 2);
    reader_done(r);
    cr_assert_eq(r->len, 0, "nothing may be written before the first answer: [%s]", r->buf);
    http_respond(fx.app.pending[0], 202, NULL, 0, "first", 5);
    expect_responses(r, 3);
    cr_assert_eq(r->resps[0].status, 202);
    expect_body(&r->resps[0], "first");
    expect_body(&r->resps[1], "GET /a  0");
    expect_body(&r->resps[2], "GET /b  0");
    cr_assert_eq(fx.app.cancelled, 0);
    close(fd);
    free(r);
    fixture_stop(&fx);
}

Test(http_h1, pipeline_limit_pauses_parsing_until_answers_drain)
{
    struct fixture fx;
    struct http_server_config cfg = {.max_pipelined = 2};
    fixture_start(&fx, &cfg);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    SEND(&fx, fd,
         "GET /defer HTTP/1.1\r\n\r\nGET /defer2 HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n"
         "GET /d HTTP/1.1\r\n\r\n");
    for (int i = 0; i < 20; i++)
        loop_run_once(fx.loop, 2);
    cr_assert_eq(fx.app.calls, 2, "only max_pipelined requests are in flight");
    http_respond(fx.app.pending[1], 200, NULL, 0, "two", 3);
    for (int i = 0; i < 10; i++)
        loop_run_once(fx.loop, 2);
    cr_assert_eq(fx.app.calls, 2, "the head is still unanswered");
    http_respond(fx.app.pending[0], 200, NULL, 0, "one", 3);
    expect_responses(r, 4);
    expect_body(&r->resps[0], "one");
    expect_body(&r->resps[1], "two");
    expect_body(&r->resps[2], "GET /c  0");
    expect_body(&r->resps[3], "GET /d  0");
    close(fd);
    free(r);
    fixture_stop(&fx);
}

static void expect_json_error(struct reader *r, int status, const char *reason)
{
    expect_responses(r, 1);
    cr_assert_eq(r->resps[0].status, status);
    cr_assert(has(&r->resps[0], "Content-Type: application/json\r\n"));
    cr_assert(has(&r->resps[0], "Connection: close\r\n"));
    char want[256];
    snprintf(want, sizeof(want), "{\"status\":\"Failure\",\"code\":%d,\"reason\":\"%s\"", status,
             reason);
    cr_assert(has(&r->resps[0], want), "body: %.*s", (int)r->resps[0].body_len, r->resps[0].body);
    expect_eof(r);
}

Test(http_h1, oversized_header_block_gets_431_and_close)
{
    struct fixture fx;
    struct http_server_config cfg = {.max_header_bytes = 1024};
    fixture_start(&fx, &cfg);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    char req[4096];
    int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nX-Big: %02000d\r\n\r\n", 7);
    client_send(&fx, fd, req, (size_t)n);
    expect_json_error(r, 431, "RequestHeaderFieldsTooLarge");
    cr_assert_eq(fx.app.calls, 0);
    close(fd);
    free(r);
    fixture_stop(&fx);
}

Test(http_h1, oversized_body_gets_413_and_close)
{
    struct fixture fx;
    struct http_server_config cfg = {.max_body_bytes = 1000};
    fixture_start(&fx, &cfg);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    static char big[200000];
    int n = snprintf(big, sizeof(big), "POST / HTTP/1.1\r\nContent-Length: 150000\r\n\r\n");
    memset(big + n, 'z', 150000);
    client_send(&fx, fd, big, (size_t)n + 150000);
    expect_json_error(r, 413, "RequestEntityTooLarge");
    cr_assert_eq(fx.app.calls, 0);
    close(fd);
    free(r);
    fixture_stop(&fx);
}

static void one_bad_request(const char *req, int status, const char *reason)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    SEND(&fx, fd, req);
    expect_json_error(r, status, reason);
    cr_assert_eq(fx.app.calls, 0);
    close(fd);
    free(r);
    fixture_stop(&fx);
}

Test(http_h1, malformed_requests_get_400_and_close)
{
    one_bad_request("GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400, "BadRequest");
    one_bad_request("GET /\r\n\r\n", 400, "BadRequest");
    one_bad_request("GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400, "BadRequest");
    one_bad_request("GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400, "BadRequest");
    one_bad_request("GET / HTTP/3.0\r\n\r\n", 505, "HTTPVersionNotSupported");
}

Test(http_h1, chunked_and_unknown_expectations_are_refused)
{
    one_bad_request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                    411, "LengthRequired");
    one_bad_request("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "NotImplemented");
    one_bad_request("POST / HTTP/1.1\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx", 417,
                    "ExpectationFailed");
}

static bool cancelled(void *arg)
{
    struct fixture *fx = arg;
    return fx->app.cancelled > 0;
}

static bool called(void *arg)
{
    struct fixture *fx = arg;
    return fx->app.calls > 0;
}

static bool two_calls(void *arg)
{
    struct fixture *fx = arg;
    return fx->app.calls >= 2;
}

Test(http_h1, client_disconnect_cancels_deferred_exchange)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    SEND(&fx, fd, "GET /defer HTTP/1.1\r\n\r\n");
    cr_assert(turn_until(&fx, called, &fx));
    cr_assert_eq(fx.app.cancelled, 0);
    close(fd);
    cr_assert(turn_until(&fx, cancelled, &fx));
    cr_assert_eq(fx.app.cancelled, 1);
    cr_assert_eq(http_server_connection_count(fx.srv), 0);
    fixture_stop(&fx);
}

static bool delivered_or_lost(void *arg)
{
    struct fixture *fx = arg;
    return fx->app.delivered + fx->app.lost > 0;
}

Test(http_h1, watched_answer_is_reported_delivered)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    SEND(&fx, fd, "GET /watch HTTP/1.1\r\n\r\n");
    expect_responses(r, 1);
    cr_assert(turn_until(&fx, delivered_or_lost, &fx));
    cr_assert_eq(fx.app.delivered, 1);
    cr_assert_eq(fx.app.lost, 0);
    close(fd);
    free(r);
    fixture_stop(&fx);
    cr_assert_eq(fx.app.delivered + fx.app.lost, 1, "reported once");
}

/* An answer queued behind a deferred one never leaves the server when the
 * client goes away: its watcher hears so (prewarmd releases the claim). */
Test(http_h1, watched_answer_behind_a_deferred_one_is_lost_on_disconnect)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    SEND(&fx, fd, "GET /defer HTTP/1.1\r\n\r\nGET /watch HTTP/1.1\r\n\r\n");
    cr_assert(turn_until(&fx, two_calls, &fx));
    cr_assert_eq(fx.app.delivered + fx.app.lost, 0);
    close(fd);
    cr_assert(turn_until(&fx, delivered_or_lost, &fx));
    cr_assert_eq(fx.app.lost, 1);
    cr_assert_eq(fx.app.delivered, 0);
    cr_assert_eq(fx.app.cancelled, 1);
    fixture_stop(&fx);
}

Test(http_h1, server_free_reports_undelivered_watched_answers)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    SEND(&fx, fd, "GET /defer HTTP/1.1\r\n\r\nGET /watch HTTP/1.1\r\n\r\n");
    cr_assert(turn_until(&fx, two_calls, &fx));
    http_server_free(fx.srv);
    cr_assert_eq(fx.app.lost, 1);
    loop_free(fx.loop);
    close(fd);
}

/* With no descriptor left, a pending connection cannot be accepted; the
 * listener stays readable, so without care the loop spins and the client
 * hangs. The server sheds it (accept with a spare descriptor, close) and
 * serves again once descriptors are free. */
Test(http_h1, out_of_descriptors_sheds_the_connection_instead_of_spinning)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port); /* queued in the backlog, not accepted */
    struct reader *r = reader_new(&fx, fd);
    struct rlimit old, low;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = (struct rlimit){.rlim_cur = (rlim_t)fd + 32, .rlim_max = old.rlim_max};
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    int fill[64], nfill = 0;
    while (nfill < 64 && (fill[nfill] = open("/dev/null", O_RDONLY)) >= 0)
        nfill++;
    cr_assert_eq(errno, EMFILE, "descriptors exhausted");
    expect_eof(r);
    cr_assert_eq(http_server_connection_count(fx.srv), 0);
    while (nfill > 0)
        close(fill[--nfill]);
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
    close(fd);
    free(r);
    fd = client_connect(fx.port);
    r = reader_new(&fx, fd);
    SEND(&fx, fd, "GET /again HTTP/1.1\r\n\r\n");
    expect_responses(r, 1);
    cr_assert_eq(r->resps[0].status, 200);
    close(fd);
    free(r);
    fixture_stop(&fx);
}

Test(http_h1, server_free_cancels_pending_exchanges)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    SEND(&fx, fd, "GET /defer HTTP/1.1\r\n\r\n");
    cr_assert(turn_until(&fx, called, &fx));
    http_server_free(fx.srv);
    cr_assert_eq(fx.app.cancelled, 1);
    loop_free(fx.loop);
    close(fd);
}

Test(http_h1, http10_and_connection_close_end_the_connection)
{
    const char *reqs[] = {
        "GET /old HTTP/1.0\r\n\r\n",
        "GET /bye HTTP/1.1\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\n\r\n"};
    for (int i = 0; i < 2; i++) {
        struct fixture fx;
        fixture_start(&fx, NULL);
        int fd = client_connect(fx.port);
        struct reader *r = reader_new(&fx, fd);
        SEND(&fx, fd, reqs[i]);
        expect_responses(r, 1);
        cr_assert_eq(r->resps[0].status, 200);
        cr_assert(has(&r->resps[0], "Connection: close\r\n"));
        expect_eof(r);
        cr_assert_eq(fx.app.calls, 1);
        cr_assert_eq(fx.app.last_version, i == 0 ? 10 : 11);
        close(fd);
        free(r);
        fixture_stop(&fx);
    }
}

Test(http_h1, http10_keep_alive_is_honoured)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    SEND(&fx, fd, "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    expect_responses(r, 1);
    cr_assert(has(&r->resps[0], "Connection: keep-alive\r\n"));
    SEND(&fx, fd, "GET /b HTTP/1.0\r\n\r\n");
    expect_responses(r, 2);
    expect_eof(r);
    close(fd);
    free(r);
    fixture_stop(&fx);
}

Test(http_h1, expect_100_continue_gets_interim_response)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    SEND(&fx, fd, "POST /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    r->want = 1;
    uint64_t deadline = mono_ms() + 5000;
    while (!memmem(r->buf, r->len, "100 Continue", 12) && mono_ms() < deadline) {
        loop_run_once(fx.loop, 5);
        reader_done(r);
    }
    cr_assert(memmem(r->buf, r->len, "HTTP/1.1 100 Continue\r\n\r\n", 25));
    SEND(&fx, fd, "abc");
    expect_responses(r, 1);
    expect_body(&r->resps[0], "POST /up  3");
    close(fd);
    free(r);
    fixture_stop(&fx);
}

Test(http_h1, head_gets_length_without_body)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    SEND(&fx, fd, "HEAD /h HTTP/1.1\r\n\r\nGET /g HTTP/1.1\r\n\r\n");
    /* The HEAD answer declares a length but carries no body, so split by hand. */
    uint64_t deadline = mono_ms() + 5000;
    while (!memmem(r->buf, r->len, "GET /g  0", 9) && mono_ms() < deadline) {
        loop_run_once(fx.loop, 5);
        reader_done(r);
    }
    cr_assert(strstr(r->buf, "Content-Length: 9\r\n"));
    const char *second = strstr(r->buf, "\r\n\r\nHTTP/1.1 200");
    cr_assert_not_null(second, "HEAD answer must have no body: [%s]", r->buf);
    close(fd);
    free(r);
    fixture_stop(&fx);
}

Test(http_h1, slow_request_gets_408)
{
    struct fixture fx;
    struct http_server_config cfg = {.request_timeout_ns = 50000000};
    fixture_start(&fx, &cfg);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    SEND(&fx, fd, "GET / HTTP/1.1\r\nHost: slow");
    expect_json_error(r, 408, "RequestTimeout");
    close(fd);
    free(r);
    fixture_stop(&fx);
}

Test(http_h1, idle_connection_is_closed)
{
    struct fixture fx;
    struct http_server_config cfg = {.idle_timeout_ns = 50000000};
    fixture_start(&fx, &cfg);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    SEND(&fx, fd, "GET / HTTP/1.1\r\n\r\n");
    expect_responses(r, 1);
    expect_eof(r);
    cr_assert_eq(http_server_connection_count(fx.srv), 0);
    close(fd);
    free(r);
    fixture_stop(&fx);
}

Test(http_h1, deferred_exchange_outlives_idle_timeout)
{
    struct fixture fx;
    struct http_server_config cfg = {.idle_timeout_ns = 20000000};
    fixture_start(&fx, &cfg);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    SEND(&fx, fd, "GET /defer HTTP/1.1\r\n\r\n");
    cr_assert(turn_until(&fx, called, &fx));
    uint64_t until = mono_ms() + 80;
    while (mono_ms() < until)
        loop_run_once(fx.loop, 10);
    cr_assert_eq(fx.app.cancelled, 0);
    http_respond(fx.app.pending[0], 200, NULL, 0, "late", 4);
    expect_responses(r, 1);
    expect_body(&r->resps[0], "late");
    close(fd);
    free(r);
    fixture_stop(&fx);
}

static bool no_connections(void *arg)
{
    struct fixture *fx = arg;
    return http_server_connection_count(fx->srv) == 0;
}

Test(http_h1, shutdown_finishes_pending_answers_then_closes)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    int idle = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    SEND(&fx, fd, "GET /defer HTTP/1.1\r\n\r\n");
    cr_assert(turn_until(&fx, called, &fx));
    http_server_shutdown(fx.srv);
    http_respond_error(fx.app.pending[0], 503, "ShuttingDown", "bye \"now\"");
    expect_responses(r, 1);
    cr_assert_eq(r->resps[0].status, 503);
    expect_body(&r->resps[0], "{\"status\":\"Failure\",\"code\":503,\"reason\":\"ShuttingDown\","
                              "\"message\":\"bye \\\"now\\\"\"}");
    expect_eof(r);
    close(fd);
    close(idle);
    cr_assert(turn_until(&fx, no_connections, &fx));
    cr_assert_eq(client_connect_refused(fx.port), 1);
    free(r);
    fixture_stop(&fx);
}

Test(http_h1, half_closed_client_still_gets_its_answer)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    SEND(&fx, fd, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    cr_assert_eq(shutdown(fd, SHUT_WR), 0);
    expect_responses(r, 2);
    expect_body(&r->resps[1], "GET /b  0");
    expect_eof(r);
    cr_assert(turn_until(&fx, no_connections, &fx));
    close(fd);
    free(r);
    fixture_stop(&fx);
}

Test(http_h1, connections_over_the_limit_are_closed_at_once)
{
    struct fixture fx;
    struct http_server_config cfg = {.max_connections = 1};
    fixture_start(&fx, &cfg);
    int first = client_connect(fx.port);
    struct reader *r1 = reader_new(&fx, first);
    SEND(&fx, first, "GET /one HTTP/1.1\r\n\r\n");
    expect_responses(r1, 1);
    int second = client_connect(fx.port);
    struct reader *r2 = reader_new(&fx, second);
    expect_eof(r2);
    cr_assert_eq(r2->len, 0);
    cr_assert_eq(http_server_connection_count(fx.srv), 1);
    SEND(&fx, first, "GET /two HTTP/1.1\r\n\r\n");
    expect_responses(r1, 2);
    close(first);
    close(second);
    free(r1);
    free(r2);
    fixture_stop(&fx);
}

Test(http_h1, listen_rejects_bad_addresses)
{
    struct loop *loop = loop_new();
    struct app app = {0};
    struct http_server *s = http_server_new(loop, NULL, test_handler, &app);
    cr_assert_eq(http_server_listen(s, "not-an-address", 0, NULL), -1);
    cr_assert_eq(errno, EINVAL);
    uint16_t port = 0;
    cr_assert_eq(http_server_listen(s, "::1", 0, &port), 0);
    cr_assert_neq(port, 0);
    http_server_free(s);
    loop_free(loop);
}

Test(http_h1, pipeline_sent_one_byte_at_a_time)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = client_connect(fx.port);
    struct reader *r = reader_new(&fx, fd);
    const char *reqs =
        "\r\nPOST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /b?c HTTP/1.1\r\n\r\n";
    for (size_t i = 0; reqs[i]; i++) {
        client_send(&fx, fd, reqs + i, 1);
        loop_run_once(fx.loop, 1);
    }
    expect_responses(r, 2);
    expect_body(&r->resps[0], "POST /a  3");
    expect_body(&r->resps[1], "GET /b c 0");
    close(fd);
    free(r);
    fixture_stop(&fx);
}
