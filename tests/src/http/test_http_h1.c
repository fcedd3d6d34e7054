/* HTTP/1.1 tests for src/http/http_server.c over real sockets on 127.0.0.1. */
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

/* Starts a server with cfg (NULL for defaults) and connects one client. */
static struct reader *h1_start(struct fixture *fx, const struct http_server_config *cfg)
{
    fixture_start(fx, cfg);
    return reader_new(fx, client_connect(fx->port));
}

/* The client leaves: its socket closes, the server sees EOF. */
static void hang_up(struct reader *r)
{
    close(r->fd);
    r->fd = -1;
}

/* Closes the client (if still open), then stops the server. */
static void h1_stop(struct reader *r)
{
    struct fixture *fx = r->fx;
    if (r->fd >= 0)
        close(r->fd);
    free(r);
    fixture_stop(fx);
}

static void send_text(struct reader *r, const char *text)
{
    client_send(r->fx, r->fd, text, strlen(text));
}

/* Sends text, then waits until the connection has answered `total` requests
 * in all; returns the last answer. */
static const struct resp *send_for_answers(struct reader *r, const char *text, size_t total)
{
    send_text(r, text);
    expect_responses(r, total);
    return &r->resps[total - 1];
}

static void expect_answer(const struct resp *rs, int status, const char *body)
{
    cr_assert_eq(rs->status, status, "status %d wanted %d", rs->status, status);
    expect_body(rs, body);
}

/* Sends text, then waits until the handler has been called `calls` times. */
static void send_until_calls(struct reader *r, const char *text, int calls)
{
    send_text(r, text);
    cr_assert(turn_until_count(r->fx, &r->fx->app.calls, calls), "handler calls: %d of %d",
              r->fx->app.calls, calls);
}

struct text_wait {
    struct reader *r;
    const char *needle;
};

static bool text_arrived(void *arg)
{
    struct text_wait *w = arg;
    reader_done(w->r);
    return memmem(w->r->buf, w->r->len, w->needle, strlen(w->needle)) != NULL;
}

/* Reads until needle shows up in the raw bytes from the server. */
static void expect_text(struct reader *r, const char *needle)
{
    struct text_wait w = {r, needle};
    cr_assert(turn_until(r->fx, text_arrived, &w), "never got [%s]: [%s]", needle, r->buf);
}

Test(http_h1, get_and_post_round_trip)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, NULL);
    const struct resp *get =
        send_for_answers(r, "GET /hello?x=1&y=2 HTTP/1.1\r\nHost: example\r\n\r\n", 1);
    expect_answer(get, 200, "GET /hello x=1&y=2 0");
    cr_assert(has(get, "Content-Type: text/plain\r\n"));
    cr_assert_str_eq(fx.app.last_host, "example");
    cr_assert_eq(fx.app.last_version, 11);
    const struct resp *post =
        send_for_answers(r, "POST /items HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 2);
    expect_body(post, "POST /items  5");
    cr_assert_not(r->eof, "keep-alive keeps the connection open");
    cr_assert_eq(fx.app.calls, 2);
    h1_stop(r);
}

Test(http_h1, body_split_across_reads)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, NULL);
    send_text(r, "PUT /x HTTP/1.1\r\nContent-Le");
    loop_run_once(fx.loop, 5);
    send_text(r, "ngth: 10\r\n\r\n01234");
    loop_run_once(fx.loop, 5);
    cr_assert_eq(fx.app.calls, 0, "body incomplete");
    expect_body(send_for_answers(r, "56789", 1), "PUT /x  10");
    h1_stop(r);
}

Test(http_h1, pipelined_answers_stay_in_order_behind_a_deferred_one)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, NULL);
    send_until_calls(r, "GET /defer HTTP/1.1\r\n\r\nGET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
                     3);
    cr_assert_eq(fx.app.calls, 3);
    cr_assert_eq(fx.app.npending, 1);
    turn_times(&fx, 5, 2);
    reader_done(r);
    cr_assert_eq(r->len, 0, "nothing may be written before the first answer: [%s]", r->buf);
    http_respond(fx.app.pending[0], 202, NULL, 0, "first", 5);
    expect_responses(r, 3);
    expect_answer(&r->resps[0], 202, "first");
    expect_answer(&r->resps[1], 200, "GET /a  0");
    expect_answer(&r->resps[2], 200, "GET /b  0");
    cr_assert_eq(fx.app.cancelled, 0);
    h1_stop(r);
}

