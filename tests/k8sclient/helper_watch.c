#include "helper_watch.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "helper_sim.h"
#include "k8s_pods.h"

void hw_create_pod(struct k8s_client *c, const char *name)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"app\":\"w\"}},"
             "\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"busybox\"}]}}",
             name);
    cJSON *pod = cJSON_Parse(json);
    hw_create_pod_object(c, pod);
    cJSON_Delete(pod);
}

void hw_create_pod_object(struct k8s_client *c, const cJSON *pod)
{
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_create(c, NULL, pod, NULL, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(c, &r, 10000);
    cr_assert_eq(r.status, K8S_OK, "create %s: %s", k8s_obj_name(pod), r.error.message);
    sim_result_reset(&r);
}

void hw_delete_pod(struct k8s_client *c, const char *name)
{
    struct k8s_delete_options o = {.set_grace_period = true, .grace_period_seconds = 0};
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_delete(c, NULL, name, &o, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(c, &r, 10000);
    cr_assert_eq(r.status, K8S_OK, "delete %s: %s", name, r.error.message);
    sim_result_reset(&r);
}

struct count_wait {
    const int *counter;
    int want;
};

static int reached(void *arg)
{
    struct count_wait *w = arg;
    return *w->counter >= w->want;
}

void hw_wait_count(struct k8s_client *c, const int *counter, int want, int timeout_ms)
{
    struct count_wait w = {counter, want};
    cr_assert_eq(k8s_client_run_until(c, reached, &w, timeout_ms), 0,
                 "count %d, wanted %d within %d ms", *counter, want, timeout_ms);
}
