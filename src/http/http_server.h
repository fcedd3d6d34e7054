/*
 * http_server: prewarm's HTTP/1.1 and HTTP/2 (h2c, prior knowledge) server,
 * with optional TLS per listening port (http_server_listen_tls; ALPN h2 or
 * http/1.1 there, never h2c).
 *
 * One listening socket serves both protocols: the first bytes of a connection
 * decide. The HTTP/2 client preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") hands
 * the connection to an nghttp2 server session; anything else goes to the
 * HTTP/1.1 parser (http_parser.h). Everything runs on the caller's loop
 * (loop.h); nothing blocks and nothing here takes a lock.
 *
 * Request model: the handler is called once per complete request (headers and
 * the whole body, within the size caps). It answers with http_respond()
 * exactly once, either during the call or later ("deferred", e.g. a claim
 * waiting for a pod). A deferred exchange stays valid until it is answered or
 * until its cancel callback runs (the client closed the connection or reset
 * the HTTP/2 stream first); after either, the exchange pointer is invalid.
 *
 * Ownership: the server owns connections, exchanges and every buffer. The
 * request passed to the handler (strings, headers, body) is valid only during
 * the handler call: copy what you keep. http_respond() copies the headers and
 * the body. Output is batched per connection and written in the loop's
 * before-sleep hook, so answering never frees anything and may be called from
 * any loop callback (timers, other connections, child watches).
 *
 * HTTP/1.1 behaviour: keep-alive (HTTP/1.0 closes after the response unless
 * it asks for keep-alive), "Connection: close", pipelining (responses are
 * written strictly in request order; answers to later requests wait behind a
 * deferred earlier one), Content-Length request bodies only. Request bodies
 * with Transfer-Encoding are refused: "chunked" with 411 LengthRequired, any
 * other coding with 501 NotImplemented. "Expect: 100-continue" gets an interim
 * 100 when the declared body fits the cap, 413 otherwise; other expectations
 * get 417. Header block over the cap -> 431, body over the cap -> 413,
 * malformed request -> 400; all of these send a JSON error and close.
 * A request that is not complete within request_timeout gets 408 and close;
 * a new connection that has not sent a whole request (nor the HTTP/2
 * preface) within request_timeout of its accept is closed, so silent
 * connections cannot hold slots; a keep-alive connection idle for
 * idle_timeout after a complete request is closed. A client that
 * closes its sending side while a request is still unanswered is taken as
 * gone (its exchanges are cancelled); answered ones are still delivered.
 * After an error answer the server half-closes and drains the input for up
 * to 2 s so that the client reads the answer instead of a reset.
 *
 * HTTP/2 behaviour: streams are multiplexed; each complete request stream
 * calls the handler; the same caps apply per stream (431/413 answered on the
 * stream); a client RST_STREAM on a pending stream runs its cancel callback.
 * http_server_shutdown() sends GOAWAY and lets open streams finish.
 * A stream whose request is not complete within request_timeout, or whose
 * answer the client does not take within it, is reset (RST_STREAM CANCEL);
 * a connection without open streams for idle_timeout gets GOAWAY and closes.
 *
 * Response: the server always adds Content-Length (except on 204 and 304,
 * which carry no body; an answer to HEAD declares the length and sends no
 * body), never Date; it adds no
 * Content-Type unless the caller passes one. Header names given by the
 * caller are sent as given on HTTP/1.1 and lower-cased on HTTP/2. Callers
 * must not pass Content-Length, Connection or Transfer-Encoding.
 *
 * Error bodies: every error prewarm returns over HTTP is a JSON object shaped
 * like a Kubernetes Status, with Content-Type application/json:
 *   {"status":"Failure","code":400,"reason":"BadRequest","message":"human text"}
 * `reason` is a stable CamelCase code clients may switch on; `message` is for
 * humans. http_respond_error() builds it. The server's own reasons:
 * BadRequest (400), RequestTimeout (408), LengthRequired (411),
 * RequestEntityTooLarge (413), ExpectationFailed (417),
 * RequestHeaderFieldsTooLarge (431), NotImplemented (501),
 * HTTPVersionNotSupported (505).
 *
 * Admission: at most max_connections open, and max_per_address from one
 * client address; further accepts are closed at once.
 *
 * Memory bounds: a connection stops reading and stops dispatching pipelined
 * requests while its unsent output is above HTTP_OUT_HIGH_WATER (256 KiB);
 * while the unsent output of all connections together is above
 * max_output_bytes (until it is back under half), the bound per connection
 * is 16 KiB, so clients that read still get answers and the ones that do not
 * wait. Unsent output is thus at most max_output_bytes plus, per connection,
 * 16 KiB and one answer; buffered input at most max_header_bytes +
 * max_body_bytes + 16 KiB per connection; HTTP/2 streams hold at most
 * max_streams answers each. Over TLS the bounds count plaintext; OpenSSL adds
 * its record buffers (about 34 KiB while a connection transfers, released
 * when it is idle).
 *
 * Callers: src/api (routes), main.c, bench/http_echo_server.c, tests.
 */
