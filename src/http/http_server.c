/*
 * http_server.c: listeners, connection lifetime, protocol detection, timers,
 * batched output and the public entry points. HTTP/1.1 framing is in
 * http_h1.c, HTTP/2 in http_h2.c; both share the types of http_conn.h.
 *
 * Output: answering appends to the connection's output buffer (HTTP/1.1) or
 * submits to nghttp2 (HTTP/2) and marks the connection dirty. The before-sleep
 * hook drains the dirty list: it parses input that was waiting for the
 * pipeline to shrink, pulls frames out of nghttp2 and writes as much as the
 * socket takes; the rest waits for EPOLLOUT. Reading pauses while more than
 * HTTP_OUT_HIGH_WATER bytes are unsent, so a client that does not read cannot
 * grow the server's memory.
 */
#include "http_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define H2_PREFACE_LEN (sizeof(h2_preface) - 1)

static void flush_hook(struct loop *loop, void *data);
static void conn_io(struct loop *loop, int fd, unsigned events, void *data);
static void conn_timeout(struct loop *loop, struct loop_timer *timer);

static void apply_defaults(struct http_server_config *cfg)
{
    if (!cfg->max_header_bytes)
        cfg->max_header_bytes = 16 * 1024;
    if (!cfg->max_body_bytes)
        cfg->max_body_bytes = 1024 * 1024;
    if (!cfg->max_connections)
        cfg->max_connections = 4096;
    if (!cfg->idle_timeout_ns)
        cfg->idle_timeout_ns = 60ull * 1000000000u;
    if (!cfg->request_timeout_ns)
        cfg->request_timeout_ns = 10ull * 1000000000u;
    if (!cfg->max_pipelined)
        cfg->max_pipelined = 16;
    if (!cfg->max_streams)
        cfg->max_streams = 128;
}

struct http_server *http_server_new(struct loop *loop, const struct http_server_config *cfg,
                                    http_handler_fn *handler, void *ctx)
{
    struct http_server *s = xcalloc(1, sizeof(*s));
    s->loop = loop;
    if (cfg)
        s->cfg = *cfg;
    apply_defaults(&s->cfg);
    s->handler = handler;
    s->ctx = ctx;
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    loop_before_sleep(loop, flush_hook, s);
    return s;
}

static int parse_host(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof(*ss));
    if (!host)
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        *len = sizeof(*in4);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        *len = sizeof(*in6);
        return 0;
    }
    errno = EINVAL;
    return -1;
}

static uint16_t bound_port_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void accept_ready(struct loop *loop, int fd, unsigned events, void *data);

int http_server_listen(struct http_server *s, const char *host, uint16_t port, uint16_t *bound_port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (s->listener_count == HTTP_MAX_LISTENERS) {
        errno = EMFILE;
        return -1;
    }
    if (parse_host(host, port, &ss, &len) < 0)
        return -1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        goto fail;
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 511) < 0)
        goto fail;
    if (loop_io_add(s->loop, fd, LOOP_READ, accept_ready, s) < 0)
        goto fail;
    s->listeners[s->listener_count++] = fd;
    if (bound_port)
        *bound_port = bound_port_of(fd);
    return 0;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

static int conn_new(struct http_server *s, int fd)
{
    struct http_conn *c = xcalloc(1, sizeof(*c));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->srv = s;
    c->fd = fd;
    c->io_events = LOOP_READ;
    if (loop_io_add(s->loop, fd, LOOP_READ, conn_io, c) < 0) {
        int saved = errno;
        close(fd);
        free(c);
        errno = saved;
        return -1;
    }
    loop_timer_init(&c->timer, conn_timeout, c);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->conn_count++;
    c->last_activity_ns = loop_now(s->loop);
    http_conn_schedule(c);
    return 0;
}

int http_server_adopt(struct http_server *s, int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return conn_new(s, fd);
}

/* Out of descriptors, a pending connection would keep the listener readable
 * and the loop spinning: give up the spare descriptor to accept it, close it
 * (the client sees the connection end), take the spare back. */
