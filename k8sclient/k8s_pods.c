#include "k8s_pods.h"

#include <stdlib.h>
#include <string.h>

#include "k8s_query.h"
#include "k8s_yaml.h"

static const char *ns_or_default(struct k8s_client *c, const char *ns)
{
    return ns ? ns : k8s_client_namespace(c);
}

static char *pod_path(struct k8s_client *c, const char *ns, const char *name)
{
    ns = ns_or_default(c, ns);
    return k8s_object_path("/api/v1", *ns ? ns : NULL, "pods", name);
}

enum k8s_status k8s_pod_template_parse(const char *text, size_t len, cJSON **out,
                                       struct k8s_error *err)
{
    *out = NULL;
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", text[i]))
        i++;
    cJSON *root = NULL;
    if (i < len && text[i] == '{') {
        root = cJSON_ParseWithLength(text, len);
        if (!root)
            return k8s_error_set(err, K8S_EINVAL, "pod template: invalid JSON");
    } else {
        enum k8s_status st = k8s_yaml_to_json(text, len, &root, err);
        if (st != K8S_OK)
            return st;
    }
    const char *kind = k8s_json_str(root, "kind", NULL);
    if (!cJSON_IsObject(root) || (kind && strcmp(kind, "Pod") != 0)) {
        cJSON_Delete(root);
        return k8s_error_set(err, K8S_EINVAL, "pod template: not a Pod object");
    }
    *out = root;
    return K8S_OK;
}

static char *create_body(const cJSON *pod, const char *generate_name)
{
    cJSON *copy = cJSON_Duplicate(pod, 1);
    if (!copy)
        return NULL;
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(copy, "metadata");
    if (!meta)
        meta = cJSON_AddObjectToObject(copy, "metadata");
    if (!cJSON_GetObjectItemCaseSensitive(copy, "apiVersion"))
        cJSON_AddStringToObject(copy, "apiVersion", "v1");
    if (!cJSON_GetObjectItemCaseSensitive(copy, "kind"))
        cJSON_AddStringToObject(copy, "kind", "Pod");
    char *body = NULL;
    if (cJSON_IsObject(meta) && generate_name) {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "name");
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "generateName");
        if (!cJSON_AddStringToObject(meta, "generateName", generate_name))
            goto out;
    }
    body = cJSON_PrintUnformatted(copy);
out:
    cJSON_Delete(copy);
    return body;
}

enum k8s_status k8s_pods_create(struct k8s_client *c, const char *ns, const cJSON *pod,
                                const char *generate_name, k8s_result_fn *done, void *arg,
                                struct k8s_request **out)
{
    if (!cJSON_IsObject(pod))
        return K8S_EINVAL;
    char *path = pod_path(c, ns, NULL);
    char *body = path ? create_body(pod, generate_name) : NULL;
    enum k8s_status st = K8S_ENOMEM;
    if (body)
        st = k8s_object_call(c, "POST", path, NULL, "application/json", body, strlen(body), done,
                             arg, out);
    free(path);
    free(body);
    return st;
}

enum k8s_status k8s_pods_get(struct k8s_client *c, const char *ns, const char *name,
                             k8s_result_fn *done, void *arg, struct k8s_request **out)
{
    if (!name)
        return K8S_EINVAL;
    char *path = pod_path(c, ns, name);
    if (!path)
        return K8S_EINVAL;
    enum k8s_status st = k8s_object_call(c, "GET", path, NULL, NULL, NULL, 0, done, arg, out);
    free(path);
    return st;
}

char *k8s_list_query(const struct k8s_list_options *o)
{
    struct k8s_query q;
    k8s_query_init(&q);
    if (o && o->label_selector && *o->label_selector)
        k8s_query_add(&q, "labelSelector", o->label_selector);
    if (o && o->field_selector && *o->field_selector)
        k8s_query_add(&q, "fieldSelector", o->field_selector);
    if (o && o->limit > 0)
        k8s_query_add_int(&q, "limit", o->limit);
    if (o && o->continue_token && *o->continue_token)
        k8s_query_add(&q, "continue", o->continue_token);
    if (o && o->resource_version)
        k8s_query_add(&q, "resourceVersion", o->resource_version);
    if (o && o->resource_version_match)
        k8s_query_add(&q, "resourceVersionMatch", o->resource_version_match);
    char *s = k8s_query_take(&q);
    k8s_query_free(&q);
    return s;
}

