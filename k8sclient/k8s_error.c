/* k8s_error: status names, error records and Status decoding (see k8s_error.h). */
#include "k8s_error.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *k8s_status_str(enum k8s_status status)
{
    switch (status) {
    case K8S_OK:
        return "ok";
    case K8S_ENOMEM:
        return "out of memory";
    case K8S_EINVAL:
        return "invalid argument";
    case K8S_ECONFIG:
        return "invalid configuration";
    case K8S_ENOTINCLUSTER:
        return "not running in a cluster";
    case K8S_EIO:
        return "i/o error";
    case K8S_ETRANSPORT:
        return "transport error";
    case K8S_EHTTP:
        return "api error";
    case K8S_EAUTH:
        return "authentication error";
    case K8S_ETIMEOUT:
        return "timeout";
    case K8S_EPROTO:
        return "protocol error";
    case K8S_ETOOBIG:
        return "too big";
    case K8S_ECANCELED:
        return "canceled";
    }
    return "unknown status";
}

void k8s_error_clear(struct k8s_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
    err->retry_after_seconds = -1;
    err->status_retry_seconds = -1;
}

/* Copies at most len bytes of src into dst[size], always NUL-terminated. */
static void copy_bounded(char *dst, size_t size, const char *src, size_t len)
{
    if (len >= size)
        len = size - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static void copy_str(char *dst, size_t size, const char *src)
{
    copy_bounded(dst, size, src ? src : "", src ? strlen(src) : 0);
}

enum k8s_status k8s_error_set(struct k8s_error *err, enum k8s_status status, const char *fmt, ...)
{
    if (!err)
        return status;
    k8s_error_clear(err);
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return status;
}

void k8s_error_set_detail(struct k8s_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
}

int k8s_error_parse_retry_after(const char *value)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (!isdigit((unsigned char)*value))
        return -1;
    long long v = 0;
    for (; isdigit((unsigned char)*value); value++) {
        if (v < 86400)
            v = v * 10 + (*value - '0');
    }
    while (*value == ' ' || *value == '\t')
        value++;
    if (*value != '\0')
        return -1;
    return v > 86400 ? 86400 : (int)v;
}

/* client-go's reason for an HTTP code when the body is not a Status. */
static const char *reason_for_code(long code)
{
    switch (code) {
    case 400:
        return "BadRequest";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "NotFound";
    case 405:
        return "MethodNotAllowed";
    case 406:
        return "NotAcceptable";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 413:
        return "RequestEntityTooLarge";
    case 415:
        return "UnsupportedMediaType";
    case 422:
        return "Invalid";
    case 429:
        return "TooManyRequests";
    case 500:
        return "InternalError";
    case 503:
        return "ServiceUnavailable";
    case 504:
        return "Timeout";
    default:
        return "Unknown";
    }
}

static const char *default_message(long code)
{
    switch (code) {
    case 401:
        return "Unauthorized";
    case 429:
        return "the server has received too many requests and has asked us to try again later";
    case 504:
        return "the server was unable to return a response in the time allotted, but may still "
               "be processing the request";
    default:
        return code >= 500 ? "an error on the server has prevented the request from succeeding"
                           : "the server responded with an error";
    }
}

static void copy_json_str(char *dst, size_t size, const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsString(it) && it->valuestring)
        copy_str(dst, size, it->valuestring);
}

static int json_int(const cJSON *obj, const char *key, int fallback)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(it) || it->valuedouble < INT_MIN || it->valuedouble > INT_MAX)
        return fallback;
    return (int)it->valuedouble;
}

static void decode_details(const cJSON *details, struct k8s_error *out)
{
    if (!cJSON_IsObject(details))
        return;
    copy_json_str(out->kind, sizeof(out->kind), details, "kind");
    copy_json_str(out->name, sizeof(out->name), details, "name");
    copy_json_str(out->group, sizeof(out->group), details, "group");
    int r = json_int(details, "retryAfterSeconds", -1);
    out->status_retry_seconds = r < 0 ? -1 : r;
    const cJSON *causes = cJSON_GetObjectItemCaseSensitive(details, "causes");
    const cJSON *first = cJSON_IsArray(causes) ? cJSON_GetArrayItem(causes, 0) : NULL;
    if (cJSON_IsObject(first)) {
        copy_json_str(out->cause_reason, sizeof(out->cause_reason), first, "reason");
        copy_json_str(out->cause_field, sizeof(out->cause_field), first, "field");
    }
}

/* Fills out from a Status object; keeps out->http_code unless it is 0. */
static void decode_status(const cJSON *st, struct k8s_error *out)
{
    copy_json_str(out->reason, sizeof(out->reason), st, "reason");
    copy_json_str(out->message, sizeof(out->message), st, "message");
    int code = json_int(st, "code", 0);
    if (out->http_code == 0 && code > 0)
        out->http_code = code;
    decode_details(cJSON_GetObjectItemCaseSensitive(st, "details"), out);
    if (out->reason[0] == '\0')
        copy_str(out->reason, sizeof(out->reason), reason_for_code(out->http_code));
    if (out->message[0] == '\0')
        copy_str(out->message, sizeof(out->message), default_message(out->http_code));
}

