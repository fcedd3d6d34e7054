/*
 * http_conn: one client connection at the transport level, and the
 * protocol interface HTTP/1.1 (http_h1.c) and HTTP/2 (http_h2.c) implement.
 * Internal to src/http.
 *
 * Layers, each calling only downwards:
 *
 *   http_server.c   listeners, accept, socket I/O, the flush hook, timers,
 *                   lifetime; talks to a protocol only through its
 *                   struct http_proto (c->proto)
 *   http_h1.c / http_h2.c
 *                   framing: bytes in c->in -> requests -> env->handler;
 *                   answers -> bytes in c->out
 *   http_exchange.c the public answering API (http_respond...), which hands
 *                   an answer to the exchange's protocol
 *   http_conn.c     what both protocols need of a connection: the clock,
 *                   marking it dirty (flush before the loop sleeps),
 *                   re-arming its timer, delivery watches
 *
 * Lifetime rules:
 * - A connection is freed only by the server's close, which runs from the
 *   connection's own I/O or timer callback, from the flush hook, or from
 *   http_server_shutdown/free; never from http_respond(). So answering (from
 *   a handler or a deferred callback) never frees anything under a caller.
 * - Closing first marks the connection dead, then calls proto->close, which
 *   runs the cancel callbacks of unanswered exchanges; an answer given to a
 *   sibling exchange from inside a cancel callback is accepted and dropped.
 * - An HTTP/1.1 exchange is freed when its response leaves the head of the
 *   connection's queue (or at close); an HTTP/2 exchange is embedded in its
 *   stream, freed when nghttp2 closes the stream (or at close).
 * - Delivery watches (http_exchange_on_sent): when a watched response's bytes
 *   are all in c->out (HTTP/1.1: it left the queue; HTTP/2: nghttp2 closed
 *   the stream after sending it), http_conn_watch() moves the callback to the
 *   connection with the out offset its last byte has; the server reports it
 *   delivered once that offset is sent (http_conn_watches_report), and at
 *   close reports the rest (and exchanges still holding theirs, via
 *   http_exchange_lost()) lost.
 */
#ifndef PREWARM_HTTP_CONN_H
#define PREWARM_HTTP_CONN_H

#include <stdbool.h>

#include "buf.h"
#include "http_parser.h"
#include "http_server.h"
#include "loop.h"
#include "oom.h"

#define HTTP_OUT_HIGH_WATER (256u << 10) /* stop reading and dispatching above this */
#define HTTP_OUT_LOW_WATER  (16u << 10)  /* ... or above this while over max_output_bytes */
#define HTTP_NO_DEADLINE    UINT64_MAX

struct http_conn;
struct http_watch;

/* What every connection of one server shares. */
struct http_env {
    struct loop *loop;
    struct http_server_config cfg;
    http_handler_fn *handler;
    void *ctx;
    struct http_conn *dirty; /* connections with output or input to process */
    bool shutting_down;
    size_t out_total;   /* unsent output of all connections (as last accounted) */
    bool out_throttled; /* out_total went above max_output_bytes (until half) */
};

/* The part of an exchange every protocol has; protocols embed it first. */
struct http_exchange {
    struct http_conn *conn;
    http_cancel_fn *cancel_cb;
    void *cancel_data;
    http_sent_fn *sent_cb; /* set until handed to the connection or reported */
    void *sent_data;
    bool responded;
    bool head_request;                        /* HEAD: send Content-Length but no body */
    char request_id[HTTP_REQUEST_ID_MAX + 1]; /* "" until dispatched or answered */
};

/* What the server does after a flush, as the protocol says. */
enum http_proto_next {
    HTTP_NEXT_KEEP,   /* stay open */
    HTTP_NEXT_LINGER, /* done (last answer written, HTTP/2 session over):
                       * half-close, drain input until EOF or a deadline */
};

/* A protocol's side of a connection. All but respond take the connection
 * whose c->proto this is; c->proto_state is the protocol's own record. */
