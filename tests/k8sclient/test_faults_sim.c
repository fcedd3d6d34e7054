/* Every fault the simulator injects: 429 + Retry-After (retried), 5xx with
 * and without Retry-After, 403, 504, latency, 401 -> credential refresh +
 * one retry, a connection reset under a GET, outages (refuse, 503, reset)
 * -> back-off and recovery. Watch drops and 410s: test_watch_sim.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "helper_sim.h"
#include "helper_watch.h"
#include "k8s_cred.h"
#include "k8s_pods.h"
#include "k8s_watch.h"

static void fault(const char *json)
{
    cr_assert_eq(sim_control(&fx.sim, "POST", "faults", json, NULL), 201, "%s", json);
}

static struct sim_result get_missing(void)
{
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_get(fx.c, NULL, "nope", sim_on_result, &r, NULL), K8S_OK);
    sim_wait(fx.c, &r, 20000);
    return r;
}

Test(faults, retry_after_429_then_success, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    fault("{\"match\":{\"resource\":\"pods\"},\"code\":429,\"retryAfter\":1,\"count\":2}");
    struct sim_result r = get_missing();
    cr_assert_eq(r.http_code, 404, "got through after the 429s");
    struct k8s_client_stats st;
    k8s_client_get_stats(fx.c, &st);
    cr_assert_eq(st.retries, 2);
    cr_assert_eq(st.attempts, 3);
    sim_result_reset(&r);
}

Test(faults, server_error_retry_rules, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    fault("{\"match\":{\"resource\":\"pods\"},\"code\":503,\"retryAfter\":1,\"count\":1}");
    struct sim_result r = get_missing();
    cr_assert_eq(r.http_code, 404);
    sim_result_reset(&r);
    /* no Retry-After: client-go does not retry, neither do we */
    fault("{\"match\":{\"resource\":\"pods\"},\"code\":500,\"count\":1}");
    r = get_missing();
    cr_assert_eq(r.status, K8S_EHTTP);
    cr_assert_eq(r.http_code, 500);
    cr_assert_str_eq(r.error.reason, "InternalError");
    struct k8s_client_stats st;
    k8s_client_get_stats(fx.c, &st);
    cr_assert_eq(st.retries, 1);
    sim_result_reset(&r);
}

Test(faults, plain_text_429_without_retries_left, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    k8s_client_free(fx.c);
    struct k8s_client_options o;
    k8s_client_options_default(&o);
    o.qps = 0;
    o.max_retries = 0;
    cr_assert_eq(k8s_client_new(fx.cfg, &o, NULL, NULL, &fx.c), K8S_OK);
    fault("{\"match\":{\"resource\":\"pods\"},\"code\":429,\"retryAfter\":3,\"count\":1}");
    struct sim_result r = get_missing();
    cr_assert_eq(r.http_code, 429);
    cr_assert_eq(r.error.retry_after_seconds, 3);
    cr_assert(strstr(r.error.message, "Too many requests"), "%s", r.error.message);
    sim_result_reset(&r);
}

Test(faults, latency_is_only_slower, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    fault("{\"match\":{\"resource\":\"pods\"},\"latencyMs\":300,\"count\":1}");
    struct sim_result r = get_missing();
    cr_assert_eq(r.http_code, 404);
    sim_result_reset(&r);
}

