/*
 * http_conn: the server's internal types, shared by http_server.c (sockets,
 * connection lifetime, timers, output flushing), http_h1.c (HTTP/1.1) and
 * http_h2.c (HTTP/2 over nghttp2). Not for use outside these three files.
 *
 * Lifetime rules:
 * - A connection is freed only by http_conn_close(), which is called from the
 *   connection's own I/O or timer callback, from the flush hook, or from
 *   http_server_shutdown/free; never from http_respond(). So answering (from
 *   a handler or a deferred callback) never frees anything under a caller.
 * - http_conn_close() first marks the connection dead, then runs the cancel
 *   callbacks of unanswered exchanges; an answer given to a sibling exchange
 *   from inside a cancel callback is accepted and dropped.
 * - An HTTP/1.1 exchange is freed when its response leaves the head of the
 *   connection's queue (or at close); an HTTP/2 exchange is embedded in its
 *   stream, freed when nghttp2 closes the stream (or at close).
 * - Delivery watches (http_exchange_on_sent): when a watched response's bytes
 *   are all in c->out (HTTP/1.1: it left the queue; HTTP/2: nghttp2 closed
 *   the stream after sending it), http_conn_watch() moves the callback to the
 *   connection with the out offset its last byte has; write_out() reports it
 *   delivered once that offset is sent, http_conn_close() reports the rest
 *   (and exchanges still holding theirs, via http_exchange_lost()) lost.
 */
#ifndef PREWARM_HTTP_CONN_H
#define PREWARM_HTTP_CONN_H

#include <nghttp2/nghttp2.h>
#include <stdbool.h>

#include "buf.h"
#include "http_parser.h"
#include "http_server.h"
#include "loop.h"
#include "oom.h"

#define HTTP_MAX_LISTENERS  8
#define HTTP_OUT_HIGH_WATER (1u << 20) /* stop reading above this much unsent output */
#define HTTP_READ_CHUNK     16384
#define HTTP_LINGER_NS      2000000000ull /* draining input after an error response */
#define HTTP_NO_DEADLINE    UINT64_MAX

enum http_proto { PROTO_UNKNOWN = 0, PROTO_H1, PROTO_H2 };

struct http_conn;
struct h2_stream;

struct http_exchange {
    struct http_conn *conn;
    http_cancel_fn *cancel_cb;
    void *cancel_data;
    http_sent_fn *sent_cb; /* set until handed to the connection or reported */
    void *sent_data;
    bool responded;
    bool head_request; /* HEAD: send Content-Length but no body */
    /* HTTP/1.1 */
    struct http_exchange *next; /* request order */
    bool close_after;           /* the connection closes after this response */
    int version;                /* 10 or 11 */
    struct buf response;        /* serialized, waiting for earlier responses */
    /* HTTP/2 */
    struct h2_stream *stream;
};

struct http_server {
    struct loop *loop;
    struct http_server_config cfg;
    http_handler_fn *handler;
    void *ctx;
    int listeners[HTTP_MAX_LISTENERS];
    size_t listener_count;
    struct http_conn *conns; /* all open connections */
    size_t conn_count;
    struct http_conn *dirty; /* connections with output or input to process */
    bool shutting_down;
    int spare_fd; /* /dev/null, given up to accept-and-close when out of fds */
};

struct http_conn {
    struct http_server *srv;
    int fd;
    struct http_conn *prev, *next; /* srv->conns */
    struct http_conn *dirty_next;
    bool dirty;
    bool dead;            /* being closed: answers are dropped */
    bool read_eof;        /* the peer closed its side */
    bool close_when_done; /* close once output and pending work are done */
    bool lingering;       /* error sent: discard input until EOF or deadline */
    enum http_proto proto;
    unsigned io_events;
    struct buf in, out;
    uint64_t out_sent;                       /* bytes of out ever written */
    struct http_watch *watches, *watch_tail; /* delivery watches, by offset */
    struct loop_timer timer;
    uint64_t last_activity_ns;
    uint64_t linger_deadline_ns;
    /* HTTP/1.1 */
    struct http_exchange *q_head, *q_tail;
    size_t q_len;
    bool in_request; /* bytes of an incomplete request are buffered */
    uint64_t request_start_ns;
    size_t scanned;                     /* head bytes already searched for the blank line */
    bool continue_sent;                 /* interim 100 sent for the request being read */
    bool stop_parsing;                  /* after Connection: close or an error */
    struct http_parsed_request *parsed; /* scratch for the parser */
    /* HTTP/2 */
    nghttp2_session *h2;
    struct h2_stream *streams;
    size_t open_streams;
    bool goaway_sent;
};

/* http_server.c */
void http_conn_mark_dirty(struct http_conn *c);
void http_conn_close(struct http_conn *c);
void http_conn_schedule(struct http_conn *c); /* re-evaluates the connection's deadline */
uint64_t http_conn_now(const struct http_conn *c);
/* Watches ex's response (if it asked), whose bytes are all in c->out now;
 * end_pending: its end is fixed by the next http_conn_watch_settle(). */
void http_conn_watch(struct http_conn *c, struct http_exchange *ex, bool end_pending);
void http_conn_watch_settle(struct http_conn *c); /* pending ends = end of c->out */
/* Reports ex's watch (if any) as not delivered. */
void http_exchange_lost(struct http_exchange *ex);
/* Appends {"status":"Failure",...} for status/reason/message to b. */
void http_error_body(struct buf *b, int status, const char *reason, const char *message);

/* http_h1.c */
void http_h1_process(struct http_conn *c); /* parse and dispatch buffered input */
void http_h1_respond(struct http_exchange *ex, int status, const struct http_header *headers,
                     size_t n, const char *body, size_t body_len);
void http_h1_fail(struct http_conn *c, int status, const char *reason, const char *message);
void http_h1_close(struct http_conn *c); /* cancels and frees the exchanges */
bool http_h1_idle(const struct http_conn *c);
bool http_h1_waiting(const struct http_conn *c); /* an unanswered request is queued */

/* http_h2.c */
int http_h2_start(struct http_conn *c); /* creates the session; 0 or -1 */
int http_h2_feed(struct http_conn *c, const char *data, size_t len); /* 0 or -1: close */
int http_h2_pump(struct http_conn *c); /* session output into c->out; 0 or -1: close */
bool http_h2_finished(const struct http_conn *c);
void http_h2_respond(struct http_exchange *ex, int status, const struct http_header *headers,
                     size_t n, const char *body, size_t body_len);
void http_h2_goaway(struct http_conn *c);
/* Earliest time a stream that is not waiting for the handler (request still
 * arriving, or answer not taken by the client) runs out of request_timeout;
 * HTTP_NO_DEADLINE if none. http_h2_expire resets those streams. */
uint64_t http_h2_deadline(const struct http_conn *c);
void http_h2_expire(struct http_conn *c, uint64_t now);
void http_h2_close(struct http_conn *c); /* cancels and frees streams and the session */

#endif
