/* Pod calls against the simulator over TLS: create from a YAML template
 * with generateName, get, list (selectors, paging), three patch types,
 * delete with preconditions, decoded errors; status readers on a fixture. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_sim.h"
#include "k8s_pods.h"

static const char *template_yaml = "apiVersion: v1\n"
                                   "kind: Pod\n"
                                   "metadata:\n"
                                   "  name: ignored\n"
                                   "  labels: {app: warm, tier: a}\n"
                                   "spec:\n"
                                   "  automountServiceAccountToken: false\n"
                                   "  terminationGracePeriodSeconds: 0\n"
                                   "  containers:\n"
                                   "  - name: app\n"
                                   "    image: \"nginx:1.27\"\n"
                                   "    ports: [{containerPort: 8080}]\n";

static cJSON *create_pod(const char *prefix)
{
    cJSON *tpl = NULL;
    struct k8s_error err;
    cr_assert_eq(k8s_pod_template_parse(template_yaml, strlen(template_yaml), &tpl, &err), K8S_OK,
                 "%s", err.message);
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_create(fx.c, NULL, tpl, prefix, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(fx.c, &r, 10000);
    cJSON_Delete(tpl);
    cr_assert_eq(r.status, K8S_OK, "%s", r.error.message);
    cr_assert_eq(r.http_code, 201);
    return r.object;
}

Test(pods, create_get_list_delete, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    cJSON *pod = create_pod("warm-");
    const char *name = k8s_obj_name(pod);
    cr_assert(name && strncmp(name, "warm-", 5) == 0 && strlen(name) == 10, "name %s", name);
    cr_assert(k8s_obj_uid(pod));
    cJSON *sa = (cJSON *)k8s_json_get(pod, "spec", "automountServiceAccountToken", NULL);
    cr_assert(cJSON_IsFalse(sa), "false booleans are sent");
    cJSON_Delete(create_pod("warm-"));
    cJSON_Delete(create_pod("warm-"));

    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_get(fx.c, NULL, name, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(fx.c, &r, 10000);
    cr_assert_eq(r.status, K8S_OK);
    cr_assert_str_eq(k8s_obj_name(r.object), name);
    sim_result_reset(&r);

    struct k8s_list_options lo = {.label_selector = "app=warm,tier in (a,b)", .limit = 2};
    cr_assert_eq(k8s_pods_list(fx.c, NULL, &lo, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(fx.c, &r, 10000);
    cr_assert_eq(r.status, K8S_OK, "%s", r.error.message);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.object, "items")), 2);
    char *cont = strdup(k8s_json_str(r.object, "metadata", "continue", NULL));
    sim_result_reset(&r);
    lo.continue_token = cont;
    cr_assert_eq(k8s_pods_list(fx.c, NULL, &lo, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(fx.c, &r, 10000);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.object, "items")), 1);
    free(cont);
    sim_result_reset(&r);

    char fs[300];
    snprintf(fs, sizeof fs, "metadata.name=%s", name);
    struct k8s_list_options byname = {.field_selector = fs};
    cr_assert_eq(k8s_pods_list(fx.c, NULL, &byname, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(fx.c, &r, 10000);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.object, "items")), 1);
    sim_result_reset(&r);

    struct k8s_delete_options wrong = {
        .set_grace_period = true, .grace_period_seconds = 0, .precondition_uid = "nope"};
    cr_assert_eq(k8s_pods_delete(fx.c, NULL, name, &wrong, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(fx.c, &r, 10000);
    cr_assert_eq(r.status, K8S_EHTTP);
    cr_assert(k8s_error_is_conflict(&r.error), "%ld %s", r.error.http_code, r.error.reason);
    sim_result_reset(&r);

    struct k8s_delete_options right = {.set_grace_period = true,
                                       .grace_period_seconds = 0,
                                       .precondition_uid = k8s_obj_uid(pod),
                                       .propagation_policy = "Background"};
    cr_assert_eq(k8s_pods_delete(fx.c, NULL, name, &right, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(fx.c, &r, 10000);
    cr_assert_eq(r.status, K8S_OK, "%s", r.error.message);
    sim_result_reset(&r);
    cJSON_Delete(pod);
}

/* Zeroed delete options send no gracePeriodSeconds: a scheduled pod gets
 * its own terminationGracePeriodSeconds (30 by default), not an immediate
 * grace-0 removal. A grace period is sent only when asked for. */
