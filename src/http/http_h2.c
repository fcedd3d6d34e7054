/*
 * http_h2.c: HTTP/2 connections over an nghttp2 server session (1.52 API).
 *
 * Flow: bytes read from the socket go to nghttp2_session_mem_recv, whose
 * callbacks build one struct h2_stream per request (headers copied, body
 * accumulated within the caps) and call the handler when the request stream
 * ends. Answers are submitted with nghttp2_submit_response and a data
 * provider that reads the copied body; the flush hook pulls frames with
 * nghttp2_session_mem_send into the connection's output buffer.
 *
 * A stream record lives from its first HEADERS frame until nghttp2 reports
 * the stream closed (or the connection closes). The exchange handed to the
 * handler is embedded in it. A stream that closes unanswered (client
 * RST_STREAM) runs the exchange's cancel callback.
 */
#include <ctype.h>
#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_conn.h"

struct h2_stream;

struct h2_conn {
    nghttp2_session *session;
    struct h2_stream *streams;
    size_t open_streams;
    bool goaway_sent;
};

struct span {
    size_t off, len;
};

struct h2_stream {
    struct http_exchange ex; /* first: the exchange handed out */
    struct h2_stream *prev, *next;
    int32_t id;
    uint64_t since_ns; /* request start, then answer time */
    bool reset;        /* RST_STREAM submitted for request_timeout */
    struct buf hbuf;   /* copied header names and values */
    struct span names[HTTP_PARSER_MAX_HEADERS], values[HTTP_PARSER_MAX_HEADERS];
    size_t hcount;
    struct span method, path, authority;
    bool have_method, have_path, have_authority;
    size_t header_bytes;
    struct buf body;
    int reject;      /* status to answer instead of calling the handler */
    bool dispatched; /* handler called, or an error answered */
    struct buf resp; /* response body read by the data provider */
};

static struct h2_conn *h2_of(const struct http_conn *c)
{
    return c->proto_state;
}

static struct h2_stream *stream_of(nghttp2_session *session, int32_t id)
{
    return nghttp2_session_get_stream_user_data(session, id);
}

static void stream_free(struct h2_stream *st)
{
    buf_free(&st->hbuf);
    buf_free(&st->body);
    buf_free(&st->resp);
    free(st);
}

