/* The daemon with a Kubernetes pool (src/providers/kubernetes) against the
 * API simulator (tests/k8s-sim, two nodes, kubelet at 1/100 of real time):
 * the pool fills with pods created through the API, a claim writes its
 * binding onto the pod, a release deletes the pod and the pool refills, a
 * pod deleted behind prewarm's back ends its session, and a new daemon on
 * the same cluster restores the bound session from the pod's binding. */
#include "daemon_client.h"

#include <stdlib.h>

#include "config.h"
#include "helper_sim.h"
#include "k8s_pods.h"

static struct sim sim;
static struct k8s_config *kcfg;
static struct k8s_client *kc;
static char config_text[4096];

static void start_daemon(void)
{
    char err[512];
    cr_assert_eq(
        config_load_string("t.yaml", config_text, strlen(config_text), &cfg, err, sizeof err),
        CONFIG_OK, "%s", err);
    cr_assert_eq(daemon_new(loop, cfg, &test_log, &dmn, err, sizeof err), 0, "%s", err);
    cr_assert_eq(daemon_listen(dmn, "127.0.0.1", 0, &port), 0);
}

static void free_daemon(void)
{
    daemon_free(dmn);
    config_free(cfg);
    dmn = NULL;
    cfg = NULL;
}

static void write_config(const char *extra);

static void setup(void)
{
    static const char *const args[] = {"--nodes", "2", "--time-scale", "0.01", NULL};
    sim_start(&sim, args);
    kcfg = sim_config(&sim, NULL);
    kc = sim_client(kcfg, 0, 0);
    write_config("");
    loop = loop_new();
    cr_assert_not_null(loop);
    start_daemon();
}

/* The config: one pool of 2-4 pods in "default"; extra goes into the
 * top-level kubernetes: block. */
static void write_config(const char *extra)
{
    snprintf(config_text, sizeof config_text,
             "kubernetes: {kubeconfig: \"%s\", qps: 200, burst: 200, bind_qps: 50%s}\n"
             "pools:\n"
             "  - name: warm\n"
             "    provider: kubernetes\n"
             "    min_idle: 2\n"
             "    max_idle: 2\n"
             "    max_total: 4\n"
             "    session_ttl_seconds: 600\n"
             "    start_timeout_seconds: 60\n"
             "    kubernetes:\n"
             "      namespace: default\n"
             "      port: 8080\n"
             "      delete_grace_seconds: 0\n"
             "      template_inline: {metadata: {labels: {app: editor}}, spec: {containers: "
             "[{name: editor, image: nginx, ports: [{containerPort: 8080}]}]}}\n",
             sim.kubeconfig, extra);
}

static void teardown(void)
{
    free_daemon();
    loop_free(loop);
    loop = NULL;
    k8s_client_free(kc);
    sim_config_free(kcfg);
    sim_stop(&sim);
}

TestSuite(daemon_kube, .init = setup, .fini = teardown, .timeout = 180);

/* The pod as the API server has it (NULL when 404); caller frees. */
static cJSON *api_pod(const char *name)
{
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_get(kc, "default", name, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(kc, &r, 30000);
    cJSON *pod = r.http_code == 200 ? r.object : NULL;
    if (!pod)
        cJSON_Delete(r.object);
    return pod;
}

static const char *annotation(const cJSON *pod, const char *key)
{
    const cJSON *a = cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "metadata"), "annotations");
    return cJSON_GetStringValue(cJSON_GetObjectItem(a, key));
}

/* Turns the daemon's loop until the pod carries a binding naming the
 * session (30 s). */
static void wait_binding(const char *pod_name, const char *session)
{
    for (uint64_t end = mono_ms() + 30000;;) {
        cJSON *pod = api_pod(pod_name);
        const char *b = pod ? annotation(pod, "prewarm.dev/binding") : NULL;
        bool found = b && strstr(b, session);
        cJSON_Delete(pod);
        if (found)
            return;
        cr_assert_lt(mono_ms(), end, "pod %s has no binding for %s", pod_name, session);
        for (int i = 0; i < 10; i++)
            loop_run_once(loop, 10);
    }
}

/* Turns the daemon's loop until the API server no longer has the pod. */
static void wait_pod_gone(const char *pod_name)
{
    for (uint64_t end = mono_ms() + 30000;;) {
        cJSON *pod = api_pod(pod_name);
        if (!pod)
            return;
        cJSON_Delete(pod);
        cr_assert_lt(mono_ms(), end, "pod %s still there", pod_name);
        for (int i = 0; i < 10; i++)
            loop_run_once(loop, 10);
    }
}

