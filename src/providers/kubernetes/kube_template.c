/* kube_template: the pool's pod from its template (see kube_template.h). */
#include "kube_template.h"

#include <stdio.h>
#include <string.h>

#include "kube_pod.h"

/* The object member `key` of o, created when missing; NULL if it exists
 * with another type or memory ran out. */
static cJSON *object_at(cJSON *o, const char *key)
{
    cJSON *m = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!m)
        return cJSON_AddObjectToObject(o, key);
    return cJSON_IsObject(m) ? m : NULL;
}

static bool set_string(cJSON *o, const char *key, const char *value)
{
    cJSON *s = cJSON_CreateString(value);
    if (!s)
        return false;
    if (cJSON_GetObjectItemCaseSensitive(o, key))
        return cJSON_ReplaceItemInObjectCaseSensitive(o, key, s);
    return cJSON_AddItemToObject(o, key, s);
}

static bool same_string(const cJSON *o, const char *key, const char *want)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
    return (!s && !want) || (s && want && !strcmp(s, want));
}

static bool same_toleration(const cJSON *t, const struct kube_toleration *c)
{
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(t, "tolerationSeconds");
    bool seconds_equal =
        c->has_seconds ? cJSON_IsNumber(sec) && sec->valuedouble == c->seconds : !sec;
    return same_string(t, "key", c->key) && same_string(t, "operator", c->operator) &&
           same_string(t, "value", c->value) && same_string(t, "effect", c->effect) &&
           seconds_equal;
}

static bool has_key_effect(const cJSON *list, const char *key, const char *effect)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, list)
    {
        if (same_string(t, "key", key) && same_string(t, "effect", effect))
            return true;
    }
    return false;
}

static bool add_toleration(cJSON *list, const struct kube_toleration *c)
{
    cJSON *t = cJSON_CreateObject();
    if (!t)
        return false;
    cJSON_AddItemToArray(list, t);
    return (!c->key || cJSON_AddStringToObject(t, "key", c->key)) &&
           (!c->operator|| cJSON_AddStringToObject(t, "operator", c->operator)) &&
           (!c->value || cJSON_AddStringToObject(t, "value", c->value)) &&
           (!c->effect || cJSON_AddStringToObject(t, "effect", c->effect)) &&
           (!c->has_seconds || cJSON_AddNumberToObject(t, "tolerationSeconds", (double)c->seconds));
}

static bool merge_tolerations(cJSON *spec, const struct kube_pool_config *pc)
{
    static const char *const node_lost[] = {"node.kubernetes.io/unreachable",
                                            "node.kubernetes.io/not-ready"};
    cJSON *list = cJSON_GetObjectItemCaseSensitive(spec, "tolerations");
    if (!list && !(list = cJSON_AddArrayToObject(spec, "tolerations")))
        return false;
    if (!cJSON_IsArray(list))
        return false;
    for (size_t i = 0; i < pc->tolerations_len; i++) {
        const cJSON *t;
        bool found = false;
        cJSON_ArrayForEach(t, list) found |= same_toleration(t, &pc->tolerations[i]);
        if (!found && !add_toleration(list, &pc->tolerations[i]))
            return false;
    }
    for (size_t i = 0; i < 2; i++) {
        struct kube_toleration lost = {.key = (char *)node_lost[i],
                                       .operator=(char *) "Exists",
                                       .effect = (char *)"NoExecute",
                                       .has_seconds = true,
                                       .seconds = pc->node_lost_s};
        if (!has_key_effect(list, lost.key, lost.effect) && !add_toleration(list, &lost))
            return false;
    }
    return true;
}

static bool has_env(const cJSON *env, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, env)
    {
        if (same_string(e, "name", name))
            return true;
    }
    return false;
}

/* {"name": name, "valueFrom": {from: {k1: v1, k2: v2}}} or {"name", "value"}. */
static cJSON *env_var(const char *name, const char *value, const char *from, const char *k1,
                      const char *v1, const char *k2, const char *v2)
{
    cJSON *e = cJSON_CreateObject();
    if (!e || !cJSON_AddStringToObject(e, "name", name))
        goto fail;
    if (value) {
        if (!cJSON_AddStringToObject(e, "value", value))
            goto fail;
        return e;
    }
    cJSON *src = cJSON_AddObjectToObject(cJSON_AddObjectToObject(e, "valueFrom"), from);
    if (!src || !cJSON_AddStringToObject(src, k1, v1) || !cJSON_AddStringToObject(src, k2, v2))
        goto fail;
    return e;
fail:
    cJSON_Delete(e);
    return NULL;
}

