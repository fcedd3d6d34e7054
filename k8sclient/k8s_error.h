/*
 * k8s_error: the status enum of the k8sclient library and its error record.
 *
 * Every fallible k8sclient function returns an `enum k8s_status` and, when
 * given one, fills a caller-owned `struct k8s_error`. The error is a plain
 * value (fixed-size buffers, no heap), so it can be copied, kept in a struct
 * or dropped without any free call. Strings are always NUL-terminated and
 * silently truncated to their buffer.
 *
 * When the API server answered with an error, `k8s_error_from_response()`
 * decodes the body: a `Status` JSON object (reason, message, details.kind,
 * details.name, details.group, details.causes[0], details.retryAfterSeconds)
 * or any other body (plain text such as API Priority and Fairness' 429
 * "Too many requests, please try again later."), whose trimmed text becomes
 * the message and whose reason is derived from the HTTP code the way
 * client-go does (429 -> TooManyRequests, 504 -> Timeout, ...).
 *
 * Retry-After: only the delta-seconds form ("3") is understood, as in
 * client-go (`rest/request.go` retryAfterSeconds uses Atoi). The HTTP-date
 * form is ignored and leaves `retry_after_seconds` at -1 (no retry hint).
 *
 * Configuration errors put "file:line:col: field" in `detail` (line and
 * column are 1-based, from libyaml's marks) and a human sentence in
 * `message`.
 *
 * Callers: every k8sclient module; the transport (k8s_client.c) decodes
 * HTTP error responses and watch ERROR events with the functions below.
 * No global state; all functions are reentrant.
 */
#ifndef K8S_ERROR_H
#define K8S_ERROR_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

enum k8s_status {
    K8S_OK = 0,
    K8S_ENOMEM,        /* allocation failed */
    K8S_EINVAL,        /* bad argument or malformed input given by the caller */
    K8S_ECONFIG,       /* kubeconfig / in-cluster configuration invalid or missing */
    K8S_ENOTINCLUSTER, /* KUBERNETES_SERVICE_HOST/PORT not set */
    K8S_EIO,           /* file or pipe I/O failed (errno text in message) */
    K8S_ETRANSPORT,    /* connection, TLS or HTTP framing failure (curl) */
    K8S_EHTTP,         /* the API server answered with an error (http_code, Status) */
    K8S_EAUTH,         /* credential could not be obtained (token file, exec plugin) */
    K8S_ETIMEOUT,      /* a deadline passed */
    K8S_EPROTO,        /* the server or plugin sent something we cannot decode */
    K8S_ETOOBIG,       /* a size cap was hit (exec output, response body) */
    K8S_ECANCELED,     /* the operation was cancelled by the caller */
};

/* Stable lower-case name of a status ("ok", "out of memory", ...). Never NULL. */
const char *k8s_status_str(enum k8s_status status);

#define K8S_ERROR_REASON_MAX  64
#define K8S_ERROR_MESSAGE_MAX 1024
#define K8S_ERROR_KIND_MAX    64
#define K8S_ERROR_NAME_MAX    256
#define K8S_ERROR_GROUP_MAX   128
#define K8S_ERROR_DETAIL_MAX  512

struct k8s_error {
    enum k8s_status status;
    long http_code;                          /* 0 when no HTTP response was involved */
    char reason[K8S_ERROR_REASON_MAX];       /* Status.reason, e.g. "NotFound", "Expired" */
    char message[K8S_ERROR_MESSAGE_MAX];     /* human text (Status.message or our own) */
    char kind[K8S_ERROR_KIND_MAX];           /* Status.details.kind, e.g. "pods" */
    char name[K8S_ERROR_NAME_MAX];           /* Status.details.name */
    char group[K8S_ERROR_GROUP_MAX];         /* Status.details.group ("" for core) */
    char cause_reason[K8S_ERROR_REASON_MAX]; /* details.causes[0].reason */
    char cause_field[K8S_ERROR_GROUP_MAX];   /* details.causes[0].field */
    int retry_after_seconds;           /* numeric Retry-After header, -1 when absent/unparsable */
    int status_retry_seconds;          /* Status.details.retryAfterSeconds, -1 when absent */
    char detail[K8S_ERROR_DETAIL_MAX]; /* config errors: "file:line:col: field" */
};

/* Resets every field: status K8S_OK, numbers 0 / -1, strings empty. */
void k8s_error_clear(struct k8s_error *err);

/*
 * Sets err->status and a printf-formatted message (other fields are cleared
 * first). `err` may be NULL, then nothing happens. Returns `status` so that
 * callers can write `return k8s_error_set(err, K8S_EINVAL, "...")`.
 */
enum k8s_status k8s_error_set(struct k8s_error *err, enum k8s_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets err->detail (printf-formatted); leaves the other fields. NULL err is allowed. */
void k8s_error_set_detail(struct k8s_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Decodes an error response. `content_type` and `retry_after_header` may be
 * NULL; `body` may be NULL when len is 0 and need not be NUL-terminated.
 * A body that parses as a JSON object with "kind":"Status" (or any object
 * with a string "reason"/"message") is decoded as a Status; anything else is
 * taken as text. Always fills `out` (status K8S_EHTTP, http_code) and
 * returns K8S_EHTTP, or K8S_ENOMEM if memory ran out while parsing (out is
 * still filled with a reason derived from http_code).
 */
enum k8s_status k8s_error_from_response(long http_code, const char *content_type, const char *body,
                                        size_t len, const char *retry_after_header,
                                        struct k8s_error *out);

/*
 * Decodes an already parsed Status object (for instance the "object" of a
 * watch ERROR event). http_code is taken from Status.code (0 if missing).
 * Returns K8S_EHTTP and fills `out`; K8S_EPROTO if `status_obj` is not an
 * object.
 */
enum k8s_status k8s_error_from_status_json(const struct cJSON *status_obj, struct k8s_error *out);

/*
 * Decodes one watch event line {"type":"ERROR","object":{Status}}.
 * Returns K8S_EHTTP with `out` filled for an ERROR event, K8S_EPROTO when
 * the text is not a watch ERROR event, K8S_ENOMEM on allocation failure.
 */
enum k8s_status k8s_error_from_watch_event(const char *line, size_t len, struct k8s_error *out);

/* Parses a Retry-After header value: non-negative delta-seconds -> value
 * (capped at 86400), anything else (NULL, HTTP-date, garbage) -> -1. */
int k8s_error_parse_retry_after(const char *value);

/* Predicates, following client-go's apierrors. All accept NULL (-> false). */
bool k8s_error_is_expired(const struct k8s_error *err);      /* 410, or reason Expired/Gone */
bool k8s_error_is_too_large_rv(const struct k8s_error *err); /* 504 cause ResourceVersionTooLarge */
bool k8s_error_is_conflict(const struct k8s_error *err);     /* 409 reason Conflict */
bool k8s_error_is_already_exists(const struct k8s_error *err); /* 409 reason AlreadyExists */
bool k8s_error_is_not_found(const struct k8s_error *err);      /* 404 or reason NotFound */
bool k8s_error_is_unauthorized(const struct k8s_error *err);   /* 401 */
bool k8s_error_is_forbidden(const struct k8s_error *err);      /* 403 */
bool k8s_error_is_invalid(const struct k8s_error *err);        /* 422 or reason Invalid */
/* client-go rest.checkWait: (429 or >= 500) AND a numeric Retry-After header. */
bool k8s_error_is_retryable(const struct k8s_error *err);

#endif
