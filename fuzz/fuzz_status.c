/*
 * libFuzzer target: decoders of untrusted bytes from the API server and
 * from exec plugins: error bodies (Status JSON or text), watch ERROR events,
 * Retry-After, ExecCredential output, label selectors and RFC 3339 times.
 * Invariants checked on every input:
 *   - k8s_error strings are NUL-terminated within their buffers;
 *   - Retry-After is -1 or within 0..86400;
 *   - a parsed time formats (MicroTime) to text that parses again and
 *     formats to the same text;
 *   - a query escape holds only unreserved bytes and %XX, and unescapes to
 *     the input;
 *   - a label selector gets the same verdict twice.
 * Run: fuzz_status -max_total_time=60 fuzz/corpus/status
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_error.h"
#include "k8s_exec.h"
#include "k8s_query.h"
#include "k8s_time.h"

#define FUZZ_TERMINATED(field) (strnlen((field), sizeof(field)) < sizeof(field))

static void check_error(const struct k8s_error *e)
{
    if (!FUZZ_TERMINATED(e->reason) || !FUZZ_TERMINATED(e->message) || !FUZZ_TERMINATED(e->kind) ||
        !FUZZ_TERMINATED(e->name) || !FUZZ_TERMINATED(e->group) ||
        !FUZZ_TERMINATED(e->cause_reason) || !FUZZ_TERMINATED(e->cause_field) ||
        !FUZZ_TERMINATED(e->detail))
        abort();
}

static void check_time(const char *s, size_t size)
{
    int64_t ns, ns2;
    char a[K8S_TIME_BUFSZ], b[K8S_TIME_BUFSZ];
    if (k8s_time_parse(s, size, &ns) != K8S_OK)
        return;
    size_t n = k8s_time_format_micro(ns, a);
    if (n == 0 || n >= sizeof a || k8s_time_parse(a, n, &ns2) != K8S_OK)
        abort(); /* what we write must read back */
    k8s_time_format_micro(ns2, b);
    if (strcmp(a, b) != 0)
        abort();
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Go's QueryEscape: unreserved bytes as is, ' ' as '+', others as %XX. */
static void check_escape(const char *s, size_t size)
{
    char *esc = k8s_query_escape(s, size);
    if (!esc)
        return;
    size_t j = 0;
    for (const char *p = esc; *p; p++, j++) {
        int byte = (unsigned char)*p;
        if (*p == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (lo < 0)
                abort();
            byte = hi << 4 | lo;
            p += 2;
        } else if (*p == '+') {
            byte = ' ';
        } else if (!strchr("-_.~", *p) && !(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
                   !(*p >= '0' && *p <= '9')) {
            abort(); /* a reserved byte left unescaped */
        }
        if (j >= size || (unsigned char)s[j] != byte)
            abort();
    }
    if (j != size)
        abort();
    free(esc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct k8s_error err;
    long code = size ? 400 + data[0] % 200 : 500;
    k8s_error_from_response(code, "application/json", s, size, NULL, &err);
    check_error(&err);
    k8s_error_is_retryable(&err);
    k8s_error_is_expired(&err);
    k8s_error_from_watch_event(s, size, &err);
    check_error(&err);

    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int ra = k8s_error_parse_retry_after(text);
    if (ra < -1 || ra > 86400)
        abort();
    struct k8s_error e1, e2;
    if (k8s_label_selector_validate(text, &e1) != k8s_label_selector_validate(text, &e2))
        abort();
    check_time(s, size);
    struct k8s_exec_credential cred;
    if (k8s_exec_parse_output("client.authentication.k8s.io/v1beta1", s, size, &cred, &err) ==
        K8S_OK)
        k8s_exec_credential_free(&cred);
    else
        check_error(&err);
    check_escape(s, size);
    free(text);
    return 0;
}