enum k8s_status k8s_error_from_status_json(const struct cJSON *status_obj, struct k8s_error *out)
{
    k8s_error_clear(out);
    out->status = K8S_EHTTP;
    if (!cJSON_IsObject(status_obj)) {
        out->status = K8S_EPROTO;
        copy_str(out->message, sizeof(out->message), "watch ERROR event without a Status object");
        return K8S_EPROTO;
    }
    decode_status(status_obj, out);
    return K8S_EHTTP;
}

static bool looks_like_status(const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return false;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
    if (cJSON_IsString(kind) && strcmp(kind->valuestring, "Status") == 0)
        return true;
    return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "reason")) ||
           cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "message"));
}

/* Text body: trimmed, control characters replaced by spaces. */
static void text_message(struct k8s_error *out, const char *body, size_t len)
{
    while (len > 0 && isspace((unsigned char)*body)) {
        body++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)body[len - 1]))
        len--;
    if (len == 0) {
        copy_str(out->message, sizeof(out->message), default_message(out->http_code));
        return;
    }
    copy_bounded(out->message, sizeof(out->message), body, len);
    for (char *p = out->message; *p; p++) {
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    }
}

enum k8s_status k8s_error_from_response(long http_code, const char *content_type, const char *body,
                                        size_t len, const char *retry_after_header,
                                        struct k8s_error *out)
{
    (void)content_type; /* the body decides: some proxies mislabel JSON */
    k8s_error_clear(out);
    out->status = K8S_EHTTP;
    out->http_code = http_code;
    out->retry_after_seconds = k8s_error_parse_retry_after(retry_after_header);
    if (!body)
        len = 0;
    cJSON *root = NULL;
    if (len > 0 && memchr("{ \t\r\n", body[0], 5))
        root = cJSON_ParseWithLength(body, len);
    if (looks_like_status(root)) {
        decode_status(root, out);
        out->http_code = http_code; /* the transport's code wins over Status.code */
    } else {
        copy_str(out->reason, sizeof(out->reason), reason_for_code(http_code));
        text_message(out, body, len);
    }
    cJSON_Delete(root);
    return K8S_EHTTP;
}

enum k8s_status k8s_error_from_watch_event(const char *line, size_t len, struct k8s_error *out)
{
    k8s_error_clear(out);
    cJSON *root = line ? cJSON_ParseWithLength(line, len) : NULL;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    enum k8s_status st;
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "ERROR") != 0) {
        st = k8s_error_set(out, K8S_EPROTO, "not a watch ERROR event");
    } else {
        st = k8s_error_from_status_json(cJSON_GetObjectItemCaseSensitive(root, "object"), out);
    }
    cJSON_Delete(root);
    return st;
}

static bool reason_is(const struct k8s_error *err, const char *reason)
{
    return strcmp(err->reason, reason) == 0;
}

bool k8s_error_is_expired(const struct k8s_error *err)
{
    if (!err || err->status != K8S_EHTTP)
        return false;
    return err->http_code == 410 || reason_is(err, "Expired") || reason_is(err, "Gone");
}

bool k8s_error_is_too_large_rv(const struct k8s_error *err)
{
    if (!err || err->status != K8S_EHTTP)
        return false;
    if (strcmp(err->cause_reason, "ResourceVersionTooLarge") == 0)
        return true;
    return err->http_code == 504 && strstr(err->message, "Too large resource version") != NULL;
}

bool k8s_error_is_conflict(const struct k8s_error *err)
{
    return err && err->status == K8S_EHTTP && reason_is(err, "Conflict");
}

bool k8s_error_is_already_exists(const struct k8s_error *err)
{
    return err && err->status == K8S_EHTTP && reason_is(err, "AlreadyExists");
}

bool k8s_error_is_not_found(const struct k8s_error *err)
{
    return err && err->status == K8S_EHTTP && (err->http_code == 404 || reason_is(err, "NotFound"));
}

bool k8s_error_is_unauthorized(const struct k8s_error *err)
{
    return err && err->status == K8S_EHTTP && err->http_code == 401;
}

bool k8s_error_is_forbidden(const struct k8s_error *err)
{
    return err && err->status == K8S_EHTTP && err->http_code == 403;
}

bool k8s_error_is_invalid(const struct k8s_error *err)
{
    return err && err->status == K8S_EHTTP && (err->http_code == 422 || reason_is(err, "Invalid"));
}

bool k8s_error_is_retryable(const struct k8s_error *err)
{
    if (!err || err->status != K8S_EHTTP)
        return false;
    return (err->http_code == 429 || err->http_code >= 500) && err->retry_after_seconds >= 0;
}
