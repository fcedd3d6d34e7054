/* The request pipeline's contracts: argument errors never call back, the
 * rate limiter queues (never drops) in FIFO order, cancel and client_free
 * call each callback exactly once with K8S_ECANCELED, the body cap holds. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helper_sim.h"
#include "k8s_timer.h"
#include "k8s_client.h"
#include "k8s_pods.h"
#include "k8s_request.h"

struct rec {
    int calls[64];
    int order[64];
    uint64_t done_ms[64]; /* when each callback ran (k8s_now_ms) */
    int n;
    enum k8s_status st[64];
};

struct slot {
    struct rec *rec;
    int id;
};

static void record(void *arg, const struct k8s_response *resp)
{
    struct slot *s = arg;
    s->rec->calls[s->id]++;
    s->rec->st[s->id] = resp->status;
    s->rec->order[s->rec->n++] = s->id;
    s->rec->done_ms[s->id] = k8s_now_ms();
}

/* A client whose server nobody answers: requests stay queued or connecting. */
static struct k8s_client *offline_client(double qps, int burst, struct k8s_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->server = "https://127.0.0.1:9";
    return sim_client(cfg, qps, burst);
}

Test(request, bad_arguments_never_call_back)
{
    struct k8s_config cfg;
    struct k8s_client *c = offline_client(5, 10, &cfg);
    struct rec rec = {0};
    struct slot s = {&rec, 0};
    struct k8s_request_spec no_slash = {.method = "GET", .path = "api/v1"};
    struct k8s_request_spec body_no_type = {
        .method = "POST", .path = "/x", .body = "{}", .body_len = 2};
    cr_assert_eq(k8s_request_start(c, &no_slash, record, &s, NULL), K8S_EINVAL);
    cr_assert_eq(k8s_request_start(c, &body_no_type, record, &s, NULL), K8S_EINVAL);
    cr_assert_eq(k8s_pods_get(c, "default", "a/b", NULL, NULL, NULL), K8S_EINVAL);
    k8s_client_free(c);
    cr_assert_eq(rec.n, 0);
}

Test(request, bad_server_url_is_refused)
{
    struct k8s_config cfg = {.server = "http://plain:80"};
    struct k8s_client *c = NULL;
    cr_assert_eq(k8s_client_new(&cfg, NULL, NULL, NULL, &c), K8S_EINVAL);
    cr_assert_null(c);
}

Test(request, free_cancels_queued_and_connecting_once)
{
    struct k8s_config cfg;
    struct k8s_client *c = offline_client(1, 2, &cfg);
    struct rec rec = {0};
    struct slot slots[10];
    struct k8s_request_spec spec = {.method = "GET", .path = "/api/v1/pods"};
    for (int i = 0; i < 10; i++) {
        slots[i] = (struct slot){&rec, i};
        cr_assert_eq(k8s_request_start(c, &spec, record, &slots[i], NULL), K8S_OK);
    }
    struct k8s_client_stats st;
    k8s_client_get_stats(c, &st);
    cr_assert_eq(st.throttled, 8, "2 sent at once (burst), 8 queued");
    cr_assert_eq(rec.n, 0, "no callback from inside start");
    k8s_client_free(c);
    cr_assert_eq(rec.n, 10);
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(rec.calls[i], 1);
        cr_assert_eq(rec.st[i], K8S_ECANCELED);
    }
}

Test(request, cancel_runs_callback_now_once)
{
    struct k8s_config cfg;
    struct k8s_client *c = offline_client(1, 1, &cfg);
    struct rec rec = {0};
    struct slot a = {&rec, 0}, b = {&rec, 1};
    struct k8s_request_spec spec = {.method = "GET", .path = "/api/v1/pods"};
    struct k8s_request *ra, *rb;
    cr_assert_eq(k8s_request_start(c, &spec, record, &a, &ra), K8S_OK); /* connecting */
    cr_assert_eq(k8s_request_start(c, &spec, record, &b, &rb), K8S_OK); /* queued */
    k8s_request_cancel(rb);
    cr_assert_eq(rec.calls[1], 1);
    cr_assert_eq(rec.st[1], K8S_ECANCELED);
    k8s_request_cancel(ra);
    cr_assert_eq(rec.calls[0], 1);
    k8s_client_free(c);
    cr_assert_eq(rec.n, 2);
}

static int all_done(void *arg)
{
    struct rec *r = arg;
    return r->n == 15;
}

