/* The kubernetes blocks of prewarm.yaml: a full config, template files and
 * inline templates, and errors that name file, line, column and field. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config.h"

static struct config *cfg;
static char err[512];

static void fini(void)
{
    config_free(cfg);
    cfg = NULL;
}

static enum config_status load(const char *text)
{
    config_free(cfg);
    cfg = NULL;
    return config_load_string("t.yaml", text, strlen(text), &cfg, err, sizeof err);
}

static const char full[] =
    "kubernetes: {context: sim, qps: 40, burst: 80, bind_qps: 5}\n"
    "pools:\n"
    "  - name: editor\n"
    "    provider: kubernetes\n"
    "    min_idle: 2\n"
    "    kubernetes:\n"
    "      namespace: warm\n"
    "      port: 9000\n"
    "      node_selector: {cloud.google.com/gke-nodepool: warm}\n"
    "      tolerations:\n"
    "        - {key: dedicated, operator: Equal, value: warm, effect: NoSchedule}\n"
    "        - {key: x, operator: Exists, effect: NoExecute, tolerationSeconds: 10}\n"
    "      create_qps: 2.5\n"
    "      max_creating: 7\n"
    "      delete_grace_seconds: 0\n"
    "      template_inline:\n"
    "        metadata: {labels: {app: ed, version: \"2\"}}\n"
    "        spec:\n"
    "          automountServiceAccountToken: false\n"
    "          terminationGracePeriodSeconds: 0\n"
    "          containers: [{name: c, image: nginx, ports: [{containerPort: 9000}]}]\n";

Test(kube_config, full_block, .fini = fini)
{
    cr_assert_eq(load(full), CONFIG_OK, "%s", err);
    cr_assert_str_eq(cfg->kubernetes.context, "sim");
    cr_assert_eq(cfg->kubernetes.qps, 40);
    cr_assert_eq(cfg->kubernetes.burst, 80);
    cr_assert_eq(cfg->kubernetes.bind_qps, 5);
    const struct config_pool *p = &cfg->pools[0];
    cr_assert_eq(p->provider, CONFIG_PROVIDER_KUBERNETES);
    cr_assert_str_eq(p->kube.namespace, "warm");
    cr_assert_eq(p->kube.port, 9000);
    cr_assert_eq(p->kube.node_selector_len, 1);
    cr_assert_str_eq(p->kube.node_selector[0].key, "cloud.google.com/gke-nodepool");
    cr_assert_eq(p->kube.tolerations_len, 2);
    cr_assert_str_eq(p->kube.tolerations[0].operator, "Equal");
    cr_assert(p->kube.tolerations[1].has_seconds);
    cr_assert_eq(p->kube.tolerations[1].seconds, 10);
    cr_assert_eq(p->kube.create_qps, 2.5);
    cr_assert_eq(p->kube.create_burst, 10, "default");
    cr_assert_eq(p->kube.max_creating, 7);
    cr_assert_eq(p->kube.delete_grace_s, 0);
    const cJSON *spec = cJSON_GetObjectItem(p->kube.template, "spec");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(spec, "automountServiceAccountToken")));
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(spec, "terminationGracePeriodSeconds")));
    const cJSON *labels =
        cJSON_GetObjectItem(cJSON_GetObjectItem(p->kube.template, "metadata"), "labels");
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(labels, "version")),
              "a quoted \"2\" stays a string");
}

Test(kube_config, template_file_relative_to_the_config, .fini = fini)
{
    char dir[] = "/tmp/prewarm-kcfg-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256], tmpl[256];
    snprintf(tmpl, sizeof tmpl, "%s/pod.yaml", dir);
    FILE *f = fopen(tmpl, "w");
    fputs("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n    image: i\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/prewarm.yaml", dir);
    f = fopen(path, "w");
    fputs("pools:\n  - name: p\n    provider: kubernetes\n    kubernetes: {template: pod.yaml}\n",
          f);
    fclose(f);
    cr_assert_eq(config_load_file(path, &cfg, err, sizeof err), CONFIG_OK, "%s", err);
    cr_assert_str_eq(cfg->pools[0].kube.template_path, tmpl);
    cr_assert_str_eq(cfg->pools[0].kube.namespace, "default");
    cr_assert_not_null(cJSON_GetObjectItem(cfg->pools[0].kube.template, "spec"));
    config_free(cfg);
    cfg = NULL;
    f = fopen(tmpl, "w");
    fputs("kind: Deployment\n", f);
    fclose(f);
    cr_assert_eq(config_load_file(path, &cfg, err, sizeof err), CONFIG_ERR_INVALID);
    cr_assert(strstr(err, "prewarm.yaml:4:28: pools[0].kubernetes.template: "), "%s", err);
    cr_assert(strstr(err, "pod.yaml: pod template: not a Pod object"), "%s", err);
    unlink(tmpl);
    cr_assert_eq(config_load_file(path, &cfg, err, sizeof err), CONFIG_ERR_INVALID);
    cr_assert(strstr(err, "cannot open"), "%s", err);
    unlink(path);
    rmdir(dir);
}

struct bad {
    const char *text, *error;
};

#define POOL "pools:\n  - name: p\n    provider: kubernetes\n    kubernetes:\n"
#define TMPL "      template_inline: {spec: {containers: [{name: c, image: i}]}}\n"

static const struct bad bad[] = {
    {POOL TMPL "      port: 0\n",
     "t.yaml:6:13: pools[0].kubernetes.port: must be an integer between 1 and 65535"},
    {POOL TMPL "      namespace: Bad_NS\n", "t.yaml:6:18: pools[0].kubernetes.namespace: must be a "
                                            "namespace name ([a-z0-9-], at most 63)"},
    {POOL TMPL "      create_qps: fast\n",
     "t.yaml:6:19: pools[0].kubernetes.create_qps: must be a number between 0.01 and 10000"},
    {POOL TMPL "      tolerations: [{key: a, colour: b}]\n",
     "t.yaml:6:30: pools[0].kubernetes.tolerations[0].colour: unknown field"},
    {POOL TMPL "      node_selector: [a]\n",
     "t.yaml:6:22: pools[0].kubernetes.node_selector: must be a mapping of strings"},
    {POOL TMPL "      template: x.yaml\n",
     "t.yaml:6:17: pools[0].kubernetes.template: give template or template_inline, not both"},
    {POOL "      template_inline: [a]\n",
     "t.yaml:5:24: pools[0].kubernetes.template_inline: must be a Pod object"},
    {POOL "      port: 80\n",
     "t.yaml:2:5: pools[0]: kubernetes.template or kubernetes.template_inline is required"},
    {"kubernetes: {qps: -1}\n" POOL TMPL,
     "t.yaml:1:19: kubernetes.qps: must be a number between 0 and 100000"},
    {"kubernetes: {in_cluster: yes}\n" POOL TMPL,
     "t.yaml:1:26: kubernetes.in_cluster: must be true or false"},
    {"kubernetes: {token: x}\n" POOL TMPL, "t.yaml:1:14: kubernetes.token: unknown field"},
    {"pools:\n  - name: _p\n    provider: kubernetes\n    kubernetes:\n" TMPL,
     "t.yaml:2:5: pools[0]: a kubernetes pool's name must start and end with a letter or digit (it "
     "is a label value)"},
};

Test(kube_config, errors_name_file_line_column_and_field, .fini = fini)
{
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_expect_eq(load(bad[i].text), CONFIG_ERR_INVALID, "case %zu", i);
        cr_expect_str_eq(err, bad[i].error, "case %zu: got %s", i, err);
    }
}