static void claim(char *id, size_t idcap, char *pod, size_t podcap)
{
    struct answer c = request("POST", "/v1/pools/warm/claims", "{\"wait_ms\":30000}");
    cr_assert_eq(c.status, 201, "%s", c.body);
    json_field(c.body, "session_id", id, idcap);
    json_field(c.body, "pod", pod, podcap);
}

/* Polls GET /v1/sessions/{id} (timeout_ms at most) until it answers 200,
 * naming pod: the session is back after a restart. */
static void wait_session_restored(const char *id, const char *pod, int timeout_ms)
{
    char path[200];
    snprintf(path, sizeof path, "/v1/sessions/%s", id);
    for (uint64_t end = mono_ms() + (uint64_t)timeout_ms;;) {
        struct answer s = request("GET", path, "");
        if (s.status == 200) {
            cr_assert(strstr(s.body, pod), "%s", s.body);
            return;
        }
        cr_assert_lt(mono_ms(), end, "session not restored: %d %s", s.status, s.body);
        for (int i = 0; i < 10; i++)
            loop_run_once(loop, 10);
    }
}

Test(daemon_kube, fills_binds_releases_and_refills)
{
    wait_body("/v1/pools/warm", "\"ready\":2");
    wait_body("/readyz", "\"ready\":true");
    struct answer p = request("GET", "/v1/pools/warm", "");
    cr_assert(strstr(p.body, "\"provider\":\"kubernetes\""), "%s", p.body);
    char id[80], pod[128], path[200];
    claim(id, sizeof id, pod, sizeof pod);
    wait_binding(pod, id);
    snprintf(path, sizeof path, "/v1/sessions/%s", id);
    cr_assert_eq(request("DELETE", path, "").status, 200);
    wait_pod_gone(pod);
    wait_body("/v1/pools/warm", "\"ready\":2");
    struct answer m = request("GET", "/metrics", "");
    cr_assert(strstr(m.body, "prewarm_claims_total{pool=\"warm\",outcome=\"bound\"} 1\n"), "%s",
              m.body);
}

/* A pod deleted behind prewarm's back (kubectl delete, eviction) ends the
 * session bound to it. */
Test(daemon_kube, pod_deleted_outside_ends_its_session)
{
    wait_body("/v1/pools/warm", "\"ready\":2");
    char id[80], pod[128], path[200];
    claim(id, sizeof id, pod, sizeof pod);
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_delete(kc, "default", pod, NULL, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(kc, &r, 30000);
    cr_assert_eq(r.http_code, 200, "%s", r.error.message);
    sim_result_reset(&r);
    snprintf(path, sizeof path, "/v1/sessions/%s", id);
    for (uint64_t end = mono_ms() + 30000; request("GET", path, "").status != 404;) {
        cr_assert_lt(mono_ms(), end, "the session of the deleted pod is still there");
        for (int i = 0; i < 10; i++)
            loop_run_once(loop, 10);
    }
    wait_body("/metrics", "prewarm_sessions_ended_total{pool=\"warm\",reason=\"pod_died\"} 1\n");
}

/* A new daemon on the same cluster (no journal) rebuilds the pool from the
 * pods: the bound one comes back with its session, from its binding. */
Test(daemon_kube, restart_restores_the_bound_session)
{
    wait_body("/v1/pools/warm", "\"ready\":2");
    char id[80], pod[128];
    claim(id, sizeof id, pod, sizeof pod);
    wait_binding(pod, id);
    free_daemon(); /* pods are not deleted: a restarted prewarmd adopts them */
    start_daemon();
    wait_session_restored(id, pod, 30000);
    wait_body("/v1/pools/warm", "\"ready\":2");
}

/* With a bind journal and leader election (a Lease in the simulator), a
 * restart on the same node takes the lease again, restores the bound
 * session from the journal and keeps the idle pods (proven idle: nobody
 * else led in between), so the pool serves at once. */
Test(daemon_kube, journal_and_lease_restore_a_restart)
{
    char dir[] = "/tmp/prewarm-journal-XXXXXX", extra[512];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(extra, sizeof extra,
             ", journal: %s/binds, leader_election: {lease_name: prewarm, lease_namespace: "
             "default, identity: test-0}",
             dir);
    free_daemon();
    write_config(extra);
    start_daemon();
    wait_body("/v1/pools/warm", "\"ready\":2");
    wait_body("/readyz", "\"ready\":true");
    char id[80], pod[128];
    claim(id, sizeof id, pod, sizeof pod);
    free_daemon();
    start_daemon();
    wait_session_restored(id, pod, 60000);
    wait_binding(pod, id); /* the journal's binding reaches the pod */
    wait_body("/v1/pools/warm", "\"ready\":2");
    free_daemon();
    char file[600];
    snprintf(file, sizeof file, "%s/binds", dir);
    unlink(file);
    rmdir(dir);
    write_config("");
    start_daemon(); /* teardown frees a daemon */
}