struct http_proto {
    const char *name;
    /* Creates c->proto_state; -1: close the connection. */
    int (*start)(struct http_conn *c);
    /* New bytes in c->in (the protocol consumes what it uses); -1: close. */
    int (*input)(struct http_conn *c);
    /* Before writing: held-back work into c->out; -1: close. */
    int (*produce)(struct http_conn *c);
    /* After writing (out empty or not): keep, close or linger. */
    enum http_proto_next (*after_write)(struct http_conn *c);
    /* May the server read more (pipeline and size limits)? */
    bool (*wants_read)(const struct http_conn *c);
    /* The peer closed its side; true: close now (a request is unanswered). */
    bool (*peer_closed)(struct http_conn *c);
    /* When the protocol's timer is due; idle is the server's idle deadline. */
    uint64_t (*deadline)(const struct http_conn *c, uint64_t idle);
    /* The deadline passed with nothing unsent; false: close the connection. */
    bool (*timeout)(struct http_conn *c, uint64_t now);
    /* Server shutdown; true: close now (nothing pending). */
    bool (*shutdown)(struct http_conn *c);
    void (*respond)(struct http_exchange *ex, int status, const struct http_header *headers,
                    size_t n, const char *body, size_t body_len);
    /* Cancels unanswered exchanges, frees c->proto_state. */
    void (*close)(struct http_conn *c);
};

extern const struct http_proto http_h1_proto;
extern const struct http_proto http_h2_proto;

struct http_conn {
    struct http_env *env;
    int fd;
    struct http_conn *prev, *next; /* the server's connections */
    struct http_conn *dirty_next;
    bool dirty;
    bool dead;                      /* being closed: answers are dropped */
    bool read_eof;                  /* the peer closed its side */
    bool close_when_done;           /* close once output and pending work are done */
    bool lingering;                 /* done: discard input until EOF or deadline */
    bool plain_on_tls;              /* plaintext client of a TLS port: requests refused */
    const struct http_proto *proto; /* NULL until the first bytes decide */
    void *proto_state;
    unsigned io_events;
    struct buf in, out;
    size_t out_accounted;                    /* this connection's share of env->out_total */
    uint64_t out_sent;                       /* bytes of out ever written */
    struct http_watch *watches, *watch_tail; /* delivery watches, by offset */
    struct loop_timer timer;
    uint64_t accepted_ns; /* no protocol (no request) yet: request_timeout from here */
    uint64_t last_activity_ns;
    uint64_t linger_deadline_ns;
};

uint64_t http_conn_now(const struct http_conn *c);
/* Queues c for the flush hook (output to write, held-back input). */
void http_conn_mark_dirty(struct http_conn *c);
/* Re-evaluates c's deadline and arms its timer if it moved earlier. */
void http_conn_schedule(struct http_conn *c);
uint64_t http_conn_deadline(const struct http_conn *c);
/* Brings env->out_total up to date with c's unsent output; then whether c
 * may take more output (dispatch more requests, read more): at most
 * HTTP_OUT_HIGH_WATER unsent, HTTP_OUT_LOW_WATER while the server is over
 * max_output_bytes (see http_server.h "Memory bounds"). */
bool http_conn_may_dispatch(struct http_conn *c);
void http_conn_account_out(struct http_conn *c);
/* Calls the server's handler for a complete request. */
void http_conn_dispatch(struct http_conn *c, struct http_exchange *ex,
                        const struct http_request *req);

/* Watches ex's response (if it asked), whose bytes are all in c->out now;
 * end_pending: its end is fixed by the next http_conn_watch_settle(). */
void http_conn_watch(struct http_conn *c, struct http_exchange *ex, bool end_pending);
void http_conn_watch_settle(struct http_conn *c); /* pending ends = end of c->out */
/* Reports the watches whose bytes are all written; with closing, all of
 * them (those not written as lost). */
void http_conn_watches_report(struct http_conn *c, bool closing);
/* Reports ex's watch (if any) as not delivered. */
void http_exchange_lost(struct http_exchange *ex);

#endif
