/* HTTP/2 (h2c prior knowledge) tests for src/http_server.c: an nghttp2
 * client session driven in the test thread, and libcurl as a real client. */
#include "http_test_util.h"

#include <curl/curl.h>
#include <nghttp2/nghttp2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct h2_resp {
    int status;
    char body[8192];
    size_t body_len;
    size_t total;     /* every body byte received, also past body[] */
    size_t misplaced; /* bytes of a /big answer that are not big_byte(offset) */
    bool closed;
    uint32_t error;
    const char *req_body;
    size_t req_left;
};

struct h2client {
    struct fixture *fx;
    int fd;
    nghttp2_session *s;
    struct h2_resp r[16];
    int n;
    bool goaway;
    bool eof;
};

static int c_on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                       size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                       void *user)
{
    (void)flags;
    (void)user;
    (void)valuelen; /* nghttp2 NUL-terminates values */
    struct h2_resp *r = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
    if (r && namelen == 7 && memcmp(name, ":status", 7) == 0)
        r->status = atoi((const char *)value);
    return 0;
}

static int c_on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                     void *user)
{
    (void)flags;
    (void)user;
    struct h2_resp *r = nghttp2_session_get_stream_user_data(s, id);
    for (size_t i = 0; r && i < len; i++)
        r->misplaced += data[i] != (uint8_t)big_byte(r->total + i);
    if (r)
        r->total += len;
    if (r && r->body_len + len < sizeof(r->body)) {
        memcpy(r->body + r->body_len, data, len);
        r->body_len += len;
    }
    return 0;
}

static int c_on_close(nghttp2_session *s, int32_t id, uint32_t error, void *user)
{
    (void)user;
    struct h2_resp *r = nghttp2_session_get_stream_user_data(s, id);
    if (r) {
        r->closed = true;
        r->error = error;
    }
    return 0;
}

static int c_on_frame(nghttp2_session *s, const nghttp2_frame *frame, void *user)
{
    (void)s;
    struct h2client *c = user;
    if (frame->hd.type == NGHTTP2_GOAWAY)
        c->goaway = true;
    return 0;
}

static struct h2client *h2_open(struct fixture *fx)
{
    struct h2client *c = calloc(1, sizeof(*c));
    c->fx = fx;
    c->fd = client_connect(fx->port);
    nghttp2_session_callbacks *cbs;
    cr_assert_eq(nghttp2_session_callbacks_new(&cbs), 0);
    nghttp2_session_callbacks_set_on_header_callback(cbs, c_on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, c_on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, c_on_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, c_on_frame);
    cr_assert_eq(nghttp2_session_client_new(&c->s, cbs, c), 0);
    nghttp2_session_callbacks_del(cbs);
    cr_assert_eq(nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, NULL, 0), 0);
    return c;
}

static void h2_close(struct h2client *c)
{
    nghttp2_session_del(c->s);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

/* Moves bytes both ways once; the caller turns the server loop. */
static void h2_pump(struct h2client *c)
{
    for (;;) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->s, &data);
        cr_assert(n >= 0);
        if (n == 0)
            break;
        client_send(c->fx, c->fd, (const char *)data, (size_t)n);
    }
    uint8_t buf[16384];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n > 0) {
            cr_assert(nghttp2_session_mem_recv(c->s, buf, (size_t)n) >= 0);
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            c->eof = true;
        break;
    }
}

