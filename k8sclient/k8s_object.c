#include "k8s_object.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_query.h"

struct call {
    k8s_result_fn *done;
    void *arg;
};

static void call_done(void *arg, const struct k8s_response *resp)
{
    struct call *call = arg;
    struct k8s_result res = {resp->status, resp->http_code, resp->error, NULL};
    struct k8s_error perr;
    if (resp->status == K8S_OK && resp->body_len > 0) {
        res.object = cJSON_ParseWithLength(resp->body, resp->body_len);
        if (!res.object) {
            res.status = k8s_error_set(&perr, K8S_EPROTO, "response is not JSON");
            perr.http_code = resp->http_code;
            res.error = &perr;
        }
    }
    call->done(call->arg, &res);
    cJSON_Delete(res.object);
    free(call);
}

enum k8s_status k8s_object_call(struct k8s_client *c, const char *method, const char *path,
                                const char *query, const char *content_type, const char *body,
                                size_t body_len, k8s_result_fn *done, void *arg,
                                struct k8s_request **out)
{
    if (out)
        *out = NULL;
    if (!path || !done)
        return K8S_EINVAL;
    struct call *call = malloc(sizeof *call);
    if (!call)
        return K8S_ENOMEM;
    call->done = done;
    call->arg = arg;
    struct k8s_request_spec spec = {
        .method = method,
        .path = path,
        .query = query && query[0] == '?' ? query + 1 : query,
        .content_type = body ? content_type : NULL,
        .body = body,
        .body_len = body_len,
    };
    enum k8s_status st = k8s_request_start(c, &spec, call_done, call, out);
    if (st != K8S_OK)
        free(call);
    return st;
}

char *k8s_object_path(const char *api_prefix, const char *ns, const char *resource,
                      const char *name)
{
    struct k8s_query q;
    k8s_query_init(&q);
    k8s_query_path(&q, api_prefix);
    if (ns) {
        k8s_query_path(&q, "/namespaces");
        k8s_query_segment(&q, ns);
    }
    k8s_query_segment(&q, resource);
    if (name)
        k8s_query_segment(&q, name);
    char *s = k8s_query_take(&q);
    k8s_query_free(&q);
    return s;
}

static const cJSON *vget(const cJSON *o, va_list ap)
{
    const char *key;
    while (o && (key = va_arg(ap, const char *)) != NULL)
        o = cJSON_GetObjectItemCaseSensitive(o, key);
    return o;
}

const cJSON *k8s_json_get(const cJSON *o, ...)
{
    va_list ap;
    va_start(ap, o);
    const cJSON *r = vget(o, ap);
    va_end(ap);
    return r;
}

const char *k8s_json_str(const cJSON *o, ...)
{
    va_list ap;
    va_start(ap, o);
    const cJSON *r = vget(o, ap);
    va_end(ap);
    return cJSON_IsString(r) ? r->valuestring : NULL;
}

const char *k8s_obj_name(const cJSON *o)
{
    return k8s_json_str(o, "metadata", "name", NULL);
}

const char *k8s_obj_namespace(const cJSON *o)
{
    return k8s_json_str(o, "metadata", "namespace", NULL);
}

const char *k8s_obj_uid(const cJSON *o)
{
    return k8s_json_str(o, "metadata", "uid", NULL);
}

const char *k8s_obj_resource_version(const cJSON *o)
{
    return k8s_json_str(o, "metadata", "resourceVersion", NULL);
}