Test(pods, delete_options_zeroed_keep_the_pod_grace, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    cJSON *pod = cJSON_Parse("{\"metadata\":{\"name\":\"scheduled\"},\"spec\":{"
                             "\"nodeName\":\"node-1\",\"containers\":[{\"name\":\"a\","
                             "\"image\":\"busybox\"}]}}");
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_create(fx.c, NULL, pod, NULL, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(fx.c, &r, 10000);
    cr_assert_eq(r.status, K8S_OK, "%s", r.error.message);
    sim_result_reset(&r);
    struct k8s_delete_options zero = {0};
    cr_assert_eq(k8s_pods_delete(fx.c, NULL, "scheduled", &zero, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(fx.c, &r, 10000);
    cr_assert_eq(r.status, K8S_OK, "%s", r.error.message);
    const cJSON *grace = cJSON_GetObjectItem(cJSON_GetObjectItem(r.object, "metadata"),
                                             "deletionGracePeriodSeconds");
    cr_assert(cJSON_IsNumber(grace), "no deletionGracePeriodSeconds in the answer");
    cr_assert_eq(grace->valueint, 30);
    sim_result_reset(&r);
    cJSON_Delete(pod);
}

Test(pods, not_found_is_decoded, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_get(fx.c, NULL, "missing", sim_on_result, &r, NULL), K8S_OK);
    sim_wait(fx.c, &r, 10000);
    cr_assert_eq(r.status, K8S_EHTTP);
    cr_assert_eq(r.http_code, 404);
    cr_assert(k8s_error_is_not_found(&r.error));
    cr_assert_str_eq(r.error.reason, "NotFound");
    sim_result_reset(&r);
}

static cJSON *patch(const char *name, enum k8s_patch_type t, const char *body, enum k8s_status want)
{
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_patch(fx.c, NULL, name, t, body, strlen(body), sim_on_result, &r, NULL),
                 K8S_OK);
    sim_wait(fx.c, &r, 10000);
    cr_assert_eq(r.status, want, "patch %d: %s", t, r.error.message);
    return r.object;
}

Test(pods, three_patch_types, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    cJSON *pod = create_pod("p-");
    const char *name = k8s_obj_name(pod);
    cJSON_Delete(patch(name, K8S_PATCH_MERGE, "{\"metadata\":{\"labels\":{\"m\":\"1\"}}}", K8S_OK));
    cJSON_Delete(
        patch(name, K8S_PATCH_STRATEGIC, "{\"metadata\":{\"labels\":{\"s\":\"2\"}}}", K8S_OK));
    cJSON *o = patch(name, K8S_PATCH_JSON,
                     "[{\"op\":\"add\",\"path\":\"/metadata/labels/j\",\"value\":\"3\"}]", K8S_OK);
    cr_assert_str_eq(k8s_json_str(o, "metadata", "labels", "m", NULL), "1");
    cr_assert_str_eq(k8s_json_str(o, "metadata", "labels", "s", NULL), "2");
    cr_assert_str_eq(k8s_json_str(o, "metadata", "labels", "j", NULL), "3");
    cJSON_Delete(o);
    /* a conditional patch with a stale resourceVersion is refused */
    cJSON_Delete(patch(name, K8S_PATCH_MERGE,
                       "{\"metadata\":{\"resourceVersion\":\"1\",\"labels\":{\"x\":\"y\"}}}",
                       K8S_EHTTP));
    cJSON_Delete(pod);
}

Test(pods, status_readers_on_fixture)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/k8s/pods/pod-running-nginx.k8s-docs.yaml",
             getenv("PREWARM_FIXTURES"));
    size_t len;
    char *text = sim_read_file(path, &len);
    cJSON *pod = NULL;
    struct k8s_error err;
    cr_assert_eq(k8s_pod_template_parse(text, len, &pod, &err), K8S_OK, "%s", err.message);
    cr_assert_str_eq(k8s_pod_phase(pod), "Running");
    cr_assert(k8s_pod_is_ready(pod));
    cr_assert(k8s_pod_is_warm(pod));
    cr_assert(k8s_pod_ip(pod));
    cr_assert(k8s_pod_node_name(pod));
    cr_assert_null(k8s_pod_deletion_timestamp(pod));
    cJSON_Delete(pod);
    free(text);
    cr_assert_eq(k8s_pod_template_parse("kind: Service\n", 14, &pod, &err), K8S_EINVAL);
    cr_assert_eq(k8s_pod_template_parse("a: [\n", 5, &pod, &err), K8S_EINVAL);
}
