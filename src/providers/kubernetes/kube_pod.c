/* kube_pod: compact pod records and classification (see kube_pod.h). */
#include "kube_pod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_object.h"
#include "k8s_pods.h"

const char *kube_pod_why_str(enum kube_pod_why why)
{
    switch (why) {
    case KUBE_WHY_NONE:
        return "none";
    case KUBE_WHY_DELETING:
        return "deleting";
    case KUBE_WHY_EVICTED:
        return "evicted";
    case KUBE_WHY_FAILED:
        return "failed";
    case KUBE_WHY_SUCCEEDED:
        return "succeeded";
    case KUBE_WHY_RESTARTED:
        return "restarted";
    case KUBE_WHY_UNSCHEDULABLE:
        return "unschedulable";
    }
    return "unknown";
}

static const cJSON *condition(const cJSON *pod, const char *type)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, k8s_json_get(pod, "status", "conditions", NULL))
    {
        const char *t = k8s_json_str(c, "type", NULL);
        if (t && !strcmp(t, type))
            return c;
    }
    return NULL;
}

static bool condition_is(const cJSON *pod, const char *type, const char *status, const char *reason)
{
    const cJSON *c = condition(pod, type);
    const char *s = k8s_json_str(c, "status", NULL), *r = k8s_json_str(c, "reason", NULL);
    return s && !strcmp(s, status) && (!reason || (r && !strcmp(r, reason)));
}

static bool restarted(const cJSON *pod)
{
    static const char *const lists[] = {"containerStatuses", "initContainerStatuses"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *cs;
        cJSON_ArrayForEach(cs, k8s_json_get(pod, "status", lists[i], NULL))
        {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(cs, "restartCount");
            if (cJSON_IsNumber(n) && n->valuedouble > 0)
                return true;
        }
    }
    return false;
}

enum kube_pod_class kube_pod_classify(const cJSON *pod, enum kube_pod_why *why)
{
    const char *phase = k8s_pod_phase(pod);
    const char *ip = k8s_pod_ip(pod);
    *why = KUBE_WHY_NONE;
    if (k8s_pod_deletion_timestamp(pod))
        *why = condition_is(pod, "DisruptionTarget", "True", NULL) ? KUBE_WHY_EVICTED
                                                                   : KUBE_WHY_DELETING;
    else if (phase && !strcmp(phase, "Failed"))
        *why = KUBE_WHY_FAILED;
    else if (phase && !strcmp(phase, "Succeeded"))
        *why = KUBE_WHY_SUCCEEDED;
    else if (restarted(pod))
        *why = KUBE_WHY_RESTARTED;
    else if (condition_is(pod, "PodScheduled", "False", "Unschedulable"))
        *why = KUBE_WHY_UNSCHEDULABLE;
    if (*why != KUBE_WHY_NONE)
        return KUBE_POD_GONE;
    if (phase && !strcmp(phase, "Running") && k8s_pod_is_ready(pod) && ip && *ip)
        return KUBE_POD_READY;
    return KUBE_POD_STARTING;
}

static bool add_meta(cJSON *meta, const char *key, const char *value)
{
    if (!value)
        return true;
    cJSON *s = cJSON_CreateString(value);
    if (!s)
        return false;
    cJSON_AddItemToObjectCS(meta, key, s);
    return true;
}

static char *pack(const cJSON *pod, bool keep_binding)
{
    enum kube_pod_why why;
    enum kube_pod_class cls = kube_pod_classify(pod, &why);
    const char *pool = k8s_json_str(pod, "metadata", "labels", KUBE_LABEL_POOL, NULL);
    const char *ip = k8s_pod_ip(pod), *node = k8s_pod_node_name(pod);
    const char *bind =
        keep_binding ? k8s_json_str(pod, "metadata", "annotations", KUBE_ANNOTATION_BIND, NULL)
                     : NULL;
    int n = snprintf(NULL, 0, "%d|%d|%s|%s|%s|%s", (int)cls, (int)why, pool ? pool : "",
                     ip ? ip : "", node ? node : "", bind ? bind : "");
    char *p = malloc((size_t)n + 1);
    if (p)
        snprintf(p, (size_t)n + 1, "%d|%d|%s|%s|%s|%s", (int)cls, (int)why, pool ? pool : "",
                 ip ? ip : "", node ? node : "", bind ? bind : "");
    return p;
}

cJSON *kube_pod_compact(const cJSON *pod, bool keep_binding)
{
    if (cJSON_GetObjectItemCaseSensitive(pod, "p"))
        return cJSON_Duplicate(pod, 1);
    cJSON *out = cJSON_CreateObject(), *meta = cJSON_CreateObject();
    char *packed = pack(pod, keep_binding);
    cJSON *p = packed ? cJSON_CreateString(packed) : NULL;
    free(packed);
    if (!out || !meta || !p)
        goto fail;
    cJSON_AddItemToObjectCS(out, "metadata", meta);
    meta = NULL;
    cJSON_AddItemToObjectCS(out, "p", p);
    p = NULL;
    cJSON *m = cJSON_GetObjectItemCaseSensitive(out, "metadata");
    if (!add_meta(m, "name", k8s_obj_name(pod)) ||
        !add_meta(m, "namespace", k8s_obj_namespace(pod)) ||
        !add_meta(m, "uid", k8s_obj_uid(pod)) ||
        !add_meta(m, "resourceVersion", k8s_obj_resource_version(pod)))
        goto fail;
    return out;
fail:
    cJSON_Delete(out);
    cJSON_Delete(meta);
    cJSON_Delete(p);
    return NULL;
}

/* Copies the field at *s up to the next '|' into dst; advances *s. */
static bool field(const char **s, char *dst, size_t cap)
{
    const char *bar = strchr(*s, '|');
    if (!bar || (size_t)(bar - *s) >= cap)
        return false;
    memcpy(dst, *s, (size_t)(bar - *s));
    dst[bar - *s] = '\0';
    *s = bar + 1;
    return true;
}

static bool number(const char **s, int max, int *out)
{
    char buf[8];
    char *end;
    if (!field(s, buf, sizeof buf) || !buf[0])
        return false;
    long v = strtol(buf, &end, 10);
    if (*end || v < 0 || v > max)
        return false;
    *out = (int)v;
    return true;
}

bool kube_pod_read(const cJSON *obj, struct kube_pod_view *out)
{
    const char *s = k8s_json_str(obj, "p", NULL);
    const char *name = k8s_obj_name(obj), *ns = k8s_obj_namespace(obj), *uid = k8s_obj_uid(obj);
    int cls, why;
    memset(out, 0, sizeof *out);
    if (!s || !name)
        return false;
    out->name = name;
    out->ns = ns ? ns : "";
    out->uid = uid ? uid : "";
    if (!number(&s, KUBE_POD_GONE, &cls) || !number(&s, KUBE_WHY_UNSCHEDULABLE, &why) ||
        !field(&s, out->pool, sizeof out->pool) || !field(&s, out->ip, sizeof out->ip) ||
        !field(&s, out->node, sizeof out->node))
        return false;
    out->cls = (enum kube_pod_class)cls;
    out->why = (enum kube_pod_why)why;
    out->binding = s;
    return true;
}
