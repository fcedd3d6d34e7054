/*
 * http_h1.c: HTTP/1.1 connections: parse buffered input into requests,
 * call the handler, keep responses in request order.
 *
 * Each parsed request gets an exchange appended to the connection's queue.
 * An answer to the exchange at the head of the queue is serialized straight
 * into the output buffer; an answer to a later one is serialized into the
 * exchange and moved to the output when everything before it is answered.
 * Parsing stops (reading pauses) while max_pipelined requests are queued,
 * and while the connection may not take more output (http_conn_may_dispatch:
 * a client that pipelines without reading gets no more answers made).
 */
#include <stdlib.h>
#include <string.h>

#include "http_conn.h"

struct h1_exchange {
    struct http_exchange ex;  /* first: what the handler gets */
    struct h1_exchange *next; /* request order */
    bool close_after;         /* the connection closes after this response */
    int version;              /* 10 or 11 */
    struct buf response;      /* serialized, waiting for earlier responses */
};

struct h1_conn {
    struct h1_exchange *q_head, *q_tail;
    size_t q_len;
    bool in_request; /* bytes of an incomplete request are buffered */
    uint64_t request_start_ns;
    size_t scanned;                    /* head bytes already searched for the blank line */
    bool continue_sent;                /* interim 100 sent for the request being read */
    bool stop_parsing;                 /* after Connection: close or an error */
    struct http_parsed_request parsed; /* scratch for the parser */
};

static struct h1_conn *h1_of(const struct http_conn *c)
{
    return c->proto_state;
}

static struct h1_exchange *exchange_new(struct http_conn *c, int version, bool close_after,
                                        bool head_request)
{
    struct h1_conn *h = h1_of(c);
    struct h1_exchange *ex = xcalloc(1, sizeof(*ex));
    ex->ex.conn = c;
    ex->ex.head_request = head_request;
    ex->version = version;
    ex->close_after = close_after;
    if (h->q_tail)
        h->q_tail->next = ex;
    else
        h->q_head = ex;
    h->q_tail = ex;
    h->q_len++;
    return ex;
}

static struct h1_exchange *pop_head(struct h1_conn *h)
{
    struct h1_exchange *ex = h->q_head;
    h->q_head = ex->next;
    if (!h->q_head)
        h->q_tail = NULL;
    h->q_len--;
    return ex;
}

static void exchange_free(struct h1_exchange *ex)
{
    buf_free(&ex->response);
    free(ex);
}

static bool header_safe(const struct http_header *h)
{
    if (h->name_len == 0 || memchr(h->name, ':', h->name_len))
        return false;
    return !memchr(h->name, '\r', h->name_len) && !memchr(h->name, '\n', h->name_len) &&
           !memchr(h->value, '\r', h->value_len) && !memchr(h->value, '\n', h->value_len);
}

static void serialize(struct buf *b, const struct h1_exchange *ex, int status,
                      const struct http_header *headers, size_t n, const char *body,
                      size_t body_len)
{
    bool no_body = status == 204 || status == 304;
    const char *text = http_status_text(status);
    buf_append(b, "HTTP/1.1 ", 9);
    buf_append_uint(b, (uint64_t)status);
    buf_append(b, " ", 1);
    buf_append(b, text, strlen(text));
    buf_append(b, "\r\n", 2);
    for (size_t i = 0; i < n; i++) {
        if (!header_safe(&headers[i]))
            continue; /* a caller bug must not split the response */
        buf_append(b, headers[i].name, headers[i].name_len);
        buf_append(b, ": ", 2);
        buf_append(b, headers[i].value, headers[i].value_len);
        buf_append(b, "\r\n", 2);
    }
    if (!no_body) {
        buf_append(b, "Content-Length: ", 16);
        buf_append_uint(b, body_len);
        buf_append(b, "\r\n", 2);
    }
    if (ex->close_after)
        buf_append(b, "Connection: close\r\n", 19);
    else if (ex->version == 10)
        buf_append(b, "Connection: keep-alive\r\n", 24);
    buf_append(b, "\r\n", 2);
    if (!no_body && !ex->ex.head_request)
        buf_append(b, body, body_len);
}

