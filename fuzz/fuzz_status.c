/*
 * libFuzzer target: decoders of untrusted bytes from the API server and
 * from exec plugins: error bodies (Status JSON or text), watch ERROR events,
 * Retry-After, ExecCredential output, label selectors and RFC 3339 times.
 * Run: fuzz_status -max_total_time=60 [corpus] (seed with tests/fixtures/k8s/status/).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_error.h"
#include "k8s_exec.h"
#include "k8s_query.h"
#include "k8s_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct k8s_error err;
    long code = size ? 400 + data[0] % 200 : 500;
    k8s_error_from_response(code, "application/json", s, size, NULL, &err);
    k8s_error_is_retryable(&err);
    k8s_error_is_expired(&err);
    k8s_error_from_watch_event(s, size, &err);

    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    k8s_error_parse_retry_after(text);
    k8s_label_selector_validate(text, &err);
    int64_t ns;
    if (k8s_time_parse(s, size, &ns) == K8S_OK) {
        char buf[K8S_TIME_BUFSZ];
        k8s_time_format_micro(ns, buf);
    }
    struct k8s_exec_credential cred;
    if (k8s_exec_parse_output("client.authentication.k8s.io/v1beta1", s, size, &cred, &err) ==
        K8S_OK)
        k8s_exec_credential_free(&cred);
    char *esc = k8s_query_escape(s, size);
    free(esc);
    free(text);
    return 0;
}