static bool shed_one(struct http_server *s, int listener)
{
    if (s->spare_fd < 0)
        return false;
    close(s->spare_fd);
    int cfd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (cfd >= 0)
        close(cfd);
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return cfd >= 0;
}

static void accept_ready(struct loop *loop, int fd, unsigned events, void *data)
{
    (void)loop;
    (void)events;
    struct http_server *s = data;
    for (int i = 0; i < 64; i++) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0 && (errno == EMFILE || errno == ENFILE) && shed_one(s, fd))
            continue;
        if (cfd < 0)
            return; /* EAGAIN (or nothing to shed): the next event retries */
        if (s->conn_count >= s->cfg.max_connections || s->shutting_down) {
            close(cfd);
            continue;
        }
        conn_new(s, cfd);
    }
}

uint64_t http_conn_now(const struct http_conn *c)
{
    return loop_now(c->srv->loop);
}

void http_conn_mark_dirty(struct http_conn *c)
{
    if (c->dirty || c->dead)
        return;
    c->dirty = true;
    c->dirty_next = c->srv->dirty;
    c->srv->dirty = c;
}

static void unlink_dirty(struct http_conn *c)
{
    if (!c->dirty)
        return;
    for (struct http_conn **p = &c->srv->dirty; *p; p = &(*p)->dirty_next) {
        if (*p == c) {
            *p = c->dirty_next;
            break;
        }
    }
    c->dirty = false;
}

/* ---- delivery watches ---- */

struct http_watch {
    struct http_watch *next;
    uint64_t end; /* out offset just past the response's last byte */
    bool end_pending;
    http_sent_fn *cb;
    void *data;
};

void http_conn_watch(struct http_conn *c, struct http_exchange *ex, bool end_pending)
{
    if (!ex->sent_cb)
        return;
    struct http_watch *w = xmalloc(sizeof *w);
    *w = (struct http_watch){.end = c->out_sent + buf_size(&c->out),
                             .end_pending = end_pending,
                             .cb = ex->sent_cb,
                             .data = ex->sent_data};
    ex->sent_cb = NULL;
    if (c->watch_tail)
        c->watch_tail->next = w;
    else
        c->watches = w;
    c->watch_tail = w;
}

void http_conn_watch_settle(struct http_conn *c)
{
    for (struct http_watch *w = c->watches; w; w = w->next) {
        if (w->end_pending) {
            w->end = c->out_sent + buf_size(&c->out);
            w->end_pending = false;
        }
    }
}

void http_exchange_lost(struct http_exchange *ex)
{
    http_sent_fn *cb = ex->sent_cb;
    ex->sent_cb = NULL;
    if (cb)
        cb(ex->sent_data, false);
}

/* Reports the watches whose bytes are all written; with closing, all of
 * them (those not written as lost). */
static void watches_report(struct http_conn *c, bool closing)
{
    struct http_watch *w;
    while ((w = c->watches)) {
        bool sent = !w->end_pending && w->end <= c->out_sent;
        if (!sent && !closing)
            break;
        c->watches = w->next;
        if (!c->watches)
            c->watch_tail = NULL;
        w->cb(w->data, sent);
        free(w);
    }
}

void http_conn_close(struct http_conn *c)
{
    if (c->dead)
        return;
    struct http_server *s = c->srv;
    c->dead = true;
    unlink_dirty(c);
    loop_io_remove(s->loop, c->fd);
    close(c->fd);
    loop_timer_stop(s->loop, &c->timer);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->conn_count--;
    /* Cancel callbacks run here; the connection is already unreachable. */
    http_h1_close(c);
    http_h2_close(c);
    watches_report(c, true);
    buf_free(&c->in);
    buf_free(&c->out);
    free(c->parsed);
    free(c);
}

/* ---- reading, writing, interest ---- */

static bool wants_read(const struct http_conn *c)
{
    const struct http_server_config *cfg = &c->srv->cfg;
    if (c->read_eof)
        return false;
    if (c->lingering)
        return true;
    if (buf_size(&c->out) > HTTP_OUT_HIGH_WATER)
        return false;
    if (c->proto != PROTO_H1)
        return true;
    return c->q_len < cfg->max_pipelined &&
           buf_size(&c->in) <= cfg->max_header_bytes + cfg->max_body_bytes;
}