static ssize_t c_read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length,
                           uint32_t *flags, nghttp2_data_source *src, void *user)
{
    (void)s;
    (void)id;
    (void)user;
    struct h2_resp *r = src->ptr;
    size_t n = r->req_left < length ? r->req_left : length;
    memcpy(buf, r->req_body, n);
    r->req_body += n;
    r->req_left -= n;
    if (r->req_left == 0)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

#define NV(n, v)                                                                                   \
    {                                                                                              \
        (uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE                 \
    }

/* Submits a request; returns its response slot. extra may add one header. */
static struct h2_resp *h2_request(struct h2client *c, const char *method, const char *path,
                                  const char *body, size_t body_len, const char *extra_value)
{
    struct h2_resp *r = &c->r[c->n++];
    r->req_body = body;
    r->req_left = body_len;
    nghttp2_nv nv[] = {NV(":method", method), NV(":path", path), NV(":scheme", "http"),
                       NV(":authority", "example"), NV("x-extra", extra_value ? extra_value : "")};
    nghttp2_data_provider prd = {.source.ptr = r, .read_callback = c_read_body};
    int32_t id = nghttp2_submit_request(c->s, NULL, nv, 5, body ? &prd : NULL, r);
    cr_assert(id > 0);
    return r;
}

struct wait_closed {
    struct h2client *c;
    struct h2_resp *r;
};

static bool stream_closed(void *arg)
{
    struct wait_closed *w = arg;
    h2_pump(w->c);
    return w->r->closed || w->c->eof;
}

static void h2_wait(struct h2client *c, struct h2_resp *r)
{
    struct wait_closed w = {c, r};
    cr_assert(turn_until(c->fx, stream_closed, &w), "stream did not finish");
    cr_assert(r->closed);
}

static void expect_body(const struct h2_resp *r, const char *body)
{
    cr_assert_eq(r->body_len, strlen(body), "body [%.*s] wanted [%s]", (int)r->body_len, r->body,
                 body);
    cr_assert_eq(memcmp(r->body, body, r->body_len), 0);
}

static void expect_answer(const struct h2_resp *r, int status, const char *body)
{
    cr_assert_eq(r->status, status, "status %d wanted %d", r->status, status);
    expect_body(r, body);
}

/* The stream was answered with status and a JSON error naming reason. */
static void expect_refusal(const struct h2_resp *r, int status, const char *reason)
{
    cr_assert_eq(r->status, status, "status %d wanted %d", r->status, status);
    char want[128];
    int n = snprintf(want, sizeof(want), "\"reason\":\"%s\"", reason);
    cr_assert(memmem(r->body, r->body_len, want, (size_t)n), "body: %.*s", (int)r->body_len,
              r->body);
}

/* Starts a server with cfg (NULL for defaults) and connects one h2 client. */
static struct h2client *h2_start(struct fixture *fx, const struct http_server_config *cfg)
{
    fixture_start(fx, cfg);
    return h2_open(fx);
}

static void h2_stop(struct h2client *c)
{
    struct fixture *fx = c->fx;
    h2_close(c);
    fixture_stop(fx);
}

/* The client leaves: its socket closes, the server sees EOF. */
static void h2_hang_up(struct h2client *c)
{
    close(c->fd);
    c->fd = -1;
}

/* Submits a GET without waiting for its answer. */
static struct h2_resp *h2_submit_get(struct h2client *c, const char *path)
{
    return h2_request(c, "GET", path, NULL, 0, NULL);
}

/* Submits a request and waits until its stream closes. */
static struct h2_resp *h2_fetch(struct h2client *c, const char *method, const char *path,
                                const char *body, size_t body_len, const char *extra_value)
{
    struct h2_resp *r = h2_request(c, method, path, body, body_len, extra_value);
    h2_wait(c, r);
    return r;
}

static struct h2_resp *h2_get(struct h2client *c, const char *path)
{
    return h2_fetch(c, "GET", path, NULL, 0, NULL);
}

struct h2_count_wait {
    struct h2client *c;
    const int *counter;
    int want;
};

static bool h2_count_reached(void *arg)
{
    struct h2_count_wait *w = arg;
    if (w->c->fd >= 0)
        h2_pump(w->c);
    return *w->counter >= w->want;
}

/* Turns the loop, moving the client's bytes while it is connected, until
 * *counter (a field of the fixture's app) reaches want or 30 s pass. */
static bool h2_until_count(struct h2client *c, const int *counter, int want)
{
    struct h2_count_wait w = {c, counter, want};
    return turn_until(c->fx, h2_count_reached, &w);
}

static bool watch_reported(void *arg)
{
    struct h2client *c = arg;
    if (c->fd >= 0)
        h2_pump(c);
    return c->fx->app.delivered + c->fx->app.lost > 0;
}

static bool goaway_and_eof(void *arg)
{
    struct h2client *c = arg;
    h2_pump(c);
    return c->goaway && c->eof;
}

static bool no_connections(void *arg)
{
    struct fixture *fx = arg;
    return http_server_connection_count(fx->srv) == 0;
}

static bool eof_seen(void *arg)
{
    struct h2client *c = arg;
    h2_pump(c);
    return c->eof;
}

Test(http_h2, get_and_post_round_trip)
{
    struct fixture fx;
    struct h2client *c = h2_start(&fx, NULL);
    expect_answer(h2_get(c, "/hello?x=1"), 200, "GET /hello x=1 0");
    cr_assert_eq(fx.app.last_version, 20);
    cr_assert_str_eq(fx.app.last_host, "example", ":authority is exposed as host");
    expect_answer(h2_fetch(c, "POST", "/items", "hello", 5, NULL), 200, "POST /items  5");
    cr_assert_eq(fx.app.calls, 2);
    h2_stop(c);
}

Test(http_h2, streams_are_multiplexed_around_a_deferred_one)
{
    struct fixture fx;
    struct h2client *c = h2_start(&fx, NULL);
    struct h2_resp *slow = h2_submit_get(c, "/defer");
    struct h2_resp *a = h2_submit_get(c, "/a");
    struct h2_resp *b = h2_submit_get(c, "/b");
    h2_wait(c, a);
    h2_wait(c, b);
    expect_answer(a, 200, "GET /a  0");
    expect_answer(b, 200, "GET /b  0");
    cr_assert_not(slow->closed, "the deferred stream is still open");
    cr_assert_eq(fx.app.npending, 1);
    http_respond(fx.app.pending[0], 201, NULL, 0, "late", 4);
    h2_wait(c, slow);
    expect_answer(slow, 201, "late");
    cr_assert_eq(fx.app.cancelled, 0);
    h2_stop(c);
}

Test(http_h2, stream_reset_cancels_the_exchange)
{
    struct fixture fx;
    struct h2client *c = h2_start(&fx, NULL);
    h2_submit_get(c, "/defer");
    cr_assert(h2_until_count(c, &fx.app.calls, 1));
    cr_assert_eq(nghttp2_submit_rst_stream(c->s, NGHTTP2_FLAG_NONE, 1, NGHTTP2_CANCEL), 0);
    cr_assert(h2_until_count(c, &fx.app.cancelled, 1));
    cr_assert_eq(fx.app.cancelled, 1);
    cr_assert_eq(h2_get(c, "/after")->status, 200, "the connection survives a stream reset");
    h2_stop(c);
}

Test(http_h2, watched_answer_is_reported_delivered)
{
    struct fixture fx;
    struct h2client *c = h2_start(&fx, NULL);
    cr_assert_eq(h2_get(c, "/watch")->status, 200);
    cr_assert(turn_until(&fx, watch_reported, c));
    expect_watch_reports(&fx, 1, 0);
    h2_stop(c);
    expect_watch_reports(&fx, 1, 0); /* reported once: not again when freed */
}

/* A client that grants no flow-control window cannot take the answer's body;
 * when it leaves, the watched answer is reported lost. */
Test(http_h2, watched_answer_blocked_by_flow_control_is_lost_on_disconnect)
{
    struct fixture fx;
    struct h2client *c = h2_start(&fx, NULL);
    nghttp2_settings_entry none = {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0};
    cr_assert_eq(nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, &none, 1), 0);
    h2_submit_get(c, "/watch");
    cr_assert(h2_until_count(c, &fx.app.calls, 1));
    turn_times(&fx, 5, 5); /* let the server send what it can */
    expect_watch_reports(&fx, 0, 0);
    h2_hang_up(c);
    cr_assert(turn_until(&fx, watch_reported, c));
    expect_watch_reports(&fx, 0, 1);
    h2_stop(c);
}

Test(http_h2, disconnect_cancels_pending_streams)
{
    struct fixture fx;
    struct h2client *c = h2_start(&fx, NULL);
    h2_submit_get(c, "/defer");
    h2_submit_get(c, "/defer2");
    cr_assert(h2_until_count(c, &fx.app.npending, 2));
    h2_hang_up(c);
    cr_assert(h2_until_count(c, &fx.app.cancelled, 1));
    cr_assert(turn_until(&fx, no_connections, &fx));
    cr_assert_eq(fx.app.cancelled, 2);
    h2_stop(c);
}

Test(http_h2, oversized_body_and_headers_are_refused_on_the_stream)
{
    struct fixture fx;
    struct http_server_config cfg = {.max_body_bytes = 1000, .max_header_bytes = 1024};
    struct h2client *c = h2_start(&fx, &cfg);
    static char big[5000];
    memset(big, 'q', sizeof(big));
    expect_refusal(h2_fetch(c, "POST", "/big", big, sizeof(big), NULL), 413,
                   "RequestEntityTooLarge");
    char value[2000];
    memset(value, 'h', sizeof(value) - 1);
    value[sizeof(value) - 1] = 0;
    expect_refusal(h2_fetch(c, "GET", "/h", NULL, 0, value), 431, "RequestHeaderFieldsTooLarge");
    cr_assert_eq(h2_get(c, "/ok")->status, 200);
    cr_assert_eq(fx.app.calls, 1, "only the last request reached the handler");
    h2_stop(c);
}

Test(http_h2, shutdown_sends_goaway_and_lets_streams_finish)
{
    struct fixture fx;
    struct h2client *c = h2_start(&fx, NULL);
    struct h2_resp *slow = h2_submit_get(c, "/defer");
    cr_assert(h2_until_count(c, &fx.app.calls, 1));
    http_server_shutdown(fx.srv);
    for (int i = 0; i < 5; i++) {
        loop_run_once(fx.loop, 2);
        h2_pump(c);
    }
    cr_assert(c->goaway);
    cr_assert_not(c->eof, "the pending stream keeps the connection");
    http_respond(fx.app.pending[0], 200, NULL, 0, "done", 4);
    h2_wait(c, slow);
    expect_answer(slow, 200, "done");
    cr_assert(turn_until(&fx, goaway_and_eof, c));
    h2_hang_up(c);
    cr_assert(turn_until(&fx, no_connections, &fx), "the server closes once the client has");
    h2_stop(c);
}

/* libcurl as a real client, with the server loop in its own thread
 * (server_thread, http_test_util.h). */

struct curl_body {
    char data[1024];
    size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *user)
{
    struct curl_body *b = user;
    size_t len = size * n;
    if (b->len + len < sizeof(b->data)) {
        memcpy(b->data + b->len, p, len);
        b->len += len;
    }
    return len;
}

/* POSTs "abc" to url with curl asking for ask_version; expects a 200 echo
 * that came back over want_version. */
static void curl_post_and_check(const char *url, long ask_version, long want_version)
{
    CURL *e = curl_easy_init();
    struct curl_body body = {{0}, 0};
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, ask_version);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, "abc");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 5L);
    cr_assert_eq(curl_easy_perform(e), CURLE_OK);
    long code = 0, version = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
    cr_assert_eq(code, 200);
    cr_assert_eq(version, want_version);
    cr_assert_eq(body.len, strlen("POST /curl q=1 3"));
    cr_assert_eq(memcmp(body.data, "POST /curl q=1 3", body.len), 0);
    curl_easy_cleanup(e);
}

