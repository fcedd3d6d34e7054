/* Tests for k8s_error: Status decoding on every real fixture, text bodies, Retry-After. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_cfgtest.h"
#include "k8s_error.h"

static struct k8s_error decode_fixture(const char *name, long code)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "k8s/status/%s", name);
    size_t len;
    char *body = cfgt_fixture(rel, &len);
    struct k8s_error e;
    cr_assert_eq(k8s_error_from_response(code, "application/json", body, len, NULL, &e), K8S_EHTTP);
    free(body);
    cr_assert_eq(e.status, K8S_EHTTP);
    cr_assert_eq(e.http_code, code);
    return e;
}

Test(status, fieldselector_400)
{
    struct k8s_error e = decode_fixture("400-fieldselector-unsupported.json", 400);
    cr_assert_str_eq(e.reason, "BadRequest");
    cr_assert_str_eq(e.message, "field label not supported: metadata.nam");
    cr_assert_eq(e.retry_after_seconds, -1);
    cr_assert_not(k8s_error_is_retryable(&e));
    cr_assert_not(k8s_error_is_not_found(&e));
}

Test(status, invalid_continue_400)
{
    struct k8s_error e = decode_fixture("400-invalid-continue-token.json", 400);
    cr_assert_str_eq(e.reason, "BadRequest");
    cr_assert(strstr(e.message, "invalid continue token: continue key is not valid") == e.message);
}

Test(status, patch_body_400)
{
    struct k8s_error e = decode_fixture("400-patch-body-not-jsonpatch.json", 400);
    cr_assert_str_eq(e.message, "error decoding patch: json: cannot unmarshal object into Go "
                                "value of type []handlers.jsonPatchOp");
}

Test(status, not_found_404)
{
    struct k8s_error e = decode_fixture("404-pod-notfound.json", 404);
    cr_assert_str_eq(e.reason, "NotFound");
    cr_assert_str_eq(e.message, "pods \"iac-pod-xxx\" not found");
    cr_assert_str_eq(e.kind, "pods");
    cr_assert_str_eq(e.name, "iac-pod-xxx");
    cr_assert_str_eq(e.group, "");
    cr_assert(k8s_error_is_not_found(&e));
    cr_assert_not(k8s_error_is_conflict(&e));
}

Test(status, already_exists_409)
{
    struct k8s_error e = decode_fixture("409-pod-alreadyexists-being-deleted.json", 409);
    cr_assert_str_eq(e.reason, "AlreadyExists");
    cr_assert_str_eq(e.name, "k8s-test-4c1d-ray-head");
    cr_assert(k8s_error_is_already_exists(&e));
    cr_assert_not(k8s_error_is_conflict(&e));
}

Test(status, conflict_409)
{
    struct k8s_error e = decode_fixture("409-pod-conflict-rv.json", 409);
    cr_assert(k8s_error_is_conflict(&e));
    cr_assert_not(k8s_error_is_already_exists(&e));
    cr_assert(strstr(e.message, "the object has been modified") != NULL);
    cr_assert_str_eq(e.name, "humiocluster-nodepool-labels-core-kufsfk");
}

Test(status, invalid_422_with_cause)
{
    struct k8s_error e = decode_fixture("422-listoptions-invalid.json", 422);
    cr_assert_str_eq(e.reason, "Invalid");
    cr_assert_str_eq(e.group, "meta.k8s.io");
    cr_assert_str_eq(e.kind, "ListOptions");
    cr_assert_str_eq(e.cause_reason, "FieldValueForbidden");
    cr_assert_str_eq(e.cause_field, "sendInitialEvents");
    cr_assert(k8s_error_is_invalid(&e));
}

Test(status, watch_error_event_410)
{
    size_t len;
    char *line = cfgt_fixture("k8s/status/410-watch-error-event-expired.json", &len);
    struct k8s_error e;
    cr_assert_eq(k8s_error_from_watch_event(line, len, &e), K8S_EHTTP);
    free(line);
    cr_assert_eq(e.http_code, 410);
    cr_assert_str_eq(e.reason, "Expired");
    cr_assert_str_eq(e.message, "too old resource version: 657887 (680402)");
    cr_assert(k8s_error_is_expired(&e));
    cr_assert_not(k8s_error_is_retryable(&e));
}

Test(status, watch_event_not_error)
{
    const char *ev = "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\"}}";
    struct k8s_error e;
    cr_assert_eq(k8s_error_from_watch_event(ev, strlen(ev), &e), K8S_EPROTO);
    cr_assert_eq(k8s_error_from_watch_event("{\"type\":\"ERROR\"}", 16, &e), K8S_EPROTO);
    cr_assert_eq(k8s_error_from_watch_event("garbage", 7, &e), K8S_EPROTO);
}

Test(status, gone_reason_is_expired_too)
{
    const char *b = "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Gone\",\"code\":410}";
    struct k8s_error e;
    k8s_error_from_response(410, "application/json", b, strlen(b), NULL, &e);
    cr_assert(k8s_error_is_expired(&e));
    cr_assert_str_eq(e.message, "the server responded with an error");
}

/* API Priority and Fairness: plain text body (apiserver filters/priority-and-fairness.go). */
Test(status, apf_429_plain_text)
{
    const char *b = "Too many requests, please try again later.\n";
    struct k8s_error e;
    k8s_error_from_response(429, "text/plain; charset=utf-8", b, strlen(b), "3", &e);
    cr_assert_eq(e.status, K8S_EHTTP);
    cr_assert_str_eq(e.reason, "TooManyRequests");
    cr_assert_str_eq(e.message, "Too many requests, please try again later.");
    cr_assert_eq(e.retry_after_seconds, 3);
    cr_assert(k8s_error_is_retryable(&e));
}