/* The backend's side of connect tokens: its pod name, pool and (when the
 * pool names a Secret) the key, in every container unless already set. */
static bool merge_env(cJSON *spec, const char *pool, const struct kube_pool_config *pc)
{
    cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(spec, "containers"))
    {
        cJSON *env = cJSON_GetObjectItemCaseSensitive(c, "env");
        if (!cJSON_IsObject(c) || (!env && !(env = cJSON_AddArrayToObject(c, "env"))) ||
            !cJSON_IsArray(env))
            return false;
        cJSON *vars[3] = {env_var("PREWARM_POD", NULL, "fieldRef", "apiVersion", "v1", "fieldPath",
                                  "metadata.name"),
                          env_var("PREWARM_POOL", pool, NULL, NULL, NULL, NULL, NULL),
                          pc->connect_key_secret
                              ? env_var("PREWARM_CONNECT_KEY", NULL, "secretKeyRef", "name",
                                        pc->connect_key_secret, "key", "connect-key")
                              : NULL};
        for (size_t i = 0; i < 3; i++) {
            const cJSON *n = vars[i] ? cJSON_GetObjectItemCaseSensitive(vars[i], "name") : NULL;
            if (n && !has_env(env, n->valuestring))
                cJSON_AddItemToArray(env, vars[i]);
            else
                cJSON_Delete(vars[i]);
        }
    }
    return true;
}

static bool merge_spec(cJSON *pod, const char *pool, const struct kube_pool_config *pc)
{
    cJSON *spec = object_at(pod, "spec");
    cJSON *sel = spec ? object_at(spec, "nodeSelector") : NULL;
    if (!sel)
        return false;
    for (size_t i = 0; i < pc->node_selector_len; i++)
        if (!set_string(sel, pc->node_selector[i].key, pc->node_selector[i].value))
            return false;
    if (!cJSON_GetObjectItemCaseSensitive(spec, "restartPolicy") &&
        !cJSON_AddStringToObject(spec, "restartPolicy", "Never"))
        return false;
    return merge_tolerations(spec, pc) && merge_env(spec, pool, pc);
}

static bool merge_metadata(cJSON *pod, const char *pool, const struct kube_pool_config *pc)
{
    static const char *const dropped[] = {"name",
                                          "generateName",
                                          "uid",
                                          "resourceVersion",
                                          "creationTimestamp",
                                          "ownerReferences",
                                          "managedFields"};
    cJSON *meta = object_at(pod, "metadata");
    cJSON *labels = meta ? object_at(meta, "labels") : NULL;
    if (!labels)
        return false;
    for (size_t i = 0; i < sizeof dropped / sizeof *dropped; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(meta, dropped[i]);
    return set_string(labels, KUBE_LABEL_POOL, pool) &&
           set_string(labels, KUBE_LABEL_MANAGED, KUBE_MANAGED_BY) &&
           (!pc->namespace || set_string(meta, "namespace", pc->namespace));
}

cJSON *kube_template_build(const cJSON *tmpl, const char *pool, const struct kube_pool_config *pc,
                           char *err, size_t errlen)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(tmpl, "kind");
    if (!cJSON_IsObject(tmpl) || (kind && !same_string(tmpl, "kind", "Pod"))) {
        snprintf(err, errlen, "the pod template is not a Pod object");
        return NULL;
    }
    cJSON *pod = cJSON_Duplicate(tmpl, 1);
    if (!pod)
        goto nomem;
    cJSON_DeleteItemFromObjectCaseSensitive(pod, "status");
    if (!merge_metadata(pod, pool, pc) || !merge_spec(pod, pool, pc)) {
        cJSON_Delete(pod);
        snprintf(err, errlen,
                 "the pod template's metadata, spec, labels, nodeSelector or "
                 "tolerations are not of the right type (or out of memory)");
        return NULL;
    }
    return pod;
nomem:
    snprintf(err, errlen, "out of memory");
    return NULL;
}

bool kube_template_name(cJSON *pod, const char *name)
{
    cJSON *meta = object_at(pod, "metadata");
    return meta && set_string(meta, "name", name);
}