Test(http_h2, curl_prior_knowledge_and_http11_share_the_port)
{
    static struct server_thread st;
    fixture_start(&st.fx, NULL);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, serve, &st), 0);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/curl?q=1", st.fx.port);
    curl_post_and_check(url, CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE, CURL_HTTP_VERSION_2_0);
    curl_post_and_check(url, CURL_HTTP_VERSION_1_1, CURL_HTTP_VERSION_1_1);
    atomic_store(&st.stop, 1);
    pthread_join(th, NULL);
    fixture_stop(&st.fx);
}

Test(http_h2, server_free_cancels_pending_streams)
{
    struct fixture fx;
    struct h2client *c = h2_start(&fx, NULL);
    h2_submit_get(c, "/defer");
    cr_assert(h2_until_count(c, &fx.app.calls, 1));
    fixture_free_server(&fx);
    cr_assert_eq(fx.app.cancelled, 1);
    h2_stop(c);
}

Test(http_h2, head_and_no_content_answers_carry_no_body)
{
    struct fixture fx;
    struct h2client *c = h2_start(&fx, NULL);
    expect_answer(h2_fetch(c, "HEAD", "/h", NULL, 0, NULL), 200, "");
    struct h2_resp *slow = h2_submit_get(c, "/defer");
    cr_assert(h2_until_count(c, &fx.app.npending, 1));
    http_respond(fx.app.pending[0], 204, NULL, 0, "ignored", 7);
    h2_wait(c, slow);
    expect_answer(slow, 204, "");
    h2_stop(c);
}

