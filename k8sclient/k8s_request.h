/*
 * k8s_request: the one request builder and response decoder shared by every
 * call (pods, leases, watches, informer lists).
 *
 * A request goes through: rate limiter (FIFO, delayed, never dropped) ->
 * credentials (k8s_cred_get; an exec plugin may make it wait on a pipe) ->
 * one HTTP transfer on the client's multi handle -> decode. Then:
 *   - 401: the credential is invalidated and the request retried once;
 *   - 429 or 5xx with a numeric Retry-After: retried after that many seconds,
 *     through the rate limiter again, at most max_retries times (client-go's
 *     rules; no Retry-After -> no retry);
 *   - a GET whose connection was lost (reset, EOF, GOAWAY, a TLS handshake
 *     cut by the peer) is sent again after 200 ms x attempt, within the
 *     same retry budget (client-go);
 *   - otherwise the callback runs once with the outcome.
 * The response body is buffered up to a cap (K8S_ETOOBIG beyond it). A
 * streaming request (spec.on_data) gets 2xx body bytes as they arrive
 * instead; an error body is still buffered and decoded into a k8s_error.
 *
 * Callback contract: if k8s_request_start() returns an error, no callback
 * will ever run. Otherwise `done` runs exactly once, never from inside
 * k8s_request_start(): with the result, with K8S_ECANCELED from
 * k8s_request_cancel() (synchronously) or k8s_client_free(). The request is
 * freed by the library right after `done` returns.
 *
 * Ownership: the spec's strings and body are copied. The response passed to
 * `done` (body, error) is borrowed for the duration of the callback.
 */
#ifndef K8S_REQUEST_H
#define K8S_REQUEST_H

#include <stddef.h>

#include "k8s_client.h"
#include "k8s_error.h"

struct k8s_request;

struct k8s_response {
    enum k8s_status status; /* K8S_OK for a 2xx response */
    long http_code;         /* 0 if no HTTP response was received */
    const char *body;       /* NUL-terminated, "" when empty */
    size_t body_len;
    const struct k8s_error *error; /* NULL when status == K8S_OK */
};

typedef void k8s_request_done_fn(void *arg, const struct k8s_response *resp);
/* Streaming: called with 2xx body bytes; a status other than K8S_OK aborts
 * the transfer and becomes the request's status. */
typedef enum k8s_status k8s_request_data_fn(void *arg, const char *data, size_t len);

enum k8s_request_flags {
    K8S_REQ_NO_RETRY = 1u << 0, /* no 429/5xx retries (the caller backs off) */
    K8S_REQ_WATCH = 1u << 1,    /* long-lived: no whole-transfer timeout */
};

struct k8s_request_spec {
    const char *method;       /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *path;         /* "/api/v1/namespaces/ns/pods" (already escaped) */
    const char *query;        /* encoded, without '?'; NULL or "" for none */
    const char *content_type; /* exactly one, when body is set */
    const char *body;
    size_t body_len;
    unsigned flags; /* enum k8s_request_flags */
    k8s_request_data_fn *on_data;
};

/* *out (may be NULL) is valid until `done` runs. */
enum k8s_status k8s_request_start(struct k8s_client *c, const struct k8s_request_spec *spec,
                                  k8s_request_done_fn *done, void *arg, struct k8s_request **out);
/* Runs `done` now with K8S_ECANCELED; r must not be used afterwards. */
void k8s_request_cancel(struct k8s_request *r);

#endif
