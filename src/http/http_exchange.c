/*
 * http_exchange: the public answering API (http_server.h): http_respond and
 * the JSON error answers, exchange callbacks, header lookup, status texts.
 * An answer goes to the protocol of the exchange's connection.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http_conn.h"
#include "json_out.h"

static bool request_id_valid(const char *id, size_t len)
{
    if (!id || len == 0 || len > HTTP_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

void http_exchange_set_request_id(struct http_exchange *ex, const char *id, size_t len)
{
    if (request_id_valid(id, len)) {
        memcpy(ex->request_id, id, len);
        ex->request_id[len] = '\0';
        return;
    }
    /* Unix time in ns, in hex: unique on this server (one thread, and the
     * clock moves between two requests) and across restarts. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(ex->request_id, sizeof ex->request_id, "%016llx",
             (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec);
}

const char *http_exchange_request_id(const struct http_exchange *ex)
{
    return ex->request_id;
}

#define RESPONSE_HEADERS_MAX 16

void http_respond(struct http_exchange *ex, int status, const struct http_header *headers, size_t n,
                  const char *body, size_t body_len)
{
    struct http_header all[RESPONSE_HEADERS_MAX];
    if (status < 200 || status > 999)
        status = 500; /* interim and invalid codes cannot end an exchange */
    if (!body)
        body_len = 0;
    if (!ex->request_id[0])
        http_exchange_set_request_id(ex, NULL, 0);
    if (n < RESPONSE_HEADERS_MAX) {
        if (n)
            memcpy(all, headers, n * sizeof *headers);
        all[n++] = (struct http_header){"X-Request-Id", 12, ex->request_id, strlen(ex->request_id)};
        headers = all;
    }
    ex->conn->proto->respond(ex, status, headers, n, body, body_len);
}

static void error_body(struct buf *b, int status, const char *reason, const char *message)
{
    JSON_LIT(b, "{\"status\":\"Failure\",\"code\":");
    json_uint(b, (uint64_t)status);
    JSON_LIT(b, ",\"reason\":");
    json_str(b, reason);
    JSON_LIT(b, ",\"message\":");
    json_str(b, message);
    JSON_LIT(b, "}");
}

void http_respond_error_with(struct http_exchange *ex, int status, const char *reason,
                             const char *message, const struct http_header *extra, size_t n)
{
    struct http_header headers[1 + HTTP_ERROR_EXTRA_HEADERS] = {
        {"Content-Type", 12, "application/json", 16}};
    size_t count = 1;
    for (size_t i = 0; i < n && count < sizeof(headers) / sizeof(headers[0]); i++)
        headers[count++] = extra[i];
    struct buf body = {0};
    error_body(&body, status, reason, message);
    http_respond(ex, status, headers, count, buf_start(&body), buf_size(&body));
    buf_free(&body);
}

void http_respond_error(struct http_exchange *ex, int status, const char *reason,
                        const char *message)
{
    http_respond_error_with(ex, status, reason, message, NULL, 0);
}

void http_exchange_on_sent(struct http_exchange *ex, http_sent_fn *cb, void *data)
{
    ex->sent_cb = cb;
    ex->sent_data = data;
}

void http_exchange_on_cancel(struct http_exchange *ex, http_cancel_fn *cb, void *data)
{
    ex->cancel_cb = cb;
    ex->cancel_data = data;
}

const char *http_request_header(const struct http_request *req, const char *name, size_t *value_len)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < req->header_count; i++) {
        const struct http_header *h = &req->headers[i];
        if (h->name_len == len && strncasecmp(h->name, name, len) == 0) {
            if (value_len)
                *value_len = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

static const struct {
    int status;
    const char *text;
} status_texts[] = {
    {100, "Continue"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {413, "Content Too Large"},
    {415, "Unsupported Media Type"},
    {417, "Expectation Failed"},
    {422, "Unprocessable Content"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
};

const char *http_status_text(int status)
{
    for (size_t i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]); i++)
        if (status_texts[i].status == status)
            return status_texts[i].text;
    return "Unknown";
}