/* Moves answered responses at the head of the queue to the output. */
static void advance_queue(struct http_conn *c)
{
    struct h1_conn *h = h1_of(c);
    while (h->q_head && h->q_head->ex.responded) {
        struct h1_exchange *ex = pop_head(h);
        if (buf_size(&ex->response) > 0) /* empty when it was serialized into c->out */
            buf_append(&c->out, buf_start(&ex->response), buf_size(&ex->response));
        http_conn_watch(c, &ex->ex, false);
        if (ex->close_after)
            c->close_when_done = true;
        exchange_free(ex);
    }
}

static void h1_respond(struct http_exchange *e, int status, const struct http_header *headers,
                       size_t n, const char *body, size_t body_len)
{
    struct h1_exchange *ex = (struct h1_exchange *)e;
    struct http_conn *c = e->conn;
    if (e->responded)
        return;
    e->responded = true;
    if (c->dead)
        return; /* the connection is closing; the close loop frees ex */
    struct buf *dst = ex == h1_of(c)->q_head ? &c->out : &ex->response;
    serialize(dst, ex, status, headers, n, body, body_len);
    advance_queue(c);
    http_conn_mark_dirty(c);
}

/* Answers with an error and stops reading requests (the connection closes
 * after the answer). */
static void h1_fail(struct http_conn *c, int status, const char *reason, const char *message)
{
    struct h1_conn *h = h1_of(c);
    struct h1_exchange *ex = exchange_new(c, 11, true, false);
    h->stop_parsing = true;
    h->in_request = false;
    buf_consume(&c->in, buf_size(&c->in));
    http_respond_error(&ex->ex, status, reason, message);
}

static void fail_parse(struct http_conn *c, enum http_parse_status st)
{
    if (st == HTTP_PARSE_TOO_LARGE)
        h1_fail(c, 431, "RequestHeaderFieldsTooLarge",
                "the request line and headers exceed the size limit");
    else if (st == HTTP_PARSE_VERSION_UNSUPPORTED)
        h1_fail(c, 505, "HTTPVersionNotSupported", "only HTTP/1.0, 1.1 and h2c are served");
    else
        h1_fail(c, 400, "BadRequest", "malformed request line or header");
}

/* Refuses bodies this server does not frame or accept; false if refused. */
static bool check_framing(struct http_conn *c, const struct http_parsed_request *p)
{
    if (p->transfer == HTTP_TRANSFER_CHUNKED)
        h1_fail(c, 411, "LengthRequired",
                "chunked request bodies are not accepted; send Content-Length");
    else if (p->transfer == HTTP_TRANSFER_OTHER)
        h1_fail(c, 501, "NotImplemented", "unsupported transfer coding");
    else if (p->content_length > c->env->cfg.max_body_bytes)
        h1_fail(c, 413, "RequestEntityTooLarge", "the request body exceeds the size limit");
    else if (p->expect == HTTP_EXPECT_OTHER)
        h1_fail(c, 417, "ExpectationFailed", "only Expect: 100-continue is supported");
    else
        return true;
    return false;
}

static void maybe_continue(struct http_conn *c, const struct http_parsed_request *p)
{
    struct h1_conn *h = h1_of(c);
    if (p->expect != HTTP_EXPECT_CONTINUE || p->version != 11 || h->continue_sent || h->q_len > 0)
        return;
    static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n";
    buf_append(&c->out, interim, sizeof(interim) - 1);
    h->continue_sent = true;
    http_conn_mark_dirty(c);
}

static void dispatch(struct http_conn *c, const struct http_parsed_request *p)
{
    struct h1_conn *h = h1_of(c);
    bool close_after = !p->keep_alive || c->env->shutting_down;
    bool head = p->method_len == 4 && memcmp(p->method, "HEAD", 4) == 0;
    struct h1_exchange *ex = exchange_new(c, p->version, close_after, head);
    if (close_after)
        h->stop_parsing = true;
    const char *start = buf_start(&c->in);
    struct http_request req = {
        .method = p->method,
        .method_len = p->method_len,
        .path = p->path,
        .path_len = p->path_len,
        .query = p->query ? p->query : "",
        .query_len = p->query_len,
        .headers = p->headers,
        .header_count = p->header_count,
        .body = start + p->head_len,
        .body_len = (size_t)p->content_length,
        .http_version = p->version,
    };
    h->in_request = false;
    h->continue_sent = false;
    http_conn_dispatch(c, &ex->ex, &req);
}

