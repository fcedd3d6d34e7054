/* kube_template and kube_name: the pod prewarm creates, and its name. */
#include <criterion/criterion.h>
#include <string.h>

#include "kube_name.h"
#include "kube_pod.h"
#include "kube_template.h"

static const char *str(const cJSON *o, const char *a, const char *b, const char *c)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    if (c)
        v = cJSON_GetObjectItemCaseSensitive(v, c);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int count_toleration(const cJSON *pod, const char *key, const char *effect)
{
    int n = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(pod, "spec"), "tolerations"))
    {
        const char *k = str(t, "key", NULL, NULL), *e = str(t, "effect", NULL, NULL);
        n += k && e && !strcmp(k, key) && !strcmp(e, effect);
    }
    return n;
}

Test(kube_template, node_pool_labels_and_defaults_are_merged)
{
    cJSON *tmpl = cJSON_Parse(
        "{\"metadata\":{\"name\":\"x\",\"uid\":\"u\",\"labels\":{\"app\":\"ed\",\"prewarm.dev/"
        "pool\":\"evil\"}},"
        "\"spec\":{\"nodeSelector\":{\"pool\":\"wrong\",\"zone\":\"a\"},"
        "\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"warm\","
        "\"effect\":\"NoSchedule\"}],"
        "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]},\"status\":{\"phase\":\"Running\"}}");
    struct kube_kv sel[] = {{"pool", "warm"}};
    struct kube_toleration tol[] = {
        {.key = "dedicated", .operator= "Equal", .value = "warm", .effect = "NoSchedule"},
        {.key = "gpu", .operator= "Exists", .effect = "NoSchedule"}};
    struct kube_pool_config pc;
    kube_pool_config_defaults(&pc);
    pc.namespace = "warm-ns";
    pc.node_selector = sel;
    pc.node_selector_len = 1;
    pc.tolerations = tol;
    pc.tolerations_len = 2;
    char err[256];
    cJSON *pod = kube_template_build(tmpl, "editor", &pc, err, sizeof err);
    cr_assert_not_null(pod, "%s", err);
    cr_assert_str_eq(str(pod, "spec", "nodeSelector", "pool"), "warm", "the config wins");
    cr_assert_str_eq(str(pod, "spec", "nodeSelector", "zone"), "a", "the template's own stays");
    cr_assert_eq(count_toleration(pod, "dedicated", "NoSchedule"), 1, "no duplicate");
    cr_assert_eq(count_toleration(pod, "gpu", "NoSchedule"), 1);
    cr_assert_eq(count_toleration(pod, "node.kubernetes.io/unreachable", "NoExecute"), 1);
    cr_assert_eq(count_toleration(pod, "node.kubernetes.io/not-ready", "NoExecute"), 1);
    cr_assert_str_eq(str(pod, "metadata", "labels", KUBE_LABEL_POOL), "editor");
    cr_assert_str_eq(str(pod, "metadata", "labels", KUBE_LABEL_MANAGED), "prewarm");
    cr_assert_str_eq(str(pod, "metadata", "labels", "app"), "ed");
    cr_assert_str_eq(str(pod, "metadata", "namespace", NULL), "warm-ns");
    cr_assert_null(str(pod, "metadata", "name", NULL));
    cr_assert_null(str(pod, "metadata", "uid", NULL));
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(pod, "status"));
    cr_assert_str_eq(str(pod, "spec", "restartPolicy", NULL), "Never");
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(pod, "spec"), "containers"),
                           0),
        "env");
    cr_assert_eq(cJSON_GetArraySize(env), 2,
                 "PREWARM_POD and PREWARM_POOL; no key without a Secret");
    cr_assert_str_eq(str(cJSON_GetArrayItem(env, 0), "valueFrom", "fieldRef", "fieldPath"),
                     "metadata.name");
    cr_assert_str_eq(str(cJSON_GetArrayItem(env, 1), "value", NULL, NULL), "editor");
    cr_assert(kube_template_name(pod, "editor-bcdfg"));
    cr_assert(kube_template_name(pod, "editor-hjklm"));
    cr_assert_str_eq(str(pod, "metadata", "name", NULL), "editor-hjklm");
    cJSON_Delete(pod);
    cJSON_Delete(tmpl);
}

