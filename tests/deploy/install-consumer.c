/* A program outside the tree that uses the installed k8sclient: decodes a
 * real API server Status body and an RFC 3339 time. */
#include <stdio.h>
#include <string.h>

#include <k8sclient/k8s.h>

int main(void)
{
    static const char body[] =
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        "\"message\":\"pods \\\"iac-pod-xxx\\\" not found\",\"reason\":\"NotFound\","
        "\"details\":{\"name\":\"iac-pod-xxx\",\"kind\":\"pods\"},\"code\":404}";
    struct k8s_error err;
    int64_t ns = 0;
    k8s_error_from_response(404, "application/json", body, strlen(body), NULL, &err);
    if (k8s_time_parse("2026-12-06T07:30:00.123456Z", 27, &ns) != K8S_OK)
        return 1;
    printf("%s %s %s/%s %lld\n", k8s_status_str(err.status), err.reason, err.kind, err.name,
           (long long)(ns / 1000));
    return k8s_error_is_not_found(&err) ? 0 : 1;
}
