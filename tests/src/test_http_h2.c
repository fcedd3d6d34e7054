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

Test(http_h2, get_and_post_round_trip)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    struct h2client *c = h2_open(&fx);
    struct h2_resp *get = h2_request(c, "GET", "/hello?x=1", NULL, 0, NULL);
    h2_wait(c, get);
    cr_assert_eq(get->status, 200);
    expect_body(get, "GET /hello x=1 0");
    cr_assert_eq(fx.app.last_version, 20);
    cr_assert_str_eq(fx.app.last_host, "example", ":authority is exposed as host");
    struct h2_resp *post = h2_request(c, "POST", "/items", "hello", 5, NULL);
    h2_wait(c, post);
    cr_assert_eq(post->status, 200);
    expect_body(post, "POST /items  5");
    cr_assert_eq(fx.app.calls, 2);
    h2_close(c);
    fixture_stop(&fx);
}

Test(http_h2, streams_are_multiplexed_around_a_deferred_one)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    struct h2client *c = h2_open(&fx);
    struct h2_resp *slow = h2_request(c, "GET", "/defer", NULL, 0, NULL);
    struct h2_resp *a = h2_request(c, "GET", "/a", NULL, 0, NULL);
    struct h2_resp *b = h2_request(c, "GET", "/b", NULL, 0, NULL);
    h2_wait(c, a);
    h2_wait(c, b);
    expect_body(a, "GET /a  0");
    expect_body(b, "GET /b  0");
    cr_assert_not(slow->closed, "the deferred stream is still open");
    cr_assert_eq(fx.app.npending, 1);
    http_respond(fx.app.pending[0], 201, NULL, 0, "late", 4);
    h2_wait(c, slow);
    cr_assert_eq(slow->status, 201);
    expect_body(slow, "late");
    cr_assert_eq(fx.app.cancelled, 0);
    h2_close(c);
    fixture_stop(&fx);
}

static bool called(void *arg)
{
    struct h2client *c = arg;
    h2_pump(c);
    return c->fx->app.calls > 0;
}

static bool cancelled(void *arg)
{
    struct h2client *c = arg;
    if (c->fd >= 0)
        h2_pump(c);
    return c->fx->app.cancelled > 0;
}

Test(http_h2, stream_reset_cancels_the_exchange)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    struct h2client *c = h2_open(&fx);
    h2_request(c, "GET", "/defer", NULL, 0, NULL);
    cr_assert(turn_until(&fx, called, c));
    cr_assert_eq(nghttp2_submit_rst_stream(c->s, NGHTTP2_FLAG_NONE, 1, NGHTTP2_CANCEL), 0);
    cr_assert(turn_until(&fx, cancelled, c));
    cr_assert_eq(fx.app.cancelled, 1);
    struct h2_resp *after = h2_request(c, "GET", "/after", NULL, 0, NULL);
    h2_wait(c, after);
    cr_assert_eq(after->status, 200, "the connection survives a stream reset");
    h2_close(c);
    fixture_stop(&fx);
}

static bool watch_reported(void *arg)
{
    struct h2client *c = arg;
    if (c->fd >= 0)
        h2_pump(c);
    return c->fx->app.delivered + c->fx->app.lost > 0;
}

Test(http_h2, watched_answer_is_reported_delivered)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    struct h2client *c = h2_open(&fx);
    struct h2_resp *r = h2_request(c, "GET", "/watch", NULL, 0, NULL);
    h2_wait(c, r);
    cr_assert_eq(r->status, 200);
    cr_assert(turn_until(&fx, watch_reported, c));
    cr_assert_eq(fx.app.delivered, 1);
    cr_assert_eq(fx.app.lost, 0);
    h2_close(c);
    fixture_stop(&fx);
    cr_assert_eq(fx.app.delivered + fx.app.lost, 1, "reported once");
}

/* A client that grants no flow-control window cannot take the answer's body;
 * when it leaves, the watched answer is reported lost. */