Test(kube_template, template_choices_kept_and_bad_templates_refused)
{
    struct kube_pool_config pc;
    kube_pool_config_defaults(&pc);
    char err[256];
    pc.connect_key_secret = "keys";
    cJSON *tmpl =
        cJSON_Parse("{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"name\":\"c\",\"env\":"
                    "[{\"name\":\"PREWARM_POOL\",\"value\":\"mine\"}]}],"
                    "\"restartPolicy\":\"Always\",\"tolerations\":"
                    "[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\","
                    "\"effect\":\"NoExecute\",\"tolerationSeconds\":5}]}}");
    cJSON *pod = kube_template_build(tmpl, "p", &pc, err, sizeof err);
    cr_assert_not_null(pod, "%s", err);
    cr_assert_str_eq(str(pod, "spec", "restartPolicy", NULL), "Always");
    cr_assert_eq(count_toleration(pod, "node.kubernetes.io/unreachable", "NoExecute"), 1);
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(pod, "spec"), "containers"),
                           0),
        "env");
    cr_assert_eq(cJSON_GetArraySize(env), 3,
                 "the template's PREWARM_POOL stays, POD and KEY added");
    cr_assert_str_eq(str(cJSON_GetArrayItem(env, 0), "value", NULL, NULL), "mine");
    cr_assert_str_eq(str(cJSON_GetArrayItem(env, 2), "valueFrom", "secretKeyRef", "name"), "keys");
    cJSON_Delete(pod);
    cJSON_Delete(tmpl);
    const char *bad[] = {"[]", "{\"kind\":\"Deployment\"}", "{\"spec\":[]}",
                         "{\"metadata\":{\"labels\":3}}", "{\"spec\":{\"tolerations\":{}}}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tmpl = cJSON_Parse(bad[i]);
        cr_assert_null(kube_template_build(tmpl, "p", &pc, err, sizeof err), "%s", bad[i]);
        cr_assert_gt(strlen(err), 0);
        cJSON_Delete(tmpl);
    }
}

static bool dns_label(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

Test(kube_name, names_are_dns_labels_and_distinct)
{
    const char *pools[] = {"editor", "Big_Pool.v2", "-x-", "___",
                           "a-very-long-pool-name-that-goes-on-and-on-and-on-x"};
    for (size_t p = 0; p < sizeof pools / sizeof *pools; p++) {
        struct kube_namer n;
        kube_namer_init(&n, pools[p], 42 + p);
        char prev[KUBE_NAME_MAX + 1] = "", name[KUBE_NAME_MAX + 1];
        for (int i = 0; i < 1000; i++) {
            kube_namer_next(&n, name);
            cr_assert(dns_label(name), "%s from %s", name, pools[p]);
            cr_assert_str_neq(name, prev);
            memcpy(prev, name, sizeof name);
        }
    }
    struct kube_namer a, b;
    kube_namer_init(&a, "Big_Pool.v2", 1);
    kube_namer_init(&b, "pod", 2);
    char x[KUBE_NAME_MAX + 1], y[KUBE_NAME_MAX + 1];
    kube_namer_next(&a, x);
    kube_namer_next(&b, y);
    cr_assert_eq(strncmp(x, "big-pool-v2-", 12), 0, "%s", x);
    cr_assert_eq(strlen(x), 12 + KUBE_NAME_RANDOM);
    cr_assert_eq(strncmp(y, "pod-", 4), 0);
}

Test(kube_name, a_million_names_do_not_collide)
{
    struct kube_namer n;
    kube_namer_init(&n, "p", 7);
    size_t cap = 1u << 21, count = 1000000;
    uint64_t *seen = calloc(cap, sizeof *seen);
    for (size_t i = 0; i < count; i++) {
        char name[KUBE_NAME_MAX + 1];
        kube_namer_next(&n, name);
        uint64_t h = 1469598103934665603ull;
        for (const char *c = name; *c; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211ull;
        h |= 1;
        size_t j = h & (cap - 1);
        while (seen[j] && seen[j] != h)
            j = (j + 1) & (cap - 1);
        cr_assert_eq(seen[j], 0, "duplicate %s", name);
        seen[j] = h;
    }
    free(seen);
}