Test(request, rate_limiter_delays_in_fifo_order)
{
    struct sim sim;
    sim_start(&sim, NULL);
    struct k8s_config *cfg = sim_config(&sim, NULL);
    struct k8s_client *c = sim_client(cfg, 10, 5); /* 5 at once, then one per 100 ms */
    struct rec rec = {0};
    struct slot slots[15];
    struct k8s_request_spec spec = {.method = "GET", .path = "/api/v1/namespaces/default/pods"};
    uint64_t t0 = k8s_now_ms();
    for (int i = 0; i < 15; i++) {
        slots[i] = (struct slot){&rec, i};
        cr_assert_eq(k8s_request_start(c, &spec, record, &slots[i], NULL), K8S_OK);
    }
    cr_assert_eq(k8s_client_run_until(c, all_done, &rec, 20000), 0);
    for (int i = 0; i < 15; i++)
        cr_assert_eq(rec.st[i], K8S_OK, "request %d: %d", i, rec.st[i]);
    /* The ten queued requests leave the queue in FIFO order, one per 100 ms:
     * queued request i cannot have been answered before its turn,
     * t0 + (i - 4) x 100 ms. Lower bounds only: a busy machine delays
     * answers (and may reorder their completion), it never makes them
     * early; a limiter that is not FIFO lets a late request out early. */
    for (int i = 5; i < 15; i++) {
        uint64_t turn = t0 + (uint64_t)(i - 4) * 100;
        cr_assert_geq(rec.done_ms[i] + 10, turn,
                      "queued request %d answered %ld ms before its turn", i,
                      (long)(turn - rec.done_ms[i]));
    }
    struct k8s_client_stats st;
    k8s_client_get_stats(c, &st);
    cr_assert_eq(st.throttled, 10);
    cr_assert_eq(st.requests, 15);
    k8s_client_free(c);
    sim_config_free(cfg);
    sim_stop(&sim);
}

Test(request, response_cap_gives_etoobig)
{
    struct sim sim;
    sim_start(&sim, NULL);
    struct k8s_config *cfg = sim_config(&sim, NULL);
    struct k8s_client_options o;
    k8s_client_options_default(&o);
    o.max_response = 16;
    struct k8s_client *c = NULL;
    cr_assert_eq(k8s_client_new(cfg, &o, NULL, NULL, &c), K8S_OK);
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_list(c, NULL, NULL, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(c, &r, 10000);
    cr_assert_eq(r.status, K8S_ETOOBIG);
    cr_assert_null(r.object);
    sim_result_reset(&r);
    k8s_client_free(c);
    sim_config_free(cfg);
    sim_stop(&sim);
}

static struct sim_result get_with(struct k8s_config *cfg)
{
    struct k8s_client *c = sim_client(cfg, 0, 0);
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_get(c, NULL, "none", sim_on_result, &r, NULL), K8S_OK);
    sim_wait(c, &r, 10000);
    k8s_client_free(c);
    return r;
}

Test(request, tls_server_name_and_verification)
{
    struct sim sim;
    sim_start(&sim, NULL);
    struct k8s_config *cfg = sim_config(&sim, NULL);
    /* the certificate names "kubernetes": connect to 127.0.0.1, verify that name */
    cfg->tls_server_name = strdup("kubernetes");
    struct sim_result r = get_with(cfg);
    cr_assert_eq(r.http_code, 404, "%s", r.error.message);
    sim_result_reset(&r);
    /* a name the certificate lacks fails verification */
    free(cfg->tls_server_name);
    cfg->tls_server_name = strdup("not-in-the-cert.example");
    r = get_with(cfg);
    cr_assert_eq(r.status, K8S_ETRANSPORT);
    sim_result_reset(&r);
    free(cfg->tls_server_name);
    cfg->tls_server_name = NULL;
    /* no CA: verification fails, unless insecure-skip-tls-verify */
    free(cfg->ca_pem);
    cfg->ca_pem = NULL;
    r = get_with(cfg);
    cr_assert_eq(r.status, K8S_ETRANSPORT);
    sim_result_reset(&r);
    cfg->insecure_skip_tls_verify = true;
    r = get_with(cfg);
    cr_assert_eq(r.http_code, 404, "%s", r.error.message);
    sim_result_reset(&r);
    sim_config_free(cfg);
    sim_stop(&sim);
}
