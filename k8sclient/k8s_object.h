/*
 * k8s_object: the plumbing every typed call shares (pods, leases, informer
 * lists): send a request whose success body is one JSON object, parse it,
 * hand it to a typed callback. Also small readers for object metadata.
 *
 * Callback contract (as k8s_request.h): if the call returns an error, the
 * callback never runs; otherwise it runs exactly once (K8S_ECANCELED on
 * cancel or k8s_client_free). res->object is the parsed body (NULL on
 * error); the library frees it after the callback unless the callback takes
 * it by setting res->object = NULL. res->error is borrowed for the call.
 */
#ifndef K8S_OBJECT_H
#define K8S_OBJECT_H

#include <cjson/cJSON.h>

#include "k8s_client.h"
#include "k8s_error.h"
#include "k8s_request.h"

struct k8s_result {
    enum k8s_status status;
    long http_code;
    const struct k8s_error *error; /* NULL when status == K8S_OK */
    cJSON *object;                 /* owned by the library unless taken */
};

typedef void k8s_result_fn(void *arg, struct k8s_result *res);

/* path and query as k8s_request_spec; body may be NULL. */
enum k8s_status k8s_object_call(struct k8s_client *c, const char *method, const char *path,
                                const char *query, const char *content_type, const char *body,
                                size_t body_len, k8s_result_fn *done, void *arg,
                                struct k8s_request **out);

/* Builds "/api/v1[/namespaces/NS]/RESOURCE[/NAME]" (api_prefix e.g. "/api/v1"
 * or "/apis/coordination.k8s.io/v1"); ns or name may be NULL. Caller frees.
 * NULL on bad names or OOM. */
char *k8s_object_path(const char *api_prefix, const char *ns, const char *resource,
                      const char *name);

/* Reads a string at a path of object keys, e.g. k8s_json_str(o, "metadata",
 * "name", NULL). NULL when absent or not a string. */
const char *k8s_json_str(const cJSON *o, ...);
const cJSON *k8s_json_get(const cJSON *o, ...);

const char *k8s_obj_name(const cJSON *o);
const char *k8s_obj_namespace(const cJSON *o);
const char *k8s_obj_uid(const cJSON *o);
const char *k8s_obj_resource_version(const cJSON *o);

#endif