Test(http_h1, pipeline_limit_pauses_parsing_until_answers_drain)
{
    struct fixture fx;
    struct http_server_config cfg = {.max_pipelined = 2};
    struct reader *r = h1_start(&fx, &cfg);
    send_text(r, "GET /defer HTTP/1.1\r\n\r\nGET /defer2 HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n"
                 "GET /d HTTP/1.1\r\n\r\n");
    turn_times(&fx, 20, 2);
    cr_assert_eq(fx.app.calls, 2, "only max_pipelined requests are in flight");
    http_respond(fx.app.pending[1], 200, NULL, 0, "two", 3);
    turn_times(&fx, 10, 2);
    cr_assert_eq(fx.app.calls, 2, "the head is still unanswered");
    http_respond(fx.app.pending[0], 200, NULL, 0, "one", 3);
    expect_responses(r, 4);
    const char *bodies[] = {"one", "two", "GET /c  0", "GET /d  0"};
    for (int i = 0; i < 4; i++)
        expect_answer(&r->resps[i], 200, bodies[i]);
    h1_stop(r);
}

static void expect_json_error(struct reader *r, int status, const char *reason)
{
    expect_responses(r, 1);
    cr_assert_eq(r->resps[0].status, status, "status %d wanted %d", r->resps[0].status, status);
    cr_assert(has(&r->resps[0], "Content-Type: application/json\r\n"));
    cr_assert(has(&r->resps[0], "Connection: close\r\n"));
    char want[256];
    snprintf(want, sizeof(want), "{\"status\":\"Failure\",\"code\":%d,\"reason\":\"%s\"", status,
             reason);
    cr_assert(has(&r->resps[0], want), "body: %.*s", (int)r->resps[0].body_len, r->resps[0].body);
    expect_eof(r);
}

/* A request the server refuses before calling the handler: it answers with
 * status and a JSON error naming reason, then closes the connection. */
struct refusal {
    const char *request;
    int status;
    const char *reason;
};

static void expect_refused(const struct http_server_config *cfg, const char *req, size_t len,
                           int status, const char *reason)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, cfg);
    client_send(&fx, r->fd, req, len);
    expect_json_error(r, status, reason);
    cr_assert_eq(fx.app.calls, 0, "the handler saw a refused request: [%.60s]", req);
    h1_stop(r);
}

static void expect_all_refused(const struct refusal *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        expect_refused(NULL, cases[i].request, strlen(cases[i].request), cases[i].status,
                       cases[i].reason);
}

Test(http_h1, oversized_header_block_gets_431_and_close)
{
    struct http_server_config cfg = {.max_header_bytes = 1024};
    char req[4096];
    int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nX-Big: %02000d\r\n\r\n", 7);
    expect_refused(&cfg, req, (size_t)n, 431, "RequestHeaderFieldsTooLarge");
}

Test(http_h1, oversized_body_gets_413_and_close)
{
    struct http_server_config cfg = {.max_body_bytes = 1000};
    static char big[200000];
    int n = snprintf(big, sizeof(big), "POST / HTTP/1.1\r\nContent-Length: 150000\r\n\r\n");
    memset(big + n, 'z', 150000);
    expect_refused(&cfg, big, (size_t)n + 150000, 413, "RequestEntityTooLarge");
}

Test(http_h1, malformed_requests_get_400_and_close)
{
    static const struct refusal cases[] = {
        {"GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400, "BadRequest"},
        {"GET /\r\n\r\n", 400, "BadRequest"},
        {"GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400, "BadRequest"},
        {"GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400, "BadRequest"},
        {"GET / HTTP/3.0\r\n\r\n", 505, "HTTPVersionNotSupported"},
    };
    expect_all_refused(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(http_h1, chunked_and_unknown_expectations_are_refused)
{
    static const struct refusal cases[] = {
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411,
         "LengthRequired"},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "NotImplemented"},
        {"POST / HTTP/1.1\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx", 417,
         "ExpectationFailed"},
    };
    expect_all_refused(cases, sizeof(cases) / sizeof(cases[0]));
}

static bool delivered_or_lost(void *arg)
{
    struct fixture *fx = arg;
    return fx->app.delivered + fx->app.lost > 0;
}

Test(http_h1, client_disconnect_cancels_deferred_exchange)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, NULL);
    send_until_calls(r, "GET /defer HTTP/1.1\r\n\r\n", 1);
    cr_assert_eq(fx.app.cancelled, 0);
    hang_up(r);
    cr_assert(turn_until_count(&fx, &fx.app.cancelled, 1));
    cr_assert_eq(fx.app.cancelled, 1);
    cr_assert_eq(http_server_connection_count(fx.srv), 0);
    h1_stop(r);
}

Test(http_h1, watched_answer_is_reported_delivered)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, NULL);
    send_for_answers(r, "GET /watch HTTP/1.1\r\n\r\n", 1);
    cr_assert(turn_until(&fx, delivered_or_lost, &fx));
    expect_watch_reports(&fx, 1, 0);
    h1_stop(r);
    expect_watch_reports(&fx, 1, 0); /* reported once: not again when freed */
}