Test(http_h2, idle_connection_gets_goaway_then_close)
{
    struct fixture fx;
    struct http_server_config cfg = {.idle_timeout_ns = 50000000};
    struct h2client *c = h2_start(&fx, &cfg);
    cr_assert_eq(h2_get(c, "/x")->status, 200);
    cr_assert(turn_until(&fx, goaway_and_eof, c));
    h2_hang_up(c);
    cr_assert(turn_until(&fx, no_connections, &fx), "the server closes once the client has");
    h2_stop(c);
}

/* A client's GOAWAY ends the connection gracefully: the server half-closes
 * and reads on until the client closes, so frames the client sent after its
 * GOAWAY (h2spec sends a PING) are dropped instead of turning the close into
 * a reset that destroys what the client has not read yet. */
Test(http_h2, client_goaway_ends_the_connection_without_a_reset)
{
    struct fixture fx;
    struct h2client *c = h2_start(&fx, NULL);
    cr_assert_eq(h2_get(c, "/x")->status, 200);
    cr_assert_eq(nghttp2_submit_goaway(c->s, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, NULL, 0), 0);
    cr_assert(turn_until(&fx, eof_seen, c), "the server ends its side after the client's GOAWAY");
    static const char ping[] = {0, 0, 8, 6, 0, 0, 0, 0, 0, 'h', '2', 's', 'p', 'e', 'c', ' ', ' '};
    cr_assert_eq(send(c->fd, ping, sizeof(ping), MSG_NOSIGNAL), (ssize_t)sizeof(ping));
    cr_assert_eq(shutdown(c->fd, SHUT_WR), 0, "the connection was reset: %s", strerror(errno));
    cr_assert(turn_until(&fx, no_connections, &fx), "the server closes once the client has");
    char byte;
    errno = 0;
    cr_assert_eq(recv(c->fd, &byte, 1, 0), 0, "an orderly end, not a reset: %s", strerror(errno));
    h2_stop(c);
}