#ifndef PREWARM_HTTP_SERVER_H
#define PREWARM_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

struct http_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* Valid only during the handler call; copy what you keep. */
struct http_request {
    const char *method; /* as sent; unknown methods are passed through */
    size_t method_len;
    const char *path; /* request target without the query ("?..." removed) */
    size_t path_len;
    const char *query; /* after '?', without it; query_len 0 when absent */
    size_t query_len;
    const struct http_header *headers; /* HTTP/2 names are lower case */
    size_t header_count;
    const char *body; /* never NULL; body_len 0 when there is no body */
    size_t body_len;
    int http_version; /* 10, 11 or 20 */
};

/* One request awaiting its response; owned by the server. */
struct http_exchange;
struct http_server;

typedef void http_handler_fn(void *ctx, struct http_exchange *ex, const struct http_request *req);
/* The client went away before the response; the exchange is gone after this. */
typedef void http_cancel_fn(void *data);
/* What became of a watched response (http_exchange_on_sent): delivered is
 * true once its last byte was handed to the kernel, false if the connection
 * closed or the HTTP/2 stream was reset first. Called exactly once. */
typedef void http_sent_fn(void *data, bool delivered);

/* Any field left 0 takes the default in brackets. */
struct http_server_config {
    size_t max_header_bytes;     /* request line + headers [16 KiB] */
    size_t max_body_bytes;       /* [1 MiB] */
    size_t max_connections;      /* further accepts are closed at once [4096] */
    size_t max_per_address;      /* connections from one client address [256];
                                    further ones are closed at once */
    size_t max_output_bytes;     /* unsent output of all connections together
                                    [64 MiB]; see "Memory bounds" */
    uint64_t idle_timeout_ns;    /* keep-alive connection with nothing pending [60 s] */
    uint64_t request_timeout_ns; /* first byte of a request to its end [10 s] */
    size_t max_pipelined;        /* HTTP/1.1 requests in flight per connection;
                                    reading pauses beyond it [16] */
    size_t max_streams;          /* HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS [128] */
};

/* Never fails (out of memory aborts, oom.h). Nothing listens until
 * http_server_listen. */
struct http_server *http_server_new(struct loop *loop, const struct http_server_config *cfg,
                                    http_handler_fn *handler, void *ctx);

/* Binds host (an IPv4/IPv6 literal or NULL for 127.0.0.1) and port (0 picks
 * an ephemeral port, written to *bound_port if not NULL) and starts accepting.
 * Returns 0, or -1 with errno set. May be called several times (several ports). */
int http_server_listen(struct http_server *s, const char *host, uint16_t port,
                       uint16_t *bound_port);