static void stream_unlink(struct http_conn *c, struct h2_stream *st)
{
    struct h2_conn *h = h2_of(c);
    if (st->prev)
        st->prev->next = st->next;
    else
        h->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    h->open_streams--;
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
    struct http_conn *c = user;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct h2_stream *st = xcalloc(1, sizeof(*st));
    st->id = frame->hd.stream_id;
    st->since_ns = http_conn_now(c);
    st->ex.conn = c;
    if (nghttp2_session_set_stream_user_data(session, st->id, st) != 0) {
        free(st);
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    struct h2_conn *h = h2_of(c);
    st->next = h->streams;
    if (h->streams)
        h->streams->prev = st;
    h->streams = st;
    h->open_streams++;
    return 0;
}

static struct span copy_span(struct buf *b, const uint8_t *p, size_t len)
{
    struct span s = {buf_size(b), len};
    buf_append(b, p, len);
    return s;
}

static void note_content_length(struct http_conn *c, struct h2_stream *st, const uint8_t *v,
                                size_t len)
{
    uint64_t n = 0;
    for (size_t i = 0; i < len && i < 16; i++)
        n = n * 10 + (uint64_t)(v[i] - '0'); /* nghttp2 has checked the digits */
    if (n > c->env->cfg.max_body_bytes)
        st->reject = 413;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
    (void)flags;
    struct http_conn *c = user;
    struct h2_stream *st = stream_of(session, frame->hd.stream_id);
    if (!st || st->reject)
        return 0;
    st->header_bytes += namelen + valuelen + 32; /* RFC 9113 header list size */
    if (st->header_bytes > c->env->cfg.max_header_bytes) {
        st->reject = 431;
        return 0;
    }
    if (namelen > 0 && name[0] == ':') {
        if (namelen == 7 && memcmp(name, ":method", 7) == 0) {
            st->method = copy_span(&st->hbuf, value, valuelen);
            st->have_method = true;
        } else if (namelen == 5 && memcmp(name, ":path", 5) == 0) {
            st->path = copy_span(&st->hbuf, value, valuelen);
            st->have_path = true;
        } else if (namelen == 10 && memcmp(name, ":authority", 10) == 0) {
            st->authority = copy_span(&st->hbuf, value, valuelen);
            st->have_authority = true;
        }
        return 0;
    }
    if (st->hcount == HTTP_PARSER_MAX_HEADERS) {
        st->reject = 431;
        return 0;
    }
    if (namelen == 14 && memcmp(name, "content-length", 14) == 0)
        note_content_length(c, st, value, valuelen);
    st->names[st->hcount] = copy_span(&st->hbuf, name, namelen);
    st->values[st->hcount] = copy_span(&st->hbuf, value, valuelen);
    st->hcount++;
    return 0;
}

static const char *reject_reason(int status, const char **message)
{
    switch (status) {
    case 413:
        *message = "the request body exceeds the size limit";
        return "RequestEntityTooLarge";
    case 431:
        *message = "the request headers exceed the size limit";
        return "RequestHeaderFieldsTooLarge";
    default:
        *message = "malformed request";
        return "BadRequest";
    }
}

static void reject_now(struct h2_stream *st, int status)
{
    const char *message;
    const char *reason = reject_reason(status, &message);
    st->dispatched = true;
    buf_free(&st->body);
    http_respond_error(&st->ex, status, reason, message);
}

static void dispatch(struct http_conn *c, struct h2_stream *st)
{
    if (st->reject || !st->have_method || !st->have_path || st->path.len == 0) {
        reject_now(st, st->reject ? st->reject : 400);
        return;
    }
    st->dispatched = true;
    struct http_header headers[HTTP_PARSER_MAX_HEADERS + 1];
    const char *base = st->hbuf.data;
    size_t n = 0;
    for (; n < st->hcount; n++)
        headers[n] = (struct http_header){base + st->names[n].off, st->names[n].len,
                                          base + st->values[n].off, st->values[n].len};
    if (st->have_authority &&
        !http_request_header(&(struct http_request){.headers = headers, .header_count = n}, "host",
                             NULL))
        headers[n++] = (struct http_header){"host", 4, base + st->authority.off, st->authority.len};
    const char *path = base + st->path.off;
    const char *q = memchr(path, '?', st->path.len);
    const char *method = base + st->method.off;
    st->ex.head_request = st->method.len == 4 && memcmp(method, "HEAD", 4) == 0;
    struct http_request req = {
        .method = method,
        .method_len = st->method.len,
        .path = path,
        .path_len = q ? (size_t)(q - path) : st->path.len,
        .query = q ? q + 1 : "",
        .query_len = q ? st->path.len - (size_t)(q - path) - 1 : 0,
        .headers = headers,
        .header_count = n,
        .body = st->body.data ? buf_start(&st->body) : "",
        .body_len = buf_size(&st->body),
        .http_version = 20,
    };
    http_conn_dispatch(c, &st->ex, &req);
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
    struct http_conn *c = user;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    struct h2_stream *st = stream_of(session, frame->hd.stream_id);
    if (!st || st->dispatched)
        return 0;
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
        dispatch(c, st);
    else if (st->reject && frame->hd.type == NGHTTP2_HEADERS)
        reject_now(st, st->reject); /* answer early; the rest of the body is dropped */
    return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t stream_id,
                         const uint8_t *data, size_t len, void *user)
{
    (void)flags;
    struct http_conn *c = user;
    struct h2_stream *st = stream_of(session, stream_id);
    if (!st || st->dispatched)
        return 0;
    if (buf_size(&st->body) + len > c->env->cfg.max_body_bytes) {
        reject_now(st, 413);
        return 0;
    }
    buf_append(&st->body, data, len);
    return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
                           void *user)
{
    struct http_conn *c = user;
    struct h2_stream *st = stream_of(session, stream_id);
    if (!st)
        return 0;
    stream_unlink(c, st);
    if (st->dispatched && !st->ex.responded && st->ex.cancel_cb)
        st->ex.cancel_cb(st->ex.cancel_data);
    /* Closed cleanly after the answer: nghttp2 does this from inside
     * mem_send, whose output (the answer's last frame) h2_produce()
     * appends next and then settles the watch's end. */
    if (st->ex.responded && error_code == NGHTTP2_NO_ERROR && !st->reset)
        http_conn_watch(c, &st->ex, true);
    else
        http_exchange_lost(&st->ex);
    stream_free(st);
    http_conn_schedule(c);
    return 0;
}

static ssize_t read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
                         uint32_t *data_flags, nghttp2_data_source *source, void *user)
{
    (void)session;
    (void)stream_id;
    (void)user;
    struct h2_stream *st = source->ptr;
    size_t n = buf_size(&st->resp);
    if (n > length)
        n = length;
    memcpy(buf, buf_start(&st->resp), n);
    buf_consume(&st->resp, n);
    if (buf_size(&st->resp) == 0)
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

/* Headers HTTP/2 forbids or that the server sets itself. */
static bool skip_header(const struct http_header *h)
{
    static const char *const banned[] = {"connection", "keep-alive",     "proxy-connection",
                                         "upgrade",    "content-length", "transfer-encoding"};
    if (h->name_len == 0 || h->name[0] == ':')
        return true;
    for (size_t i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
        if (strlen(banned[i]) == h->name_len && strncasecmp(h->name, banned[i], h->name_len) == 0)
            return true;
    return false;
}

#define NV_MAX (HTTP_PARSER_MAX_HEADERS + 2)

/* Response header block: lower-cased copies in one buffer, then nghttp2_nv
 * entries pointing into it (nghttp2 copies them again on submit). */
struct nv_builder {
    struct buf strings;
    size_t name_off[NV_MAX], name_len[NV_MAX], value_off[NV_MAX], value_len[NV_MAX];
    size_t count;
};

static void nv_add(struct nv_builder *b, const char *name, size_t name_len, const char *value,
                   size_t value_len)
{
    if (b->count == NV_MAX)
        return;
    size_t i = b->count++;
    b->name_off[i] = buf_size(&b->strings);
    b->name_len[i] = name_len;
    char *dst = buf_reserve(&b->strings, name_len);
    for (size_t j = 0; j < name_len; j++)
        dst[j] = (char)tolower((unsigned char)name[j]);
    buf_commit(&b->strings, name_len);
    b->value_off[i] = buf_size(&b->strings);
    b->value_len[i] = value_len;
    buf_append(&b->strings, value, value_len);
}

static size_t build_nv(nghttp2_nv *nv, struct nv_builder *b, int status,
                       const struct http_header *headers, size_t n, size_t body_len,
                       bool with_length)
{
    char num[BUF_UINT_MAX_DIGITS];
    nv_add(b, ":status", 7, num, buf_format_uint(num, (uint64_t)status));
    for (size_t i = 0; i < n && b->count < NV_MAX - 1; i++)
        if (!skip_header(&headers[i]))
            nv_add(b, headers[i].name, headers[i].name_len, headers[i].value, headers[i].value_len);
    if (with_length) {
        nv_add(b, "content-length", 14, num, buf_format_uint(num, body_len));
    }
    uint8_t *base = (uint8_t *)b->strings.data;
    for (size_t i = 0; i < b->count; i++)
        nv[i] = (nghttp2_nv){base + b->name_off[i], base + b->value_off[i], b->name_len[i],
                             b->value_len[i], NGHTTP2_NV_FLAG_NONE};
    return b->count;
}

static void h2_respond(struct http_exchange *ex, int status, const struct http_header *headers,
                       size_t n, const char *body, size_t body_len)
{
    struct h2_stream *st = (struct h2_stream *)ex; /* ex is its first member */
    struct http_conn *c = ex->conn;
    if (ex->responded)
        return;
    ex->responded = true;
    if (c->dead)
        return;
    bool no_body = status == 204 || status == 304;
    st->since_ns = http_conn_now(c);
    nghttp2_nv nv[NV_MAX];
    struct nv_builder b; /* only count and strings need a start value */
    b.count = 0;
    b.strings = (struct buf){0};
    size_t count = build_nv(nv, &b, status, headers, n, body_len, !no_body);
    nghttp2_data_provider prd = {.source.ptr = st, .read_callback = read_body};
    bool send_body = !no_body && !ex->head_request && body_len > 0;
    if (send_body)
        buf_append(&st->resp, body, body_len);
    if (nghttp2_submit_response(h2_of(c)->session, st->id, nv, count, send_body ? &prd : NULL) != 0)
        nghttp2_submit_rst_stream(h2_of(c)->session, NGHTTP2_FLAG_NONE, st->id,
                                  NGHTTP2_INTERNAL_ERROR);
    buf_free(&b.strings);
    http_conn_mark_dirty(c);
}

/* ---- struct http_proto ---- */

static int h2_start(struct http_conn *c)
{
    struct h2_conn *h = xcalloc(1, sizeof *h);
    nghttp2_session_callbacks *cbs;
    c->proto_state = h;
    if (nghttp2_session_callbacks_new(&cbs) != 0)
        oom_abort(); /* its only failure */
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    int rv = nghttp2_session_server_new(&h->session, cbs, c);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0) {
        h->session = NULL;
        return -1;
    }
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, (uint32_t)c->env->cfg.max_streams},
    };
    return nghttp2_submit_settings(h->session, NGHTTP2_FLAG_NONE, iv, 1) != 0 ? -1 : 0;
}