static void update_interest(struct http_conn *c)
{
    unsigned ev = (wants_read(c) ? LOOP_READ : 0) | (buf_size(&c->out) ? LOOP_WRITE : 0);
    if (ev != c->io_events && loop_io_modify(c->srv->loop, c->fd, ev) == 0)
        c->io_events = ev;
}

/* Decides the protocol from the first bytes; false while still undecided. */
static bool detect_protocol(struct http_conn *c)
{
    size_t n = buf_size(&c->in);
    size_t cmp = n < H2_PREFACE_LEN ? n : H2_PREFACE_LEN;
    if (memcmp(buf_start(&c->in), h2_preface, cmp) != 0) {
        c->proto = PROTO_H1;
        return true;
    }
    if (n < H2_PREFACE_LEN)
        return false;
    c->proto = PROTO_H2;
    return true;
}

/* Feeds newly buffered input to the protocol; false if the connection closed. */
static bool handle_input(struct http_conn *c)
{
    if (c->proto == PROTO_UNKNOWN) {
        if (!detect_protocol(c)) {
            if (!c->request_start_ns)
                c->request_start_ns = http_conn_now(c);
            return true;
        }
        if (c->proto == PROTO_H2 && http_h2_start(c) < 0) {
            http_conn_close(c);
            return false;
        }
    }
    if (c->proto == PROTO_H2) {
        int rc = http_h2_feed(c, buf_start(&c->in), buf_size(&c->in));
        buf_consume(&c->in, buf_size(&c->in));
        if (rc < 0) {
            http_conn_close(c);
            return false;
        }
    } else {
        http_h1_process(c);
    }
    http_conn_mark_dirty(c);
    return true;
}

static void handle_eof(struct http_conn *c)
{
    c->read_eof = true;
    /* A client that leaves with a request unanswered is gone: cancel it. */
    if (c->lingering || c->proto != PROTO_H1 || http_h1_waiting(c)) {
        http_conn_close(c);
        return;
    }
    c->close_when_done = true;
    c->stop_parsing = true;
    http_conn_mark_dirty(c);
}

static void conn_read(struct http_conn *c)
{
    for (int round = 0; round < 4 && wants_read(c); round++) {
        char *dst = buf_reserve(&c->in, HTTP_READ_CHUNK);
        ssize_t n = read(c->fd, dst, HTTP_READ_CHUNK);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            http_conn_close(c);
            return;
        }
        if (n == 0) {
            handle_eof(c);
            return;
        }
        c->last_activity_ns = http_conn_now(c);
        if (c->lingering) {
            c->in.off = c->in.len = 0; /* discard */
            continue;
        }
        buf_commit(&c->in, (size_t)n);
        if (!handle_input(c))
            return;
        if ((size_t)n < HTTP_READ_CHUNK)
            break;
    }
    update_interest(c);
    http_conn_schedule(c);
}

/* Starts closing after the last response: half-close, then drain input so
 * unread request bytes do not turn the close into a reset that could destroy
 * the response before the client reads it. False if the connection closed. */
static bool finish_conn(struct http_conn *c)
{
    if (c->read_eof || shutdown(c->fd, SHUT_WR) < 0) {
        http_conn_close(c);
        return false;
    }
    c->lingering = true;
    c->linger_deadline_ns = http_conn_now(c) + HTTP_LINGER_NS;
    buf_free(&c->in);
    return true;
}

static bool write_out(struct http_conn *c)
{
    while (buf_size(&c->out) > 0) {
        ssize_t n = send(c->fd, buf_start(&c->out), buf_size(&c->out), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            http_conn_close(c);
            return false;
        }
        buf_consume(&c->out, (size_t)n);
        c->out_sent += (size_t)n;
        c->last_activity_ns = http_conn_now(c);
        watches_report(c, false);
    }
    return true;
}