Test(http_h2, watched_answer_blocked_by_flow_control_is_lost_on_disconnect)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    struct h2client *c = h2_open(&fx);
    nghttp2_settings_entry none = {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0};
    cr_assert_eq(nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, &none, 1), 0);
    h2_request(c, "GET", "/watch", NULL, 0, NULL);
    cr_assert(turn_until(&fx, called, c));
    for (int i = 0; i < 5; i++) /* let the server send what it can */
        loop_run_once(fx.loop, 5);
    cr_assert_eq(fx.app.delivered + fx.app.lost, 0);
    close(c->fd);
    c->fd = -1;
    cr_assert(turn_until(&fx, watch_reported, c));
    cr_assert_eq(fx.app.lost, 1);
    cr_assert_eq(fx.app.delivered, 0);
    h2_close(c);
    fixture_stop(&fx);
}

Test(http_h2, disconnect_cancels_pending_streams)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    struct h2client *c = h2_open(&fx);
    h2_request(c, "GET", "/defer", NULL, 0, NULL);
    h2_request(c, "GET", "/defer2", NULL, 0, NULL);
    cr_assert(turn_until(&fx, called, c));
    while (fx.app.npending < 2)
        loop_run_once(fx.loop, 5);
    close(c->fd);
    c->fd = -1;
    cr_assert(turn_until(&fx, cancelled, c));
    while (http_server_connection_count(fx.srv) > 0)
        loop_run_once(fx.loop, 5);
    cr_assert_eq(fx.app.cancelled, 2);
    h2_close(c);
    fixture_stop(&fx);
}

Test(http_h2, oversized_body_and_headers_are_refused_on_the_stream)
{
    struct fixture fx;
    struct http_server_config cfg = {.max_body_bytes = 1000, .max_header_bytes = 1024};
    fixture_start(&fx, &cfg);
    struct h2client *c = h2_open(&fx);
    static char big[5000];
    memset(big, 'q', sizeof(big));
    struct h2_resp *body = h2_request(c, "POST", "/big", big, sizeof(big), NULL);
    h2_wait(c, body);
    cr_assert_eq(body->status, 413);
    cr_assert(memmem(body->body, body->body_len, "\"reason\":\"RequestEntityTooLarge\"", 32));
    char value[2000];
    memset(value, 'h', sizeof(value) - 1);
    value[sizeof(value) - 1] = 0;
    struct h2_resp *head = h2_request(c, "GET", "/h", NULL, 0, value);
    h2_wait(c, head);
    cr_assert_eq(head->status, 431);
    cr_assert(memmem(head->body, head->body_len, "RequestHeaderFieldsTooLarge", 27));
    struct h2_resp *ok = h2_request(c, "GET", "/ok", NULL, 0, NULL);
    h2_wait(c, ok);
    cr_assert_eq(ok->status, 200);
    cr_assert_eq(fx.app.calls, 1, "only the last request reached the handler");
    h2_close(c);
    fixture_stop(&fx);
}

static bool goaway_and_eof(void *arg)
{
    struct h2client *c = arg;
    h2_pump(c);
    return c->goaway && c->eof;
}

Test(http_h2, shutdown_sends_goaway_and_lets_streams_finish)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    struct h2client *c = h2_open(&fx);
    struct h2_resp *slow = h2_request(c, "GET", "/defer", NULL, 0, NULL);
    cr_assert(turn_until(&fx, called, c));
    http_server_shutdown(fx.srv);
    for (int i = 0; i < 5; i++) {
        loop_run_once(fx.loop, 2);
        h2_pump(c);
    }
    cr_assert(c->goaway);
    cr_assert_not(c->eof, "the pending stream keeps the connection");
    http_respond(fx.app.pending[0], 200, NULL, 0, "done", 4);
    h2_wait(c, slow);
    expect_body(slow, "done");
    cr_assert(turn_until(&fx, goaway_and_eof, c));
    cr_assert_eq(http_server_connection_count(fx.srv), 0);
    h2_close(c);
    fixture_stop(&fx);
}

/* libcurl as a real client, with the server loop in its own thread. */
struct server_thread {
    struct fixture fx;
    atomic_int stop;
};

static void *serve(void *arg)
{
    struct server_thread *st = arg;
    while (!atomic_load(&st->stop))
        loop_run_once(st->fx.loop, 5);
    return NULL;
}

static size_t collect(char *p, size_t size, size_t n, void *user)
{
    struct http_buf_lite {
        char data[1024];
        size_t len;
    } *b = user;
    size_t len = size * n;
    if (b->len + len < sizeof(b->data)) {
        memcpy(b->data + b->len, p, len);
        b->len += len;
    }
    return len;
}