/* Everything buffered goes to nghttp2, which keeps what it needs. */
static int h2_input(struct http_conn *c)
{
    ssize_t rv = nghttp2_session_mem_recv(h2_of(c)->session, (const uint8_t *)buf_start(&c->in),
                                          buf_size(&c->in));
    buf_consume(&c->in, buf_size(&c->in));
    return rv < 0 ? -1 : 0;
}

/* Session output into c->out, up to the high-water mark. */
static int h2_produce(struct http_conn *c)
{
    while (buf_size(&c->out) < HTTP_OUT_HIGH_WATER) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(h2_of(c)->session, &data);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        buf_append(&c->out, data, (size_t)n);
        http_conn_watch_settle(c);
    }
    http_conn_watch_settle(c);
    return 0;
}

static enum http_proto_next h2_after_write(struct http_conn *c)
{
    nghttp2_session *session = h2_of(c)->session;
    if (buf_size(&c->out) > 0 || nghttp2_session_want_read(session) ||
        nghttp2_session_want_write(session))
        return HTTP_NEXT_KEEP;
    /* Both sides are done and everything is written. Linger rather than
     * close: frames the client sent after its GOAWAY may still be in flight,
     * and closing over unread input would reset the connection. */
    return HTTP_NEXT_LINGER;
}