/* Writes what is pending and closes when done; false if the connection closed. */
static bool flush_conn(struct http_conn *c)
{
    if (c->lingering)
        return true;
    if (c->proto == PROTO_H2 && http_h2_pump(c) < 0) {
        http_conn_close(c);
        return false;
    }
    if (!write_out(c))
        return false;
    bool drained = buf_size(&c->out) == 0;
    if (drained && c->proto == PROTO_H2 && http_h2_finished(c)) {
        http_conn_close(c);
        return false;
    }
    if (drained && c->close_when_done && c->q_len == 0 && !finish_conn(c))
        return false;
    update_interest(c);
    http_conn_schedule(c);
    return true;
}

static void conn_io(struct loop *loop, int fd, unsigned events, void *data)
{
    (void)loop;
    (void)fd;
    struct http_conn *c = data;
    if ((events & LOOP_WRITE) && !flush_conn(c))
        return;
    if (events & LOOP_READ)
        conn_read(c);
}

static void flush_hook(struct loop *loop, void *data)
{
    (void)loop;
    struct http_server *s = data;
    while (s->dirty) {
        struct http_conn *c = s->dirty;
        s->dirty = c->dirty_next;
        c->dirty = false;
        if (c->proto == PROTO_H1 && buf_size(&c->in) > 0)
            http_h1_process(c); /* requests held back by the pipeline limit */
        flush_conn(c);
    }
}

/* ---- timers ---- */

static uint64_t conn_deadline(const struct http_conn *c)
{
    const struct http_server_config *cfg = &c->srv->cfg;
    if (c->lingering)
        return c->linger_deadline_ns;
    if (c->proto == PROTO_UNKNOWN && buf_size(&c->in) > 0)
        return c->request_start_ns + cfg->request_timeout_ns;
    if (buf_size(&c->out) > 0 || c->proto == PROTO_UNKNOWN)
        return c->last_activity_ns + cfg->idle_timeout_ns;
    if (c->proto == PROTO_H1) {
        if (c->in_request)
            return c->request_start_ns + cfg->request_timeout_ns;
        if (http_h1_waiting(c))
            return HTTP_NO_DEADLINE; /* a deferred answer is not the client's fault */
        return c->last_activity_ns + cfg->idle_timeout_ns;
    }
    if (c->open_streams > 0)
        return http_h2_deadline(c); /* streams not waiting for the handler */
    return c->last_activity_ns + cfg->idle_timeout_ns;
}

void http_conn_schedule(struct http_conn *c)
{
    if (c->dead)
        return;
    uint64_t d = conn_deadline(c);
    if (d == HTTP_NO_DEADLINE)
        return; /* an armed timer fires and re-evaluates */
    if (!loop_timer_armed(&c->timer) || d < c->timer.when_ns)
        loop_timer_start(c->srv->loop, &c->timer, d);
}

static void conn_timeout(struct loop *loop, struct loop_timer *timer)
{
    struct http_conn *c = timer->data;
    uint64_t d = conn_deadline(c);
    if (d == HTTP_NO_DEADLINE)
        return;
    if (d > loop_now(loop)) {
        loop_timer_start(loop, &c->timer, d);
        return;
    }
    if (c->proto == PROTO_H1 && c->in_request && !c->lingering && buf_size(&c->out) == 0) {
        http_h1_fail(c, 408, "RequestTimeout", "the request was not received in time");
        http_conn_mark_dirty(c);
        return;
    }
    if (c->proto == PROTO_H2 && c->open_streams > 0 && buf_size(&c->out) == 0) {
        http_h2_expire(c, loop_now(loop));
        http_conn_mark_dirty(c);
        http_conn_schedule(c);
        return;
    }
    if (c->proto == PROTO_H2 && !c->goaway_sent && buf_size(&c->out) == 0) {
        http_h2_goaway(c); /* idle: say goodbye; the flush closes once it is sent */
        c->last_activity_ns = loop_now(loop);
        http_conn_mark_dirty(c);
        http_conn_schedule(c);
        return;
    }
    http_conn_close(c);
}