/* The same with TLS (http_tls.h) on this port: HTTP/1.1 and HTTP/2 (by
 * ALPN) over TLS only; a plaintext request gets a plaintext 400 BadRequest
 * and the connection closes. tls stays the caller's and must outlive the
 * server; reloading it (http_tls_reload) affects new connections only. */
struct http_tls;
int http_server_listen_tls(struct http_server *s, const char *host, uint16_t port,
                           struct http_tls *tls, uint16_t *bound_port);

/* Serves an already connected stream socket (socket activation, socketpair
 * in tests and fuzzers); the server owns fd from now on, even on failure.
 * Returns 0, or -1 with errno set. */
int http_server_adopt(struct http_server *s, int fd);

/* Graceful stop: closes the listeners, sends GOAWAY on HTTP/2 connections,
 * closes idle HTTP/1.1 connections and the others once their pending responses
 * are written. Deferred exchanges can still be answered. */
void http_server_shutdown(struct http_server *s);
/* Open connections (to wait for a graceful stop to drain). */
size_t http_server_connection_count(const struct http_server *s);

/* Connections accepted and closed at once, by why (admission above). */
struct http_server_stats {
    uint64_t refused_full;        /* max_connections reached */
    uint64_t refused_per_address; /* max_per_address reached for the client */
};
void http_server_get_stats(const struct http_server *s, struct http_server_stats *out);

/* Closes every connection at once: pending exchanges get their cancel
 * callback (without any write), then everything is freed. NULL is a no-op.
 * Not from inside a handler; http_server_shutdown() may be called anywhere. */
void http_server_free(struct http_server *s);

/* Answers the exchange, exactly once; ex is invalid afterwards. headers and
 * body are copied. status must be 200-999 (anything else is sent as 500).
 * Must not be called from inside the exchange's own cancel callback. */
void http_respond(struct http_exchange *ex, int status, const struct http_header *headers, size_t n,
                  const char *body, size_t body_len);

/* Answers with the JSON error body described above; reason is CamelCase
 * ("BadRequest", "NotFound", ...), message human text (both are escaped). */
void http_respond_error(struct http_exchange *ex, int status, const char *reason,
                        const char *message);
/* The same with up to HTTP_ERROR_EXTRA_HEADERS more headers (Retry-After,
 * Allow, ...); extra headers beyond that are dropped. */
#define HTTP_ERROR_EXTRA_HEADERS 4
void http_respond_error_with(struct http_exchange *ex, int status, const char *reason,
                             const char *message, const struct http_header *extra, size_t n);

/* Sets (or replaces, or clears with cb NULL) the callback run if the client
 * goes away before http_respond. */
void http_exchange_on_cancel(struct http_exchange *ex, http_cancel_fn *cb, void *data);

/* Asks to hear what became of the response (see http_sent_fn); call it
 * before http_respond(). The callback runs after http_respond() returned,
 * from the loop or from http_server_free(), never from http_respond(). An
 * answer the client never reads because it left is how a caller learns that
 * what it answered was not taken (prewarmd releases such a claim).
 * "Delivered" is the best a server can know: the bytes left this process. */
void http_exchange_on_sent(struct http_exchange *ex, http_sent_fn *cb, void *data);

/* Request ids: every answer carries X-Request-Id, the caller's own (up to
 * HTTP_REQUEST_ID_MAX of [A-Za-z0-9._:-]) or one the server makes; handlers
 * log it with their lines for the request. */
#define HTTP_REQUEST_ID_MAX 64
const char *http_exchange_request_id(const struct http_exchange *ex);
/* Sets the id from a caller's value (len bytes), or makes one if it is not
 * a valid id. The server calls it before the handler. */
void http_exchange_set_request_id(struct http_exchange *ex, const char *id, size_t len);

/* Case-insensitive header lookup; returns the first value or NULL. */
const char *http_request_header(const struct http_request *req, const char *name,
                                size_t *value_len);

/* Standard reason phrase for a status code ("OK", "Not Found"); "Unknown" otherwise. */
const char *http_status_text(int status);

#endif