/* An answer queued behind a deferred one never leaves the server when the
 * client goes away: its watcher hears so (prewarmd releases the claim). */
Test(http_h1, watched_answer_behind_a_deferred_one_is_lost_on_disconnect)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, NULL);
    send_until_calls(r, "GET /defer HTTP/1.1\r\n\r\nGET /watch HTTP/1.1\r\n\r\n", 2);
    expect_watch_reports(&fx, 0, 0);
    hang_up(r);
    cr_assert(turn_until(&fx, delivered_or_lost, &fx));
    expect_watch_reports(&fx, 0, 1);
    cr_assert_eq(fx.app.cancelled, 1);
    h1_stop(r);
}

Test(http_h1, server_free_reports_undelivered_watched_answers)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, NULL);
    send_until_calls(r, "GET /defer HTTP/1.1\r\n\r\nGET /watch HTTP/1.1\r\n\r\n", 2);
    fixture_free_server(&fx);
    expect_watch_reports(&fx, 0, 1);
    h1_stop(r);
}

/* Lowers the descriptor limit to just above fd and opens /dev/null until
 * none is left; returns how many it opened into fill[]. */
static int exhaust_descriptors(int fd, int fill[64], struct rlimit *old)
{
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, old), 0);
    struct rlimit low = {.rlim_cur = (rlim_t)fd + 32, .rlim_max = old->rlim_max};
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    int nfill = 0;
    while (nfill < 64 && (fill[nfill] = open("/dev/null", O_RDONLY)) >= 0)
        nfill++;
    cr_assert_eq(errno, EMFILE, "descriptors exhausted");
    return nfill;
}

/* With no descriptor left, a pending connection cannot be accepted; the
 * listener stays readable, so without care the loop spins and the client
 * hangs. The server sheds it (accept with a spare descriptor, close) and
 * serves again once descriptors are free. */
Test(http_h1, out_of_descriptors_sheds_the_connection_instead_of_spinning)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, NULL); /* queued in the backlog, not accepted */
    struct rlimit old;
    int fill[64];
    int nfill = exhaust_descriptors(r->fd, fill, &old);
    expect_eof(r);
    cr_assert_eq(http_server_connection_count(fx.srv), 0);
    while (nfill > 0)
        close(fill[--nfill]);
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
    close(r->fd);
    free(r);
    r = reader_new(&fx, client_connect(fx.port));
    cr_assert_eq(send_for_answers(r, "GET /again HTTP/1.1\r\n\r\n", 1)->status, 200);
    h1_stop(r);
}

Test(http_h1, server_free_cancels_pending_exchanges)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, NULL);
    send_until_calls(r, "GET /defer HTTP/1.1\r\n\r\n", 1);
    fixture_free_server(&fx);
    cr_assert_eq(fx.app.cancelled, 1);
    h1_stop(r);
}

Test(http_h1, http10_and_connection_close_end_the_connection)
{
    const struct {
        const char *request;
        int version;
    } cases[] = {
        {"GET /old HTTP/1.0\r\n\r\n", 10},
        {"GET /bye HTTP/1.1\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\n\r\n", 11},
    };
    for (int i = 0; i < 2; i++) {
        struct fixture fx;
        struct reader *r = h1_start(&fx, NULL);
        const struct resp *rs = send_for_answers(r, cases[i].request, 1);
        cr_assert_eq(rs->status, 200);
        cr_assert(has(rs, "Connection: close\r\n"));
        expect_eof(r);
        cr_assert_eq(fx.app.calls, 1);
        cr_assert_eq(fx.app.last_version, cases[i].version);
        h1_stop(r);
    }
}

