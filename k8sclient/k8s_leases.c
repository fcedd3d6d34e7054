#include "k8s_leases.h"

#include <stdlib.h>
#include <string.h>

#include "k8s_time.h"

#define LEASE_API "/apis/coordination.k8s.io/v1"

static bool add_time(cJSON *spec, const char *key, int64_t ns)
{
    char buf[K8S_TIME_BUFSZ];
    if (ns == 0)
        return true;
    k8s_time_format_micro(ns, buf);
    return cJSON_AddStringToObject(spec, key, buf) != NULL;
}

static bool add_spec(cJSON *spec, const struct k8s_lease_spec *s)
{
    bool ok =
        !s->holder_identity || cJSON_AddStringToObject(spec, "holderIdentity", s->holder_identity);
    if (ok && s->lease_duration_seconds >= 0)
        ok = cJSON_AddNumberToObject(spec, "leaseDurationSeconds", s->lease_duration_seconds);
    ok = ok && add_time(spec, "acquireTime", s->acquire_time_ns) &&
         add_time(spec, "renewTime", s->renew_time_ns);
    if (ok && s->lease_transitions >= 0)
        ok = cJSON_AddNumberToObject(spec, "leaseTransitions", s->lease_transitions);
    return ok;
}

cJSON *k8s_lease_build(const struct k8s_lease_spec *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *meta = o ? cJSON_AddObjectToObject(o, "metadata") : NULL;
    cJSON *spec = o ? cJSON_AddObjectToObject(o, "spec") : NULL;
    bool ok = meta && spec && s->name &&
              cJSON_AddStringToObject(o, "apiVersion", "coordination.k8s.io/v1") &&
              cJSON_AddStringToObject(o, "kind", "Lease") &&
              cJSON_AddStringToObject(meta, "name", s->name);
    if (ok && s->resource_version)
        ok = cJSON_AddStringToObject(meta, "resourceVersion", s->resource_version) != NULL;
    if (ok)
        ok = add_spec(spec, s);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int64_t read_time(const cJSON *spec, const char *key)
{
    const char *s = k8s_json_str(spec, key, NULL);
    int64_t ns = 0;
    if (!s || k8s_time_parse(s, strlen(s), &ns) != K8S_OK)
        return 0;
    return ns;
}

static int read_int(const cJSON *spec, const char *key)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(spec, key);
    return cJSON_IsNumber(n) ? n->valueint : -1;
}

void k8s_lease_read(const cJSON *lease, struct k8s_lease_view *v)
{
    const cJSON *spec = k8s_json_get(lease, "spec", NULL);
    v->name = k8s_obj_name(lease);
    v->resource_version = k8s_obj_resource_version(lease);
    v->holder_identity = k8s_json_str(spec, "holderIdentity", NULL);
    v->lease_duration_seconds = read_int(spec, "leaseDurationSeconds");
    v->lease_transitions = read_int(spec, "leaseTransitions");
    v->acquire_time_ns = read_time(spec, "acquireTime");
    v->renew_time_ns = read_time(spec, "renewTime");
}

static char *lease_path(struct k8s_client *c, const char *ns, const char *name)
{
    return k8s_object_path(LEASE_API, ns ? ns : k8s_client_namespace(c), "leases", name);
}

enum k8s_status k8s_leases_get(struct k8s_client *c, const char *ns, const char *name,
                               k8s_result_fn *done, void *arg, struct k8s_request **out)
{
    char *path = name ? lease_path(c, ns, name) : NULL;
    if (!path)
        return K8S_EINVAL;
    enum k8s_status st = k8s_object_call(c, "GET", path, NULL, NULL, NULL, 0, done, arg, out);
    free(path);
    return st;
}

static enum k8s_status send_lease(struct k8s_client *c, const char *method, const char *path,
                                  const cJSON *lease, k8s_result_fn *done, void *arg,
                                  struct k8s_request **out)
{
    char *body = cJSON_PrintUnformatted(lease);
    if (!body)
        return K8S_ENOMEM;
    enum k8s_status st = k8s_object_call(c, method, path, NULL, "application/json", body,
                                         strlen(body), done, arg, out);
    free(body);
    return st;
}

enum k8s_status k8s_leases_create(struct k8s_client *c, const char *ns, const cJSON *lease,
                                  k8s_result_fn *done, void *arg, struct k8s_request **out)
{
    char *path = cJSON_IsObject(lease) ? lease_path(c, ns, NULL) : NULL;
    if (!path)
        return K8S_EINVAL;
    enum k8s_status st = send_lease(c, "POST", path, lease, done, arg, out);
    free(path);
    return st;
}

enum k8s_status k8s_leases_update(struct k8s_client *c, const char *ns, const cJSON *lease,
                                  k8s_result_fn *done, void *arg, struct k8s_request **out)
{
    const char *name = k8s_obj_name(lease);
    if (!name || !k8s_obj_resource_version(lease))
        return K8S_EINVAL;
    char *path = lease_path(c, ns, name);
    if (!path)
        return K8S_EINVAL;
    enum k8s_status st = send_lease(c, "PUT", path, lease, done, arg, out);
    free(path);
    return st;
}