Test(http_h2, curl_prior_knowledge_and_http11_share_the_port)
{
    static struct server_thread st;
    fixture_start(&st.fx, NULL);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, serve, &st), 0);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/curl?q=1", st.fx.port);
    const long versions[] = {CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE, CURL_HTTP_VERSION_1_1};
    for (int i = 0; i < 2; i++) {
        CURL *e = curl_easy_init();
        struct {
            char data[1024];
            size_t len;
        } body = {{0}, 0};
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, versions[i]);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "abc");
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(e, CURLOPT_TIMEOUT, 5L);
        cr_assert_eq(curl_easy_perform(e), CURLE_OK);
        long code = 0, version = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
        cr_assert_eq(code, 200);
        cr_assert_eq(version, i == 0 ? CURL_HTTP_VERSION_2_0 : CURL_HTTP_VERSION_1_1);
        cr_assert_eq(body.len, strlen("POST /curl q=1 3"));
        cr_assert_eq(memcmp(body.data, "POST /curl q=1 3", body.len), 0);
        curl_easy_cleanup(e);
    }
    atomic_store(&st.stop, 1);
    pthread_join(th, NULL);
    fixture_stop(&st.fx);
}

Test(http_h2, server_free_cancels_pending_streams)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    struct h2client *c = h2_open(&fx);
    h2_request(c, "GET", "/defer", NULL, 0, NULL);
    cr_assert(turn_until(&fx, called, c));
    http_server_free(fx.srv);
    cr_assert_eq(fx.app.cancelled, 1);
    loop_free(fx.loop);
    h2_close(c);
}

Test(http_h2, head_and_no_content_answers_carry_no_body)
{
    struct fixture fx;
    fixture_start(&fx, NULL);
    struct h2client *c = h2_open(&fx);
    struct h2_resp *head = h2_request(c, "HEAD", "/h", NULL, 0, NULL);
    h2_wait(c, head);
    cr_assert_eq(head->status, 200);
    cr_assert_eq(head->body_len, 0);
    struct h2_resp *slow = h2_request(c, "GET", "/defer", NULL, 0, NULL);
    cr_assert(turn_until(&fx, called, c));
    while (fx.app.npending < 1)
        loop_run_once(fx.loop, 5);
    http_respond(fx.app.pending[0], 204, NULL, 0, "ignored", 7);
    h2_wait(c, slow);
    cr_assert_eq(slow->status, 204);
    cr_assert_eq(slow->body_len, 0);
    h2_close(c);
    fixture_stop(&fx);
}

Test(http_h2, idle_connection_gets_goaway_then_close)
{
    struct fixture fx;
    struct http_server_config cfg = {.idle_timeout_ns = 50000000};
    fixture_start(&fx, &cfg);
    struct h2client *c = h2_open(&fx);
    struct h2_resp *r = h2_request(c, "GET", "/x", NULL, 0, NULL);
    h2_wait(c, r);
    cr_assert_eq(r->status, 200);
    cr_assert(turn_until(&fx, goaway_and_eof, c));
    cr_assert_eq(http_server_connection_count(fx.srv), 0);
    h2_close(c);
    fixture_stop(&fx);
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
    fixture_start(&fx, &cfg);
    struct h2client *c = h2_open(&fx);
    struct h2_resp *stuck = &c->r[c->n++];
    nghttp2_nv nv[] = {NV(":method", "POST"), NV(":path", "/slow"), NV(":scheme", "http"),
                       NV(":authority", "example")};
    nghttp2_data_provider prd = {.read_callback = never_ready};
    cr_assert(nghttp2_submit_request(c->s, NULL, nv, 4, &prd, stuck) > 0);
    h2_wait(c, stuck);
    cr_assert_eq(stuck->error, NGHTTP2_CANCEL);
    cr_assert_eq(fx.app.calls, 0);
    struct h2_resp *ok = h2_request(c, "GET", "/ok", NULL, 0, NULL);
    h2_wait(c, ok);
    cr_assert_eq(ok->status, 200, "the connection survives");
    h2_close(c);
    fixture_stop(&fx);
}