/* ---- lifetime ---- */

static void close_listeners(struct http_server *s)
{
    for (size_t i = 0; i < s->listener_count; i++) {
        loop_io_remove(s->loop, s->listeners[i]);
        close(s->listeners[i]);
    }
    s->listener_count = 0;
}

void http_server_shutdown(struct http_server *s)
{
    s->shutting_down = true;
    close_listeners(s);
    struct http_conn *next;
    for (struct http_conn *c = s->conns; c; c = next) {
        next = c->next;
        if (c->proto == PROTO_H2) {
            http_h2_goaway(c);
        } else if (c->proto == PROTO_UNKNOWN || http_h1_idle(c)) {
            http_conn_close(c);
            continue;
        } else {
            c->stop_parsing = true;
            c->close_when_done = true;
        }
        http_conn_mark_dirty(c);
    }
}

size_t http_server_connection_count(const struct http_server *s)
{
    return s->conn_count;
}

void http_server_free(struct http_server *s)
{
    if (!s)
        return;
    loop_before_sleep_remove(s->loop, flush_hook, s);
    close_listeners(s);
    while (s->conns)
        http_conn_close(s->conns);
    if (s->spare_fd >= 0)
        close(s->spare_fd);
    free(s);
}

/* ---- answering ---- */

void http_respond(struct http_exchange *ex, int status, const struct http_header *headers, size_t n,
                  const char *body, size_t body_len)
{
    if (status < 200 || status > 999)
        status = 500; /* interim and invalid codes cannot end an exchange */
    if (!body)
        body_len = 0;
    if (ex->conn->proto == PROTO_H2)
        http_h2_respond(ex, status, headers, n, body, body_len);
    else
        http_h1_respond(ex, status, headers, n, body, body_len);
}

void http_error_body(struct buf *b, int status, const char *reason, const char *message)
{
    buf_appendf(b, "{\"status\":\"Failure\",\"code\":%d,\"reason\":", status);
    buf_append_json_string(b, reason);
    buf_append(b, ",\"message\":", 11);
    buf_append_json_string(b, message);
    buf_append(b, "}", 1);
}

void http_respond_error_with(struct http_exchange *ex, int status, const char *reason,
                             const char *message, const struct http_header *extra, size_t n)
{
    struct http_header headers[1 + HTTP_ERROR_EXTRA_HEADERS] = {
        {"Content-Type", 12, "application/json", 16}};
    size_t count = 1;
    for (size_t i = 0; i < n && count < sizeof(headers) / sizeof(headers[0]); i++)
        headers[count++] = extra[i];
    struct buf body = {0};
    http_error_body(&body, status, reason, message);
    http_respond(ex, status, headers, count, buf_start(&body), buf_size(&body));
    buf_free(&body);
}

void http_respond_error(struct http_exchange *ex, int status, const char *reason,
                        const char *message)
{
    http_respond_error_with(ex, status, reason, message, NULL, 0);
}

void http_exchange_on_sent(struct http_exchange *ex, http_sent_fn *cb, void *data)
{
    ex->sent_cb = cb;
    ex->sent_data = data;
}

void http_exchange_on_cancel(struct http_exchange *ex, http_cancel_fn *cb, void *data)
{
    ex->cancel_cb = cb;
    ex->cancel_data = data;
}

const char *http_request_header(const struct http_request *req, const char *name, size_t *value_len)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < req->header_count; i++) {
        const struct http_header *h = &req->headers[i];
        if (h->name_len == len && strncasecmp(h->name, name, len) == 0) {
            if (value_len)
                *value_len = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

static const struct {
    int status;
    const char *text;
} status_texts[] = {
    {100, "Continue"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {413, "Content Too Large"},
    {415, "Unsupported Media Type"},
    {417, "Expectation Failed"},
    {422, "Unprocessable Content"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
};

const char *http_status_text(int status)
{
    for (size_t i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]); i++)
        if (status_texts[i].status == status)
            return status_texts[i].text;
    return "Unknown";
}
