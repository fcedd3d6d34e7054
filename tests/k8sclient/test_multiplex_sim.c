/* Many requests and several watches share ONE TCP connection over h2; with
 * http1_only the same work runs over HTTP/1.1 keep-alive (chunked watches). */
#include <criterion/criterion.h>
#include <stdio.h>

#include "helper_sim.h"
#include "helper_watch.h"
#include "k8s_pods.h"
#include "k8s_watch.h"

struct done_count {
    int n, ok;
};

static void counted(void *arg, struct k8s_result *res)
{
    struct done_count *d = arg;
    d->n++;
    d->ok += res->status == K8S_EHTTP && res->http_code == 404;
}

static int all_done(void *arg)
{
    return ((struct done_count *)arg)->n == 200;
}

static void ev(void *arg, enum k8s_event_type t, cJSON *o)
{
    (void)arg;
    (void)t;
    (void)o;
}

static void expired(void *arg, const struct k8s_error *e)
{
    (void)arg;
    (void)e;
}

Test(multiplex, one_connection_for_everything, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    struct k8s_watch *w[3];
    struct k8s_watch_handlers h = {ev, expired, NULL};
    struct k8s_watch_options o = {.path = "/api/v1/namespaces/default/pods"};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(k8s_watch_start(fx.c, &o, &h, NULL, &w[i]), K8S_OK);
    struct done_count d = {0};
    for (int i = 0; i < 200; i++)
        cr_assert_eq(k8s_pods_get(fx.c, NULL, "none", counted, &d, NULL), K8S_OK);
    cr_assert_eq(k8s_client_run_until(fx.c, all_done, &d, 30000), 0);
    cr_assert_eq(d.ok, 200);
    struct k8s_client_stats st;
    k8s_client_get_stats(fx.c, &st);
    cr_assert_eq(st.connections, 1, "client opened %llu connections",
                 (unsigned long long)st.connections);
    /* the simulator saw every API request on one h2 connection */
    cr_assert_eq(sim_stat(&fx.sim, "connections", "http2", NULL), 1);
    cr_assert_eq(sim_stat(&fx.sim, "connections", "http1", NULL), 0);
    cr_assert_geq(st.gated, 100, "in-flight cap kept the rest waiting");
    for (int i = 0; i < 3; i++)
        k8s_watch_free(w[i]);
}

struct adds {
    int added;
};

static void count_added(void *arg, enum k8s_event_type t, cJSON *o)
{
    (void)o;
    ((struct adds *)arg)->added += t == K8S_EVENT_ADDED;
}

Test(multiplex, http1_only_fallback, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    k8s_client_free(fx.c);
    struct k8s_client_options opt;
    k8s_client_options_default(&opt);
    opt.qps = 0;
    opt.http1_only = true;
    cr_assert_eq(k8s_client_new(fx.cfg, &opt, NULL, NULL, &fx.c), K8S_OK);
    struct adds a = {0};
    struct k8s_watch_handlers h = {count_added, expired, NULL};
    struct k8s_watch_options o = {.path = "/api/v1/namespaces/default/pods",
                                  .label_selector = "app=w"};
    struct k8s_watch *w = NULL;
    cr_assert_eq(k8s_watch_start(fx.c, &o, &h, &a, &w), K8S_OK);
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "h1-%d", i);
        hw_create_pod(fx.c, name);
    }
    hw_wait_count(fx.c, &a.added, 5, 10000);
    struct done_count d = {0};
    for (int i = 0; i < 200; i++)
        cr_assert_eq(k8s_pods_get(fx.c, NULL, "none", counted, &d, NULL), K8S_OK);
    cr_assert_eq(k8s_client_run_until(fx.c, all_done, &d, 30000), 0);
    cr_assert_eq(d.ok, 200);
    cr_assert_eq(sim_stat(&fx.sim, "connections", "http2", NULL), 0);
    cr_assert_geq(sim_stat(&fx.sim, "connections", "http1", NULL), 2, "watch + requests");
    k8s_watch_free(w);
}