Test(faults, unauthorized_refreshes_token_once)
{
    sim_start(&fx.sim, NULL);
    char path[600];
    snprintf(path, sizeof path, "%s/token-file", fx.sim.dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s\n", fx.sim.token);
    fclose(f);
    struct k8s_cred *cred = NULL;
    cr_assert_eq(k8s_cred_new_token_file(path, &cred), K8S_OK);
    fx.cfg = sim_config(&fx.sim, cred);
    fx.c = sim_client(fx.cfg, 0, 0);
    fault("{\"match\":{\"resource\":\"pods\"},\"code\":401,\"count\":1}");
    struct sim_result r = get_missing();
    cr_assert_eq(r.http_code, 404, "retried with the re-read token");
    struct k8s_client_stats st;
    k8s_client_get_stats(fx.c, &st);
    cr_assert_eq(st.retries, 1);
    sim_result_reset(&r);
    /* a second 401 on the same request is final */
    fault("{\"match\":{\"resource\":\"pods\"},\"code\":401,\"count\":2}");
    r = get_missing();
    cr_assert_eq(r.http_code, 401);
    cr_assert(k8s_error_is_unauthorized(&r.error));
    sim_result_reset(&r);
    sim_fx_teardown();
}

struct wseen {
    int added, errors;
};

static void w_event(void *arg, enum k8s_event_type t, cJSON *o)
{
    (void)o;
    ((struct wseen *)arg)->added += t == K8S_EVENT_ADDED;
}

static void w_expired(void *arg, const struct k8s_error *err)
{
    (void)arg;
    (void)err;
}

static void w_error(void *arg, const struct k8s_error *err)
{
    (void)err;
    ((struct wseen *)arg)->errors++;
}

Test(faults, outage_backoff_and_recovery, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    struct wseen s = {0};
    struct k8s_watch_handlers h = {w_event, w_expired, w_error};
    struct k8s_watch_options o = {.path = "/api/v1/namespaces/default/pods",
                                  .backoff_initial_ms = 100,
                                  .backoff_max_ms = 800};
    struct k8s_watch *w = NULL;
    hw_create_pod(fx.c, "before");
    cr_assert_eq(k8s_watch_start(fx.c, &o, &h, &s, &w), K8S_OK);
    hw_wait_count(fx.c, &s.added, 1, 10000);
    cr_assert_eq(sim_control(&fx.sim, "POST", "outage", "{\"ms\":1500,\"mode\":\"refuse\"}", NULL),
                 200);
    hw_wait_count(fx.c, &s.errors, 1, 10000);
    /* after the outage the watch is back: a new pod arrives as an event */
    struct sim_result r = {0};
    for (int i = 0; i < 100 && (r.calls == 0 || r.status != K8S_OK); i++) {
        sim_result_reset(&r);
        cr_assert_eq(k8s_pods_get(fx.c, NULL, "before", sim_on_result, &r, NULL), K8S_OK);
        sim_wait(fx.c, &r, 10000);
        if (r.status != K8S_OK)
            k8s_client_run(fx.c, 100);
    }
    cr_assert_eq(r.status, K8S_OK, "API back after the outage");
    sim_result_reset(&r);
    hw_create_pod(fx.c, "after");
    hw_wait_count(fx.c, &s.added, 2, 15000);
    struct k8s_watch_stats st;
    k8s_watch_get_stats(w, &st);
    cr_assert_geq(st.connects, 2);
    k8s_watch_free(w);
}

Test(faults, forbidden_is_final_and_504_is_retried, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    fault("{\"match\":{\"resource\":\"pods\"},\"code\":403,\"count\":1}");
    struct sim_result r = get_missing();
    cr_assert_eq(r.status, K8S_EHTTP);
    cr_assert_eq(r.http_code, 403);
    cr_assert_str_eq(r.error.reason, "Forbidden");
    cr_assert(strstr(r.error.message, "forbidden"), "%s", r.error.message);
    sim_result_reset(&r);
    fault("{\"match\":{\"resource\":\"pods\"},\"code\":504,\"retryAfter\":1,\"count\":1}");
    r = get_missing();
    cr_assert_eq(r.http_code, 404, "the 504 with Retry-After was retried");
    struct k8s_client_stats st;
    k8s_client_get_stats(fx.c, &st);
    cr_assert_eq(st.retries, 1);
    cr_assert_eq(st.attempts, 3);
    sim_result_reset(&r);
}

Test(faults, reset_connection_under_a_get_is_retried, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    /* Warm the connection first: the reset then hits a reused one. */
    struct sim_result r = get_missing();
    cr_assert_eq(r.http_code, 404);
    sim_result_reset(&r);
    fault("{\"match\":{\"resource\":\"pods\",\"verb\":\"get\"},\"reset\":true,\"count\":1}");
    r = get_missing();
    cr_assert_eq(r.http_code, 404, "%s", r.error.message);
    cr_assert_eq(sim_stat(&fx.sim, "faultsFired", NULL), 1);
    sim_result_reset(&r);
}

/* Outage modes other than "refuse" (outage_backoff_and_recovery): 503 with
 * Retry-After is retried until the API is back; "reset" accepts and drops
 * every connection, which a GET survives through its transport retries. */
Test(faults, outage_503_and_reset_modes, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    cr_assert_eq(sim_control(&fx.sim, "POST", "outage", "{\"ms\":1500,\"mode\":\"503\"}", NULL),
                 200);
    struct sim_result r = get_missing();
    cr_assert_eq(r.http_code, 404, "%s", r.error.message);
    struct k8s_client_stats st;
    k8s_client_get_stats(fx.c, &st);
    cr_assert_geq(st.retries, 1);
    sim_result_reset(&r);
    cr_assert_eq(sim_control(&fx.sim, "POST", "outage", "{\"ms\":600,\"mode\":\"reset\"}", NULL),
                 200);
    r = get_missing();
    k8s_client_get_stats(fx.c, &st);
    cr_assert_eq(r.http_code, 404, "%s (status %d, attempts %llu retries %llu)", r.error.message,
                 r.status, (unsigned long long)st.attempts, (unsigned long long)st.retries);
    sim_result_reset(&r);
}
