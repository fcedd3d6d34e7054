/* The client driven by the daemon's own event loop (src/base/loop.h: epoll
 * and heap timers) through the daemon's adapter (k8s_loop.h), as prewarmd
 * drives it: calls,
 * a watch, and timers (rate limiter, retry) all progress with no built-in
 * poll driver. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "helper_sim.h"
#include "helper_watch.h"
#include "k8s_pods.h"
#include "k8s_watch.h"
#include "k8s_loop.h"
#include "loop.h"

static void run_until(struct loop *loop, const int *counter, int want)
{
    for (int i = 0; i < 2000 && *counter < want; i++)
        cr_assert_geq(loop_run_once(loop, 10), 0);
    cr_assert_geq(*counter, want, "count %d, wanted %d", *counter, want);
}

struct tally {
    int done, ok, added;
};

static void got(void *arg, struct k8s_result *res)
{
    struct tally *t = arg;
    t->done++;
    t->ok += res->http_code == 404;
}

static void ev(void *arg, enum k8s_event_type type, cJSON *o)
{
    (void)o;
    ((struct tally *)arg)->added += type == K8S_EVENT_ADDED;
}

static void expired(void *arg, const struct k8s_error *e)
{
    (void)arg;
    (void)e;
}

Test(loop_adapter, calls_watch_and_timers_on_epoll)
{
    struct sim sim;
    sim_start(&sim, NULL);
    struct k8s_config *cfg = sim_config(&sim, NULL);
    struct loop *loop = loop_new();
    cr_assert_not_null(loop);
    struct k8s_loop *kl = k8s_loop_new(loop);
    struct k8s_client *client = NULL;
    struct k8s_client_options o;
    k8s_client_options_default(&o);
    o.qps = 50; /* 10 at once, then the limiter's timer paces the rest */
    cr_assert_eq(k8s_client_new(cfg, &o, k8s_loop_ops(), kl, &client), K8S_OK);
    k8s_loop_attach(kl, client);
    cr_assert_eq(k8s_client_run(client, 0), -1, "the built-in driver is off");

    struct tally t = {0};
    struct k8s_watch_handlers h = {ev, expired, NULL};
    struct k8s_watch_options wo = {.path = "/api/v1/namespaces/default/pods"};
    struct k8s_watch *w = NULL;
    cr_assert_eq(k8s_watch_start(client, &wo, &h, &t, &w), K8S_OK);
    for (int i = 0; i < 30; i++)
        cr_assert_eq(k8s_pods_get(client, NULL, "none", got, &t, NULL), K8S_OK);
    run_until(loop, &t.done, 30);
    cr_assert_eq(t.ok, 30);
    struct k8s_client_stats st;
    k8s_client_get_stats(client, &st);
    cr_assert_geq(st.throttled, 19);

    cr_assert_eq(sim_control(&sim, "POST", "faults",
                             "{\"match\":{\"resource\":\"pods\",\"verb\":\"create\"},"
                             "\"code\":429,\"retryAfter\":1,\"count\":1}",
                             NULL),
                 201);
    cJSON *pod = cJSON_Parse("{\"metadata\":{\"name\":\"z\"},\"spec\":{\"containers\":[{\"name\":"
                             "\"a\",\"image\":\"b\"}]}}");
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_create(client, NULL, pod, NULL, sim_on_result, &r, NULL), K8S_OK);
    run_until(loop, &r.calls, 1);
    cr_assert_eq(r.status, K8S_OK, "created after the retry timer: %s", r.error.message);
    k8s_client_get_stats(client, &st);
    cr_assert_eq(st.retries, 1, "the 429 was retried on a loop timer");
    run_until(loop, &t.added, 1);
    cr_assert_gt(k8s_loop_fd_calls(kl), 0);
    cr_assert_gt(k8s_loop_timer_calls(kl), 0);
    sim_result_reset(&r);
    cJSON_Delete(pod);
    k8s_watch_free(w);
    k8s_client_free(client);
    k8s_loop_free(kl);
    loop_free(loop);
    sim_config_free(cfg);
    sim_stop(&sim);
}
