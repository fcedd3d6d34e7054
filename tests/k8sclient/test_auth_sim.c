/* Credentials through the request pipeline: an exec plugin that takes a
 * while parks requests without blocking (PENDING -> fd -> READY), and a 401
 * runs the plugin again and retries once. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_sim.h"
#include "k8s_cred.h"
#include "k8s_exec.h"
#include "k8s_pods.h"

static struct k8s_cred *exec_cred(const struct sim *s, const char *counter_file)
{
    char script[2048];
    snprintf(script, sizeof script,
             "echo run >> '%s'; sleep 0.2; printf '{\"apiVersion\":\"client.authentication.k8s.io/"
             "v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}'",
             counter_file, s->token);
    char *args[] = {"-c", script};
    struct k8s_exec_config cfg = {
        .api_version = "client.authentication.k8s.io/v1",
        .command = "/bin/sh",
        .args = args,
        .nargs = 2,
        .interactive_mode = K8S_EXEC_INTERACTIVE_NEVER,
    };
    struct k8s_cred *cred = NULL;
    struct k8s_error err;
    cr_assert_eq(k8s_cred_new_exec(&cfg, &cred, &err), K8S_OK, "%s", err.message);
    return cred;
}

static int runs(const char *counter_file)
{
    FILE *f = fopen(counter_file, "r");
    if (!f)
        return 0;
    int n = 0;
    char line[64];
    while (fgets(line, sizeof line, f))
        n++;
    fclose(f);
    return n;
}

struct three {
    struct sim_result r[3];
};

static int all_three(void *arg)
{
    struct three *t = arg;
    return t->r[0].calls && t->r[1].calls && t->r[2].calls;
}

Test(auth, exec_plugin_parks_requests_then_401_refreshes)
{
    struct sim sim;
    sim_start(&sim, NULL);
    char counter[600];
    snprintf(counter, sizeof counter, "%s/plugin-runs", sim.dir);
    struct k8s_config *cfg = sim_config(&sim, exec_cred(&sim, counter));
    struct k8s_client *c = sim_client(cfg, 0, 0);
    struct three t = {0};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(k8s_pods_get(c, NULL, "none", sim_on_result, &t.r[i], NULL), K8S_OK);
    cr_assert_eq(t.r[0].calls + t.r[1].calls + t.r[2].calls, 0, "parked, not blocked");
    cr_assert_eq(k8s_client_run_until(c, all_three, &t, 20000), 0);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(t.r[i].http_code, 404, "request %d: %s", i, t.r[i].error.message);
        sim_result_reset(&t.r[i]);
    }
    cr_assert_eq(runs(counter), 1, "one plugin run served three requests");

    cr_assert_eq(sim_control(&sim, "POST", "faults",
                             "{\"match\":{\"resource\":\"pods\"},\"code\":401,\"count\":1}", NULL),
                 201);
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_get(c, NULL, "none", sim_on_result, &r, NULL), K8S_OK);
    sim_wait(c, &r, 20000);
    cr_assert_eq(r.http_code, 404, "%s", r.error.message);
    cr_assert_eq(runs(counter), 2, "the 401 ran the plugin again");
    sim_result_reset(&r);
    k8s_client_free(c);
    sim_config_free(cfg);
    sim_stop(&sim);
}
