/* kube_pod: classification of real and edited Pod objects, compact records. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_pods.h"
#include "kube_pod.h"

static cJSON *fixture_pod(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/k8s/pods/pod-running-nginx.k8s-docs.yaml",
             PREWARM_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    cJSON *pod = NULL;
    struct k8s_error err;
    cr_assert_eq(k8s_pod_template_parse(text, n, &pod, &err), K8S_OK, "%s", err.message);
    return pod;
}

static cJSON *status(cJSON *pod)
{
    return cJSON_GetObjectItemCaseSensitive(pod, "status");
}

static void set_phase(cJSON *pod, const char *phase)
{
    cJSON_ReplaceItemInObjectCaseSensitive(status(pod), "phase", cJSON_CreateString(phase));
}

static void set_condition(cJSON *pod, const char *type, const char *st, const char *reason)
{
    cJSON *conds = cJSON_GetObjectItemCaseSensitive(status(pod), "conditions"), *c;
    cJSON_ArrayForEach(c, conds)
    {
        if (!strcmp(cJSON_GetObjectItemCaseSensitive(c, "type")->valuestring, type)) {
            cJSON_ReplaceItemInObjectCaseSensitive(c, "status", cJSON_CreateString(st));
            if (reason) {
                cJSON_DeleteItemFromObjectCaseSensitive(c, "reason");
                cJSON_AddStringToObject(c, "reason", reason);
            }
            return;
        }
    }
    c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "type", type);
    cJSON_AddStringToObject(c, "status", st);
    if (reason)
        cJSON_AddStringToObject(c, "reason", reason);
    cJSON_AddItemToArray(conds, c);
}

static enum kube_pod_class classify(const cJSON *pod, enum kube_pod_why want_why)
{
    enum kube_pod_why why;
    enum kube_pod_class cls = kube_pod_classify(pod, &why);
    cr_assert_eq(why, want_why, "why %s, wanted %s", kube_pod_why_str(why),
                 kube_pod_why_str(want_why));
    return cls;
}

Test(kube_pod, real_running_pod_is_ready)
{
    cJSON *pod = fixture_pod();
    cr_assert_eq(classify(pod, KUBE_WHY_NONE), KUBE_POD_READY);
    cJSON_Delete(pod);
}

Test(kube_pod, not_ready_or_no_ip_is_starting)
{
    cJSON *pod = fixture_pod();
    set_condition(pod, "Ready", "False", NULL);
    cr_assert_eq(classify(pod, KUBE_WHY_NONE), KUBE_POD_STARTING);
    set_condition(pod, "Ready", "True", NULL);
    cJSON_DeleteItemFromObjectCaseSensitive(status(pod), "podIP");
    cr_assert_eq(classify(pod, KUBE_WHY_NONE), KUBE_POD_STARTING);
    cJSON_Delete(pod);
}

Test(kube_pod, gone_rules)
{
    cJSON *pod = fixture_pod();
    set_condition(pod, "PodScheduled", "False", "Unschedulable");
    cr_assert_eq(classify(pod, KUBE_WHY_UNSCHEDULABLE), KUBE_POD_GONE);
    set_condition(pod, "PodScheduled", "True", "Scheduled");
    cJSON *cs =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(status(pod), "containerStatuses"), 0);
    cJSON_ReplaceItemInObjectCaseSensitive(cs, "restartCount", cJSON_CreateNumber(1));
    cr_assert_eq(classify(pod, KUBE_WHY_RESTARTED), KUBE_POD_GONE);
    set_phase(pod, "Failed");
    cr_assert_eq(classify(pod, KUBE_WHY_FAILED), KUBE_POD_GONE);
    set_phase(pod, "Succeeded");
    cr_assert_eq(classify(pod, KUBE_WHY_SUCCEEDED), KUBE_POD_GONE);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(pod, "metadata");
    cJSON_AddStringToObject(meta, "deletionTimestamp", "2022-02-17T22:00:00Z");
    cr_assert_eq(classify(pod, KUBE_WHY_DELETING), KUBE_POD_GONE);
    set_condition(pod, "DisruptionTarget", "True", "DeletionByTaintManager");
    cr_assert_eq(classify(pod, KUBE_WHY_EVICTED), KUBE_POD_GONE);
    cJSON_Delete(pod);
}

Test(kube_pod, compact_keeps_what_prewarm_needs)
{
    cJSON *pod = fixture_pod();
    cJSON *labels = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(pod, "metadata"), "labels");
    cJSON_AddStringToObject(labels, KUBE_LABEL_POOL, "editor");
    cJSON *ann =
        cJSON_AddObjectToObject(cJSON_GetObjectItemCaseSensitive(pod, "metadata"), "annotations");
    cJSON_AddStringToObject(ann, KUBE_ANNOTATION_BIND, "{\"session\":\"s-1\",\"key\":\"a|b\"}");
    cJSON *c = kube_pod_compact(pod, true);
    cr_assert_not_null(c);
    struct kube_pod_view v;
    cr_assert(kube_pod_read(c, &v));
    cr_assert_str_eq(v.name, "nginx-deployment-67d4bdd6f5-w6kd7");
    cr_assert_str_eq(v.ns, "default");
    cr_assert_str_eq(v.uid, "a6501da1-0447-4262-98eb-c03d4002222e");
    cr_assert_str_eq(v.pool, "editor");
    cr_assert_str_eq(v.ip, k8s_pod_ip(pod));
    cr_assert_str_eq(v.node, "kube-worker-1");
    cr_assert_eq(v.cls, KUBE_POD_READY);
    cr_assert_str_eq(v.binding, "{\"session\":\"s-1\",\"key\":\"a|b\"}",
                     "a '|' in the binding survives");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(
                         cJSON_GetObjectItemCaseSensitive(c, "metadata"), "resourceVersion")
                         ->valuestring,
                     "1364", "the informer's diff needs the resourceVersion");
    char *whole = cJSON_PrintUnformatted(pod), *small = cJSON_PrintUnformatted(c);
    cr_assert_lt(strlen(small) * 5, strlen(whole), "%zu vs %zu bytes", strlen(small),
                 strlen(whole));
    cJSON *slim = kube_pod_compact(pod, false);
    struct kube_pod_view v3;
    cr_assert(kube_pod_read(slim, &v3));
    cr_assert_str_eq(v3.binding, "", "the binding annotation left out");
    cr_assert_str_eq(v3.pool, "editor");
    cJSON_Delete(slim);
    cJSON *again = kube_pod_compact(c, true);
    struct kube_pod_view v2;
    cr_assert(kube_pod_read(again, &v2));
    cr_assert_str_eq(v2.pool, "editor", "compacting a compact pod copies it");
    free(whole);
    free(small);
    cJSON_Delete(again);
    cJSON_Delete(c);
    cJSON_Delete(pod);
}

Test(kube_pod, read_refuses_what_is_not_compact)
{
    struct kube_pod_view v;
    const char *bad[] = {"{}", "{\"metadata\":{\"name\":\"a\"}}",
                         "{\"metadata\":{\"name\":\"a\"},\"p\":\"9|0|x|||\"}",
                         "{\"metadata\":{\"name\":\"a\"},\"p\":\"1|0|x|\"}",
                         "{\"metadata\":{\"name\":\"a\"},\"p\":\"1|x|x|||\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cJSON *o = cJSON_Parse(bad[i]);
        cr_assert_not(kube_pod_read(o, &v), "%s", bad[i]);
        cJSON_Delete(o);
    }
}