static bool h2_wants_read(const struct http_conn *c)
{
    (void)c;
    return true; /* nghttp2's flow control bounds what a client may send */
}

static bool h2_peer_closed(struct http_conn *c)
{
    (void)c;
    return true;
}

static void goaway(struct http_conn *c)
{
    struct h2_conn *h = h2_of(c);
    h->goaway_sent = true;
    int32_t last = nghttp2_session_get_last_proc_stream_id(h->session);
    if (nghttp2_submit_goaway(h->session, NGHTTP2_FLAG_NONE, last, NGHTTP2_NO_ERROR, NULL, 0) != 0)
        nghttp2_session_terminate_session(h->session, NGHTTP2_NO_ERROR);
}

/* Streams the client is holding up: request incomplete, or answered and not
 * yet taken (flow control). Deferred answers are the server's own choice. */
static bool client_bound(const struct h2_stream *st)
{
    return !st->reset && (!st->dispatched || st->ex.responded);
}

/* Earliest time a stream that is not waiting for the handler (request still
 * arriving, or answer not taken by the client) runs out of request_timeout;
 * with no open stream, the connection's idle deadline. */
static uint64_t h2_deadline(const struct http_conn *c, uint64_t idle)
{
    if (h2_of(c)->open_streams == 0)
        return idle;
    uint64_t d = HTTP_NO_DEADLINE;
    for (const struct h2_stream *st = h2_of(c)->streams; st; st = st->next) {
        uint64_t when = st->since_ns + c->env->cfg.request_timeout_ns;
        if (client_bound(st) && when < d)
            d = when;
    }
    return d;
}

/* Resets the streams past their deadline; an idle connection gets GOAWAY
 * (the flush closes it once that is sent). False: close now. */
static bool h2_timeout(struct http_conn *c, uint64_t now)
{
    struct h2_conn *h = h2_of(c);
    if (h->open_streams > 0) {
        for (struct h2_stream *st = h->streams; st; st = st->next) {
            if (!client_bound(st) || st->since_ns + c->env->cfg.request_timeout_ns > now)
                continue;
            st->reset = true;
            nghttp2_submit_rst_stream(h->session, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL);
        }
        return true;
    }
    if (h->goaway_sent)
        return false;
    goaway(c);
    c->last_activity_ns = now;
    return true;
}

static bool h2_shutdown(struct http_conn *c)
{
    goaway(c);
    return false;
}

static void h2_close(struct http_conn *c)
{
    struct h2_conn *h = h2_of(c);
    while (h->streams) {
        struct h2_stream *st = h->streams;
        stream_unlink(c, st);
        if (st->dispatched && !st->ex.responded && st->ex.cancel_cb)
            st->ex.cancel_cb(st->ex.cancel_data);
        http_exchange_lost(&st->ex);
        stream_free(st);
    }
    nghttp2_session_del(h->session);
    free(h);
    c->proto_state = NULL;
}

const struct http_proto http_h2_proto = {
    .name = "h2c",
    .start = h2_start,
    .input = h2_input,
    .produce = h2_produce,
    .after_write = h2_after_write,
    .wants_read = h2_wants_read,
    .peer_closed = h2_peer_closed,
    .deadline = h2_deadline,
    .timeout = h2_timeout,
    .shutdown = h2_shutdown,
    .respond = h2_respond,
    .close = h2_close,
};