Test(http_h1, http10_keep_alive_is_honoured)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, NULL);
    const struct resp *rs =
        send_for_answers(r, "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1);
    cr_assert(has(rs, "Connection: keep-alive\r\n"));
    send_for_answers(r, "GET /b HTTP/1.0\r\n\r\n", 2);
    expect_eof(r);
    h1_stop(r);
}

Test(http_h1, expect_100_continue_gets_interim_response)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, NULL);
    send_text(r, "POST /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    expect_text(r, "HTTP/1.1 100 Continue\r\n\r\n");
    expect_body(send_for_answers(r, "abc", 1), "POST /up  3");
    h1_stop(r);
}

Test(http_h1, head_gets_length_without_body)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, NULL);
    send_text(r, "HEAD /h HTTP/1.1\r\n\r\nGET /g HTTP/1.1\r\n\r\n");
    /* The HEAD answer declares a length but carries no body, so split by hand. */
    expect_text(r, "GET /g  0");
    cr_assert(strstr(r->buf, "Content-Length: 9\r\n"));
    const char *second = strstr(r->buf, "\r\n\r\nHTTP/1.1 200");
    cr_assert_not_null(second, "HEAD answer must have no body: [%s]", r->buf);
    h1_stop(r);
}

Test(http_h1, slow_request_gets_408)
{
    struct http_server_config cfg = {.request_timeout_ns = 50000000};
    const char *unfinished = "GET / HTTP/1.1\r\nHost: slow";
    expect_refused(&cfg, unfinished, strlen(unfinished), 408, "RequestTimeout");
}

Test(http_h1, idle_connection_is_closed)
{
    struct fixture fx;
    struct http_server_config cfg = {.idle_timeout_ns = 50000000};
    struct reader *r = h1_start(&fx, &cfg);
    send_for_answers(r, "GET / HTTP/1.1\r\n\r\n", 1);
    expect_eof(r);
    cr_assert_eq(http_server_connection_count(fx.srv), 0);
    h1_stop(r);
}

Test(http_h1, deferred_exchange_outlives_idle_timeout)
{
    struct fixture fx;
    struct http_server_config cfg = {.idle_timeout_ns = 20000000};
    struct reader *r = h1_start(&fx, &cfg);
    send_until_calls(r, "GET /defer HTTP/1.1\r\n\r\n", 1);
    uint64_t until = mono_ms() + 80;
    while (mono_ms() < until)
        loop_run_once(fx.loop, 10);
    cr_assert_eq(fx.app.cancelled, 0);
    http_respond(fx.app.pending[0], 200, NULL, 0, "late", 4);
    expect_responses(r, 1);
    expect_answer(&r->resps[0], 200, "late");
    h1_stop(r);
}

static bool no_connections(void *arg)
{
    struct fixture *fx = arg;
    return http_server_connection_count(fx->srv) == 0;
}

Test(http_h1, shutdown_finishes_pending_answers_then_closes)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, NULL);
    int idle = client_connect(fx.port);
    send_until_calls(r, "GET /defer HTTP/1.1\r\n\r\n", 1);
    http_server_shutdown(fx.srv);
    http_respond_error(fx.app.pending[0], 503, "ShuttingDown", "bye \"now\"");
    expect_responses(r, 1);
    expect_answer(&r->resps[0], 503,
                  "{\"status\":\"Failure\",\"code\":503,\"reason\":\"ShuttingDown\","
                  "\"message\":\"bye \\\"now\\\"\"}");
    expect_eof(r);
    hang_up(r);
    close(idle);
    cr_assert(turn_until(&fx, no_connections, &fx));
    cr_assert_eq(client_connect_refused(fx.port), 1);
    h1_stop(r);
}