Test(status, retryable_needs_numeric_retry_after)
{
    struct k8s_error e;
    k8s_error_from_response(429, "text/plain", "x", 1, NULL, &e);
    cr_assert_not(k8s_error_is_retryable(&e));
    k8s_error_from_response(503, "text/plain", "x", 1, "Wed, 21 Oct 2015 07:28:00 GMT", &e);
    cr_assert_eq(e.retry_after_seconds, -1); /* HTTP-date is ignored, as client-go does */
    cr_assert_not(k8s_error_is_retryable(&e));
    k8s_error_from_response(503, NULL, NULL, 0, "0", &e);
    cr_assert(k8s_error_is_retryable(&e));
    cr_assert_str_eq(e.reason, "ServiceUnavailable");
    k8s_error_from_response(409, NULL, NULL, 0, "5", &e);
    cr_assert_not(k8s_error_is_retryable(&e)); /* 4xx other than 429 never retries */
}

Test(status, too_large_rv_504)
{
    const char *b =
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        "\"message\":\"Timeout: Too large resource version: 9, current: 5\",\"reason\":"
        "\"Timeout\",\"details\":{\"causes\":[{\"reason\":\"ResourceVersionTooLarge\","
        "\"message\":\"Too large resource version\"}],\"retryAfterSeconds\":1},"
        "\"code\":504}\n";
    struct k8s_error e;
    k8s_error_from_response(504, "application/json", b, strlen(b), "1", &e);
    cr_assert(k8s_error_is_too_large_rv(&e));
    cr_assert_eq(e.status_retry_seconds, 1);
    cr_assert_eq(e.retry_after_seconds, 1);
    cr_assert(k8s_error_is_retryable(&e));
}

Test(status, html_and_empty_bodies)
{
    const char *html = "<html>\r\n<body>502 Bad Gateway</body>\r\n</html>";
    struct k8s_error e;
    k8s_error_from_response(502, "text/html", html, strlen(html), NULL, &e);
    cr_assert_str_eq(e.reason, "Unknown");
    cr_assert_null(strchr(e.message, '\r'));
    cr_assert(strstr(e.message, "502 Bad Gateway") != NULL);
    k8s_error_from_response(401, "application/json", "", 0, NULL, &e);
    cr_assert_str_eq(e.reason, "Unauthorized");
    cr_assert_str_eq(e.message, "Unauthorized");
    cr_assert(k8s_error_is_unauthorized(&e));
    /* JSON that is not a Status is shown as text. */
    k8s_error_from_response(500, "application/json", "[1,2]", 5, NULL, &e);
    cr_assert_str_eq(e.message, "[1,2]");
    cr_assert_str_eq(e.reason, "InternalError");
}

Test(status, long_message_truncated)
{
    size_t n = 5000;
    char *body = malloc(n);
    memset(body, 'a', n);
    struct k8s_error e;
    k8s_error_from_response(500, NULL, body, n, NULL, &e);
    cr_assert_eq(strlen(e.message), sizeof(e.message) - 1);
    free(body);
}

Test(status, retry_after_parser)
{
    cr_assert_eq(k8s_error_parse_retry_after("120"), 120);
    cr_assert_eq(k8s_error_parse_retry_after(" 7 "), 7);
    cr_assert_eq(k8s_error_parse_retry_after("99999999999999999999"), 86400);
    cr_assert_eq(k8s_error_parse_retry_after("-1"), -1);
    cr_assert_eq(k8s_error_parse_retry_after("1.5"), -1);
    cr_assert_eq(k8s_error_parse_retry_after(""), -1);
    cr_assert_eq(k8s_error_parse_retry_after(NULL), -1);
}

Test(status, names_and_set)
{
    cr_assert_str_eq(k8s_status_str(K8S_OK), "ok");
    cr_assert_str_eq(k8s_status_str(K8S_ENOMEM), "out of memory");
    cr_assert_str_eq(k8s_status_str((enum k8s_status)999), "unknown status");
    struct k8s_error e;
    cr_assert_eq(k8s_error_set(&e, K8S_EINVAL, "bad %d", 7), K8S_EINVAL);
    cr_assert_str_eq(e.message, "bad 7");
    cr_assert_eq(e.retry_after_seconds, -1);
    cr_assert_eq(k8s_error_set(NULL, K8S_EIO, "x"), K8S_EIO);
    cr_assert_not(k8s_error_is_expired(NULL));
}
