/* The client driven by the daemon's own event loop (src/loop.h: epoll and
 * heap timers) through struct k8s_loop_ops, as prewarmd drives it: calls,
 * a watch, and timers (rate limiter, retry) all progress with no built-in
 * poll driver. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "helper_sim.h"
#include "helper_watch.h"
#include "k8s_pods.h"
#include "k8s_watch.h"
#include "loop.h"

struct adapter {
    struct loop *loop;
    struct k8s_client *c;
    struct loop_timer timer;
    int fd_calls, timer_calls;
};

static void on_io(struct loop *loop, int fd, unsigned events, void *data)
{
    (void)loop;
    struct adapter *a = data;
    unsigned ev =
        ((events & LOOP_READ) ? K8S_IO_READ : 0) | ((events & LOOP_WRITE) ? K8S_IO_WRITE : 0);
    k8s_client_on_fd(a->c, fd, ev);
}

static void watch_fd(void *ctx, int fd, unsigned events)
{
    struct adapter *a = ctx;
    a->fd_calls++;
    if (events == 0) {
        loop_io_remove(a->loop, fd);
        return;
    }
    unsigned ev =
        ((events & K8S_IO_READ) ? LOOP_READ : 0) | ((events & K8S_IO_WRITE) ? LOOP_WRITE : 0);
    if (loop_io_modify(a->loop, fd, ev) != 0)
        cr_assert_eq(loop_io_add(a->loop, fd, ev, on_io, a), 0);
}

static void timer_fired(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct adapter *a = t->data;
    k8s_client_on_timeout(a->c);
}

static void set_timer(void *ctx, long ms)
{
    struct adapter *a = ctx;
    a->timer_calls++;
    if (ms < 0)
        loop_timer_stop(a->loop, &a->timer);
    else
        loop_timer_start(a->loop, &a->timer, loop_now(a->loop) + (uint64_t)ms * 1000000u);
}

static void run_until(struct adapter *a, const int *counter, int want)
{
    for (int i = 0; i < 2000 && *counter < want; i++)
        cr_assert_geq(loop_run_once(a->loop, 10), 0);
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
    struct adapter a = {.loop = loop_new()};
    cr_assert_not_null(a.loop);
    loop_timer_init(&a.timer, timer_fired, &a);
    struct k8s_loop_ops ops = {watch_fd, set_timer};
    struct k8s_client_options o;
    k8s_client_options_default(&o);
    o.qps = 50; /* 10 at once, then the limiter's timer paces the rest */
    cr_assert_eq(k8s_client_new(cfg, &o, &ops, &a, &a.c), K8S_OK);
    cr_assert_eq(k8s_client_run(a.c, 0), -1, "the built-in driver is off");

    struct tally t = {0};
    struct k8s_watch_handlers h = {ev, expired, NULL};
    struct k8s_watch_options wo = {.path = "/api/v1/namespaces/default/pods"};
    struct k8s_watch *w = NULL;
    cr_assert_eq(k8s_watch_start(a.c, &wo, &h, &t, &w), K8S_OK);
    for (int i = 0; i < 30; i++)
        cr_assert_eq(k8s_pods_get(a.c, NULL, "none", got, &t, NULL), K8S_OK);
    run_until(&a, &t.done, 30);
    cr_assert_eq(t.ok, 30);
    struct k8s_client_stats st;
    k8s_client_get_stats(a.c, &st);
    cr_assert_geq(st.throttled, 19);

    cr_assert_eq(sim_control(&sim, "POST", "faults",
                             "{\"match\":{\"resource\":\"pods\",\"verb\":\"create\"},"
                             "\"code\":429,\"retryAfter\":1,\"count\":1}",
                             NULL),
                 201);
    cJSON *pod = cJSON_Parse("{\"metadata\":{\"name\":\"z\"},\"spec\":{\"containers\":[{\"name\":"
                             "\"a\",\"image\":\"b\"}]}}");
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_create(a.c, NULL, pod, NULL, sim_on_result, &r, NULL), K8S_OK);
    run_until(&a, &r.calls, 1);
    cr_assert_eq(r.status, K8S_OK, "created after the retry timer: %s", r.error.message);
    k8s_client_get_stats(a.c, &st);
    cr_assert_eq(st.retries, 1, "the 429 was retried on a loop timer");
    run_until(&a, &t.added, 1);
    cr_assert_gt(a.fd_calls, 0);
    cr_assert_gt(a.timer_calls, 0);
    sim_result_reset(&r);
    cJSON_Delete(pod);
    k8s_watch_free(w);
    k8s_client_free(a.c);
    loop_free(a.loop);
    sim_config_free(cfg);
    sim_stop(&sim);
}