/* Parses and dispatches the complete requests in c->in. */
static void process(struct http_conn *c)
{
    struct h1_conn *h = h1_of(c);
    const struct http_server_config *cfg = &c->env->cfg;
    if (c->dead || c->lingering)
        return;
    while (!h->stop_parsing && h->q_len < cfg->max_pipelined && http_conn_may_dispatch(c)) {
        size_t avail = buf_size(&c->in);
        if (avail == 0)
            break;
        if (!h->in_request) {
            h->in_request = true;
            h->request_start_ns = http_conn_now(c);
            h->scanned = 0;
        }
        enum http_parse_status st = http_parse_request(
            buf_start(&c->in), avail, cfg->max_header_bytes, h->scanned, &h->parsed);
        if (st == HTTP_PARSE_INCOMPLETE) {
            h->scanned = http_parse_rescan_from(avail);
            break;
        }
        if (st != HTTP_PARSE_OK) {
            fail_parse(c, st);
            break;
        }
        if (!check_framing(c, &h->parsed))
            break;
        size_t need = h->parsed.head_len + (size_t)h->parsed.content_length;
        if (avail < need) {
            maybe_continue(c, &h->parsed);
            break;
        }
        dispatch(c, &h->parsed);
        buf_consume(&c->in, need);
    }
}

/* ---- struct http_proto ---- */

static int h1_start(struct http_conn *c)
{
    c->proto_state = xcalloc(1, sizeof(struct h1_conn));
    return 0;
}

static int h1_input(struct http_conn *c)
{
    process(c);
    return 0;
}

/* Requests held back by the pipeline limit. */
static int h1_produce(struct http_conn *c)
{
    if (buf_size(&c->in) > 0)
        process(c);
    return 0;
}

static enum http_proto_next h1_after_write(struct http_conn *c)
{
    bool drained = buf_size(&c->out) == 0;
    return drained && c->close_when_done && h1_of(c)->q_len == 0 ? HTTP_NEXT_LINGER
                                                                 : HTTP_NEXT_KEEP;
}

static bool h1_wants_read(const struct http_conn *c)
{
    const struct http_server_config *cfg = &c->env->cfg;
    return h1_of(c)->q_len < cfg->max_pipelined &&
           buf_size(&c->in) <= cfg->max_header_bytes + cfg->max_body_bytes;
}

static bool h1_peer_closed(struct http_conn *c)
{
    struct h1_conn *h = h1_of(c);
    if (h->q_head)
        return true; /* an unanswered request: the client is gone */
    h->stop_parsing = true;
    return false;
}

static uint64_t h1_deadline(const struct http_conn *c, uint64_t idle)
{
    const struct h1_conn *h = h1_of(c);
    if (h->in_request)
        return h->request_start_ns + c->env->cfg.request_timeout_ns;
    if (h->q_head)
        return HTTP_NO_DEADLINE; /* a deferred answer is not the client's fault */
    return idle;
}

static bool h1_timeout(struct http_conn *c, uint64_t now)
{
    (void)now;
    if (!h1_of(c)->in_request)
        return false; /* idle: close */
    h1_fail(c, 408, "RequestTimeout", "the request was not received in time");
    return true;
}

static bool h1_shutdown(struct http_conn *c)
{
    struct h1_conn *h = h1_of(c);
    if (h->q_len == 0 && !h->in_request && buf_size(&c->out) == 0)
        return true; /* idle: close now */
    h->stop_parsing = true;
    c->close_when_done = true;
    return false;
}

static void h1_close(struct http_conn *c)
{
    struct h1_conn *h = h1_of(c);
    while (h->q_head) {
        struct h1_exchange *ex = pop_head(h);
        if (!ex->ex.responded && ex->ex.cancel_cb)
            ex->ex.cancel_cb(ex->ex.cancel_data);
        http_exchange_lost(&ex->ex); /* answered, still queued behind another */
        exchange_free(ex);
    }
    free(h);
    c->proto_state = NULL;
}

const struct http_proto http_h1_proto = {
    .name = "http/1.1",
    .start = h1_start,
    .input = h1_input,
    .produce = h1_produce,
    .after_write = h1_after_write,
    .wants_read = h1_wants_read,
    .peer_closed = h1_peer_closed,
    .deadline = h1_deadline,
    .timeout = h1_timeout,
    .shutdown = h1_shutdown,
    .respond = h1_respond,
    .close = h1_close,
};