static ssize_t never_ready(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length,
                           uint32_t *flags, nghttp2_data_source *src, void *user)
{
    (void)s, (void)id, (void)buf, (void)length, (void)flags, (void)src, (void)user;
    return NGHTTP2_ERR_DEFERRED;
}

Test(http_h2, unfinished_request_stream_is_reset_after_request_timeout)
{
    struct fixture fx;
    struct http_server_config cfg = {.request_timeout_ns = 50000000};
    struct h2client *c = h2_start(&fx, &cfg);
    struct h2_resp *stuck = &c->r[c->n++];
    nghttp2_nv nv[] = {NV(":method", "POST"), NV(":path", "/slow"), NV(":scheme", "http"),
                       NV(":authority", "example")};
    nghttp2_data_provider prd = {.read_callback = never_ready};
    cr_assert(nghttp2_submit_request(c->s, NULL, nv, 4, &prd, stuck) > 0);
    h2_wait(c, stuck);
    cr_assert_eq(stuck->error, NGHTTP2_CANCEL);
    cr_assert_eq(fx.app.calls, 0);
    cr_assert_eq(h2_get(c, "/ok")->status, 200, "the connection survives");
    h2_stop(c);
}

/* An answer larger than the stream's flow-control window (the client's
 * default 64 KiB, then a 1 KiB one) is sent as the client grants window
 * (WINDOW_UPDATE as it consumes), every byte once and in order. */
Test(http_h2, answer_larger_than_the_window_arrives_whole)
{
    struct fixture fx;
    struct h2client *c = h2_start(&fx, NULL);
    struct h2_resp *r = h2_get(c, "/big/default-window");
    cr_assert_eq(r->status, 200);
    cr_assert_eq(r->error, 0);
    cr_assert_eq(r->total, BIG_BODY, "%zu of %d bytes", r->total, BIG_BODY);
    cr_assert_eq(r->misplaced, 0);
    nghttp2_settings_entry small = {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1024};
    cr_assert_eq(nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, &small, 1), 0);
    struct h2_resp *a = h2_submit_get(c, "/big/a");
    struct h2_resp *b = h2_submit_get(c, "/big/b");
    h2_wait(c, a);
    h2_wait(c, b);
    for (struct h2_resp *x = a; x; x = x == a ? b : NULL) {
        cr_assert_eq(x->status, 200);
        cr_assert_eq(x->total, BIG_BODY, "%zu of %d bytes", x->total, BIG_BODY);
        cr_assert_eq(x->misplaced, 0);
    }
    h2_stop(c);
}