Test(http_h1, half_closed_client_still_gets_its_answer)
{
    struct fixture fx;
    struct reader *r = h1_start(&fx, NULL);
    send_text(r, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    cr_assert_eq(shutdown(r->fd, SHUT_WR), 0);
    expect_responses(r, 2);
    expect_body(&r->resps[1], "GET /b  0");
    expect_eof(r);
    cr_assert(turn_until(&fx, no_connections, &fx));
    h1_stop(r);
}

Test(http_h1, connections_over_the_limit_are_closed_at_once)
{
    struct fixture fx;
    struct http_server_config cfg = {.max_connections = 1};
    struct reader *first = h1_start(&fx, &cfg);
    send_for_answers(first, "GET /one HTTP/1.1\r\n\r\n", 1);
    struct reader *second = reader_new(&fx, client_connect(fx.port));
    expect_eof(second);
    cr_assert_eq(second->len, 0);
    cr_assert_eq(http_server_connection_count(fx.srv), 1);
    send_for_answers(first, "GET /two HTTP/1.1\r\n\r\n", 2);
    close(second->fd);
    free(second);
    h1_stop(first);
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
    struct reader *r = h1_start(&fx, NULL);
    const char *reqs =
        "\r\nPOST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /b?c HTTP/1.1\r\n\r\n";
    for (size_t i = 0; reqs[i]; i++) {
        client_send(&fx, r->fd, reqs + i, 1);
        loop_run_once(fx.loop, 1);
    }
    expect_responses(r, 2);
    expect_body(&r->resps[0], "POST /a  3");
    expect_body(&r->resps[1], "GET /b c 0");
    h1_stop(r);
}

/* ---- output back-pressure ---- */

#define SLOW_READER_REQUESTS 40 /* x BIG_BODY = 5 MiB of answers */

struct slow_reader {
    struct fixture *fx;
    int fd;
    size_t got;      /* body bytes checked so far, over every answer */
    size_t answers;  /* complete answers */
    size_t bad;      /* bytes that were not big_byte() of their offset */
    char head[4096]; /* the head being read */
    size_t head_len;
    size_t body_left; /* of the answer being read; 0 while in a head */
};

/* Reads what is there; splits answers by their heads and checks each body
 * byte against big_byte() of its offset in the answer. */
static void slow_reader_read(struct slow_reader *s)
{
    char buf[16384];
    ssize_t n;
    while ((n = recv(s->fd, buf, sizeof buf, 0)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (s->body_left == 0) {
                cr_assert_lt(s->head_len, sizeof s->head - 1);
                s->head[s->head_len++] = buf[i];
                s->head[s->head_len] = '\0';
                if (s->head_len >= 4 && !memcmp(s->head + s->head_len - 4, "\r\n\r\n", 4)) {
                    cr_assert(strstr(s->head, "HTTP/1.1 200"), "%s", s->head);
                    s->body_left = content_length(s->head, s->head_len);
                    cr_assert_eq(s->body_left, BIG_BODY, "%s", s->head);
                    s->head_len = 0;
                }
                continue;
            }
            s->bad += buf[i] != big_byte(BIG_BODY - s->body_left);
            s->got++;
            if (--s->body_left == 0)
                s->answers++;
        }
    }
}

static bool slow_reader_done(void *arg)
{
    struct slow_reader *s = arg;
    slow_reader_read(s);
    return s->answers == SLOW_READER_REQUESTS;
}

/* A client that asks for 5 MiB of answers and reads nothing: the server
 * stops reading its requests once more than HTTP_OUT_HIGH_WATER (1 MiB) of
 * output waits, so its memory does not grow with what the client asks;
 * once the client reads, every answer arrives whole and in order. */
Test(http_h1, slow_reader_gets_back_pressure_then_everything)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(fx.port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    static char reqs[SLOW_READER_REQUESTS * 64];
    size_t len = 0;
    for (int i = 0; i < SLOW_READER_REQUESTS; i++)
        len += (size_t)snprintf(reqs + len, sizeof reqs - len,
                                "GET /big/%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
    client_send(&fx, fd, reqs, len);
    /* Nothing is read: a server without back-pressure answers all 40 at
     * once (5 MiB held in memory); give it two seconds to do so. */
    for (uint64_t end = mono_ms() + 2000; mono_ms() < end && fx.app.calls < SLOW_READER_REQUESTS;)
        loop_run_once(fx.loop, 5);
    int held_calls = fx.app.calls;
    cr_assert_gt(held_calls, 0);
    cr_assert_lt(held_calls, SLOW_READER_REQUESTS, "every request answered into memory");
    cr_assert_leq((size_t)held_calls * BIG_BODY, 4u * 1024 * 1024,
                  "%d answers (%zu bytes) taken on while the client read nothing", held_calls,
                  (size_t)held_calls * BIG_BODY);
    struct slow_reader s = {.fx = &fx, .fd = fd};
    cr_assert(turn_until(&fx, slow_reader_done, &s), "%zu of %d answers", s.answers,
              SLOW_READER_REQUESTS);
    cr_assert_eq(s.bad, 0, "%zu bytes out of place", s.bad);
    cr_assert_eq(s.got, (size_t)SLOW_READER_REQUESTS * BIG_BODY);
    cr_assert_eq(fx.app.calls, SLOW_READER_REQUESTS);
    close(fd);
    fixture_stop(&fx);
}