enum k8s_status k8s_pods_list(struct k8s_client *c, const char *ns,
                              const struct k8s_list_options *o, k8s_result_fn *done, void *arg,
                              struct k8s_request **out)
{
    char *path = pod_path(c, ns, NULL);
    char *query = path ? k8s_list_query(o) : NULL;
    enum k8s_status st = path && query ? K8S_OK : K8S_ENOMEM;
    if (st == K8S_OK)
        st = k8s_object_call(c, "GET", path, query, NULL, NULL, 0, done, arg, out);
    free(path);
    free(query);
    return st;
}

static char *delete_body(const struct k8s_delete_options *o)
{
    cJSON *b = cJSON_CreateObject();
    bool ok = b && cJSON_AddStringToObject(b, "kind", "DeleteOptions") &&
              cJSON_AddStringToObject(b, "apiVersion", "v1");
    if (ok && o && o->set_grace_period)
        ok = cJSON_AddNumberToObject(b, "gracePeriodSeconds", (double)o->grace_period_seconds);
    if (ok && o && o->propagation_policy)
        ok = cJSON_AddStringToObject(b, "propagationPolicy", o->propagation_policy);
    if (ok && o && (o->precondition_uid || o->precondition_rv)) {
        cJSON *pre = cJSON_AddObjectToObject(b, "preconditions");
        ok = pre &&
             (!o->precondition_uid || cJSON_AddStringToObject(pre, "uid", o->precondition_uid)) &&
             (!o->precondition_rv ||
              cJSON_AddStringToObject(pre, "resourceVersion", o->precondition_rv));
    }
    char *s = ok ? cJSON_PrintUnformatted(b) : NULL;
    cJSON_Delete(b);
    return s;
}

enum k8s_status k8s_pods_delete(struct k8s_client *c, const char *ns, const char *name,
                                const struct k8s_delete_options *o, k8s_result_fn *done, void *arg,
                                struct k8s_request **out)
{
    if (!name)
        return K8S_EINVAL;
    char *path = pod_path(c, ns, name);
    if (!path)
        return K8S_EINVAL;
    char *body = delete_body(o);
    enum k8s_status st = K8S_ENOMEM;
    if (body)
        st = k8s_object_call(c, "DELETE", path, NULL, "application/json", body, strlen(body), done,
                             arg, out);
    free(path);
    free(body);
    return st;
}

const char *k8s_patch_content_type(enum k8s_patch_type type)
{
    switch (type) {
    case K8S_PATCH_MERGE:
        return "application/merge-patch+json";
    case K8S_PATCH_STRATEGIC:
        return "application/strategic-merge-patch+json";
    case K8S_PATCH_JSON:
        return "application/json-patch+json";
    }
    return NULL;
}

enum k8s_status k8s_pods_patch(struct k8s_client *c, const char *ns, const char *name,
                               enum k8s_patch_type type, const char *patch, size_t len,
                               k8s_result_fn *done, void *arg, struct k8s_request **out)
{
    const char *ctype = k8s_patch_content_type(type);
    if (!name || !patch || !ctype)
        return K8S_EINVAL;
    char *path = pod_path(c, ns, name);
    if (!path)
        return K8S_EINVAL;
    enum k8s_status st = k8s_object_call(c, "PATCH", path, NULL, ctype, patch, len, done, arg, out);
    free(path);
    return st;
}

const char *k8s_pod_phase(const cJSON *pod)
{
    return k8s_json_str(pod, "status", "phase", NULL);
}

bool k8s_pod_is_ready(const cJSON *pod)
{
    const cJSON *conds = k8s_json_get(pod, "status", "conditions", NULL);
    const cJSON *cond;
    cJSON_ArrayForEach(cond, conds)
    {
        const char *type = k8s_json_str(cond, "type", NULL);
        if (type && strcmp(type, "Ready") == 0) {
            const char *status = k8s_json_str(cond, "status", NULL);
            return status && strcmp(status, "True") == 0;
        }
    }
    return false;
}

const char *k8s_pod_deletion_timestamp(const cJSON *pod)
{
    return k8s_json_str(pod, "metadata", "deletionTimestamp", NULL);
}

const char *k8s_pod_ip(const cJSON *pod)
{
    return k8s_json_str(pod, "status", "podIP", NULL);
}

const char *k8s_pod_node_name(const cJSON *pod)
{
    return k8s_json_str(pod, "spec", "nodeName", NULL);
}

bool k8s_pod_is_warm(const cJSON *pod)
{
    const char *phase = k8s_pod_phase(pod);
    return phase && strcmp(phase, "Running") == 0 && k8s_pod_is_ready(pod) &&
           !k8s_pod_deletion_timestamp(pod);
}
