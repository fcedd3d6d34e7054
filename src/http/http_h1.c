/*
 * http_h1.c: HTTP/1.1 connections: parse buffered input into requests,
 * call the handler, keep responses in request order.
 *
 * Each parsed request gets an exchange appended to the connection's queue.
 * An answer to the exchange at the head of the queue is serialized straight
 * into the output buffer; an answer to a later one is serialized into the
 * exchange and moved to the output when everything before it is answered.
 * Parsing stops (reading pauses) while max_pipelined requests are queued.
 */
#include "http_conn.h"

#include <stdlib.h>
#include <string.h>

static struct http_exchange *exchange_new(struct http_conn *c, int version, bool close_after,
                                          bool head_request)
{
    struct http_exchange *ex = xcalloc(1, sizeof(*ex));
    ex->conn = c;
    ex->version = version;
    ex->close_after = close_after;
    ex->head_request = head_request;
    if (c->q_tail)
        c->q_tail->next = ex;
    else
        c->q_head = ex;
    c->q_tail = ex;
    c->q_len++;
    return ex;
}

static struct http_exchange *pop_head(struct http_conn *c)
{
    struct http_exchange *ex = c->q_head;
    c->q_head = ex->next;
    if (!c->q_head)
        c->q_tail = NULL;
    c->q_len--;
    return ex;
}

static void exchange_free(struct http_exchange *ex)
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

static void serialize(struct buf *b, const struct http_exchange *ex, int status,
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
    if (!no_body && !ex->head_request)
        buf_append(b, body, body_len);
}

/* Moves answered responses at the head of the queue to the output. */
static void advance_queue(struct http_conn *c)
{
    while (c->q_head && c->q_head->responded) {
        struct http_exchange *ex = pop_head(c);
        buf_append(&c->out, buf_start(&ex->response), buf_size(&ex->response));
        http_conn_watch(c, ex, false);
        if (ex->close_after)
            c->close_when_done = true;
        exchange_free(ex);
    }
}

void http_h1_respond(struct http_exchange *ex, int status, const struct http_header *headers,
                     size_t n, const char *body, size_t body_len)
{
    struct http_conn *c = ex->conn;
    if (ex->responded)
        return;
    ex->responded = true;
    if (c->dead)
        return; /* the connection is closing; the close loop frees ex */
    struct buf *dst = ex == c->q_head ? &c->out : &ex->response;
    serialize(dst, ex, status, headers, n, body, body_len);
    advance_queue(c);
    http_conn_mark_dirty(c);
}

void http_h1_fail(struct http_conn *c, int status, const char *reason, const char *message)
{
    struct http_exchange *ex = exchange_new(c, 11, true, false);
    c->stop_parsing = true;
    c->in_request = false;
    buf_consume(&c->in, buf_size(&c->in));
    http_respond_error(ex, status, reason, message);
}

static void fail_parse(struct http_conn *c, enum http_parse_status st)
{
    if (st == HTTP_PARSE_TOO_LARGE)
        http_h1_fail(c, 431, "RequestHeaderFieldsTooLarge",
                     "the request line and headers exceed the size limit");
    else if (st == HTTP_PARSE_VERSION_UNSUPPORTED)
        http_h1_fail(c, 505, "HTTPVersionNotSupported", "only HTTP/1.0, 1.1 and h2c are served");
    else
        http_h1_fail(c, 400, "BadRequest", "malformed request line or header");
}

/* Refuses bodies this server does not frame or accept; false if refused. */
static bool check_framing(struct http_conn *c, const struct http_parsed_request *p)
{
    if (p->transfer == HTTP_TRANSFER_CHUNKED)
        http_h1_fail(c, 411, "LengthRequired",
                     "chunked request bodies are not accepted; send Content-Length");
    else if (p->transfer == HTTP_TRANSFER_OTHER)
        http_h1_fail(c, 501, "NotImplemented", "unsupported transfer coding");
    else if (p->content_length > c->srv->cfg.max_body_bytes)
        http_h1_fail(c, 413, "RequestEntityTooLarge", "the request body exceeds the size limit");
    else if (p->expect == HTTP_EXPECT_OTHER)
        http_h1_fail(c, 417, "ExpectationFailed", "only Expect: 100-continue is supported");
    else
        return true;
    return false;
}

static void maybe_continue(struct http_conn *c, const struct http_parsed_request *p)
{
    if (p->expect != HTTP_EXPECT_CONTINUE || p->version != 11 || c->continue_sent || c->q_len > 0)
        return;
    static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n";
    buf_append(&c->out, interim, sizeof(interim) - 1);
    c->continue_sent = true;
    http_conn_mark_dirty(c);
}

static void dispatch(struct http_conn *c, const struct http_parsed_request *p)
{
    bool close_after = !p->keep_alive || c->srv->shutting_down;
    bool head = p->method_len == 4 && memcmp(p->method, "HEAD", 4) == 0;
    struct http_exchange *ex = exchange_new(c, p->version, close_after, head);
    if (close_after)
        c->stop_parsing = true;
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
    c->in_request = false;
    c->continue_sent = false;
    c->srv->handler(c->srv->ctx, ex, &req);
}

void http_h1_process(struct http_conn *c)
{
    const struct http_server_config *cfg = &c->srv->cfg;
    if (c->proto != PROTO_H1 || c->dead || c->lingering)
        return;
    if (!c->parsed)
        c->parsed = xmalloc(sizeof(*c->parsed));
    while (!c->stop_parsing && c->q_len < cfg->max_pipelined) {
        size_t avail = buf_size(&c->in);
        if (avail == 0)
            break;
        if (!c->in_request) {
            c->in_request = true;
            c->request_start_ns = http_conn_now(c);
            c->scanned = 0;
        }
        enum http_parse_status st = http_parse_request(
            buf_start(&c->in), avail, cfg->max_header_bytes, c->scanned, c->parsed);
        if (st == HTTP_PARSE_INCOMPLETE) {
            c->scanned = http_parse_rescan_from(avail);
            break;
        }
        if (st != HTTP_PARSE_OK) {
            fail_parse(c, st);
            break;
        }
        if (!check_framing(c, c->parsed))
            break;
        size_t need = c->parsed->head_len + (size_t)c->parsed->content_length;
        if (avail < need) {
            maybe_continue(c, c->parsed);
            break;
        }
        dispatch(c, c->parsed);
        buf_consume(&c->in, need);
    }
}

bool http_h1_idle(const struct http_conn *c)
{
    return c->q_len == 0 && !c->in_request && buf_size(&c->out) == 0;
}

bool http_h1_waiting(const struct http_conn *c)
{
    return c->q_head != NULL;
}

void http_h1_close(struct http_conn *c)
{
    while (c->q_head) {
        struct http_exchange *ex = pop_head(c);
        if (!ex->responded && ex->cancel_cb)
            ex->cancel_cb(ex->cancel_data);
        http_exchange_lost(ex); /* answered, still queued behind another */
        exchange_free(ex);
    }
}
