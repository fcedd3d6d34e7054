/*
 * k8s_client: the connection to one Kubernetes API server.
 *
 * Design: one libcurl multi handle per client, HTTP/2 over TLS with
 * multiplexing (CURL_HTTP_VERSION_2TLS + CURLPIPE_MULTIPLEX + PIPEWAIT), so
 * every request and every watch share one TLS connection (ALPN falls back to
 * HTTP/1.1 with keep-alive when the server has no h2, or always with
 * options.http1_only). Nothing blocks: the
 * client is driven by the caller's event loop through struct k8s_loop_ops
 * (curl's multi-socket API underneath). The loop tells the client about
 * ready descriptors (k8s_client_on_fd) and an expired timer
 * (k8s_client_on_timeout); the client asks the loop to watch descriptors and
 * to arm its single timer. Tools and tests without a loop pass ops == NULL
 * and call k8s_client_run(), a small poll(2) driver.
 *
 * The client owns every curl handle, its timers (k8s_timer.h, multiplexed
 * onto the loop's one timer) and a client-side token-bucket rate limiter
 * shared by all requests (k8s_ratelimit.h). Requests themselves live in
 * k8s_request.h.
 *
 * Ownership: k8s_client_new() copies everything it needs from the config
 * except cfg->cred, which it borrows: the credential source must outlive the
 * client. k8s_client_free() cancels every live request (each callback runs
 * once with K8S_ECANCELED) and must not be called from inside one of the
 * client's callbacks. Free watches and informers before their client
 * (freeing them afterwards is tolerated: their timers were disarmed).
 * Single-threaded: all calls on one thread.
 *
 * Connections: at most max_in_flight transfers run at once (watches
 * included); the rest wait in a FIFO, so all of them fit in one HTTP/2
 * connection's stream limit (libcurl would otherwise open a connection per
 * extra transfer). Calls started from inside a curl callback (a watch event
 * handler) also wait there until curl returns. HTTP/2 PINGs are not sent
 * (libcurl 7.88 has no option for it); TCP keep-alive (30 s idle, 15 s
 * interval) and the watch idle timeout detect dead connections instead.
 *
 * GOAWAY (measured against the simulator, libcurl 7.88.1): libcurl retries
 * the transfers whose stream id is above the GOAWAY's last-stream-id, and
 * only those, each on a fresh connection of its own (so one GOAWAY can open
 * up to max_in_flight connections, pooled afterwards). Retrying those is
 * right for every method, POST included: RFC 9113 section 6.8 says the
 * server did not process them, and Go's HTTP/2 transport (client-go) does
 * the same. Streams at or below it are answered on the old connection.
 * libcurl 7.88 also sends RST_STREAM(STREAM_CLOSED) after nearly every
 * finished stream; Go's server (kube-apiserver) ignores those, while
 * nghttp2 >= 1.57 servers (Node's http2) count them as rapid resets and
 * send GOAWAY(INTERNAL_ERROR) after about 1,000. libcurl also replays a
 * request whose reused connection died before any response byte, whatever
 * the method; a POST the server had processed is then sent twice (client-go
 * would fail it instead). We cannot turn that off in 7.88.
 *
 * Client certificates from an exec plugin: a new certificate never reuses a
 * connection made with the old one (libcurl matches connections on the
 * certificate); pooled old connections close after libcurl's 118 s idle
 * limit, and watches running on one keep it until they end (at most their
 * timeoutSeconds). libcurl 7.88 offers no call to close them sooner.
 */
#ifndef K8S_CLIENT_H
#define K8S_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "k8s_error.h"
#include "k8s_verb.h"

struct k8s_client;
struct k8s_config;

enum k8s_io {
    K8S_IO_READ = 1u << 0,
    K8S_IO_WRITE = 1u << 1,
};

struct k8s_loop_ops {
    /* Watch fd for events (K8S_IO_*), replacing earlier interest; events == 0
     * stops watching fd. Call k8s_client_on_fd() when it is ready. */
    void (*watch_fd)(void *ctx, int fd, unsigned events);
    /* Call k8s_client_on_timeout() once, ms milliseconds from now (0: on the
     * next loop turn, never from inside this call); ms < 0 disarms. Each call
     * replaces the previous timer. */
    void (*set_timer)(void *ctx, long ms);
};

struct k8s_client_options {
    double qps;              /* tokens per second; <= 0 disables the limiter (default 5) */
    int burst;               /* bucket size (default 10) */
    size_t max_response;     /* bytes of one response body (default 32 MiB) */
    size_t max_watch_line;   /* bytes of one watch event (default 16 MiB) */
    long connect_timeout_ms; /* default 10 000 */
    long request_timeout_ms; /* non-watch requests, whole transfer (default 60 000) */
    int max_retries;         /* 429/5xx with a numeric Retry-After (default 10) */
    int max_in_flight;       /* transfers at once, watches included (default 100, the
                                apiserver's HTTP/2 stream limit); more wait in a queue */
    const char *user_agent;  /* default "prewarm-k8sclient/1" */
    bool http1_only;         /* HTTP/1.1 keep-alive only, no h2 (client-go's DISABLE_HTTP2):
                                one connection per transfer in flight */
};

struct k8s_client_stats {
    uint64_t requests;    /* requests started by callers */
    uint64_t attempts;    /* HTTP transfers, retries included */
    uint64_t retries;     /* 429/5xx/401 retries */
    uint64_t connections; /* TCP connections opened by libcurl */
    uint64_t throttled;   /* requests delayed by the rate limiter */
    uint64_t gated;       /* requests that waited for an in-flight slot */
    /* HTTP attempts by verb and answer (k8s_verb.h), each counted once: when
     * its status line arrives, or when it ends without one ("error"). */
    uint64_t answers[K8S_VERB_COUNT][K8S_ANSWER_SLOTS];
    /* The latest counted attempt got no HTTP answer or a 5xx (false until
     * one does): the API server looks unreachable. */
    bool failing;
};

void k8s_client_options_default(struct k8s_client_options *o);

/* opt NULL: defaults. ops NULL: use k8s_client_run(). On error *out is NULL
 * and nothing is left allocated. */
enum k8s_status k8s_client_new(const struct k8s_config *cfg, const struct k8s_client_options *opt,
                               const struct k8s_loop_ops *ops, void *loop_ctx,
                               struct k8s_client **out);
void k8s_client_free(struct k8s_client *c);

void k8s_client_on_fd(struct k8s_client *c, int fd, unsigned events);
void k8s_client_on_timeout(struct k8s_client *c);

/* Built-in driver (ops == NULL only): waits at most timeout_ms for activity
 * and handles it. Returns 0, or -1 if the client has a loop adapter. */
int k8s_client_run(struct k8s_client *c, int timeout_ms);
/* Runs the built-in driver until done(arg) is true (returns 0) or timeout_ms
 * passes (returns -1). */
int k8s_client_run_until(struct k8s_client *c, int (*done)(void *arg), void *arg, int timeout_ms);

/* Default namespace from the config ("default" when unset). */
const char *k8s_client_namespace(const struct k8s_client *c);
void k8s_client_get_stats(const struct k8s_client *c, struct k8s_client_stats *out);
/* A pseudo-random number from the client's own generator (jitter). */
uint64_t k8s_client_random(struct k8s_client *c);

#endif
