/* Tests of the API's routes (src/api) through the service interface: a
 * service over a bare pool set (the real pool core, no provider: pods are
 * observed by the test), the real HTTP server and route table, requests over
 * a socketpair. Actions are drained in a before-sleep hook registered before
 * the server's, as the daemon does. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../json_field.h"
#include "api.h"
#include "http_server.h"
#include "loop.h"
#include "metrics_pools.h"
#include "service.h"

#define NPOOLS 2

struct tsvc {
    struct service svc; /* first */
    struct loop *loop;
    struct pool_set *set;
    struct pool *pools[NPOOLS];
    struct pool_config cfg[NPOOLS];
    struct metrics_histogram bind[NPOOLS];
    bool reached[NPOOLS];
    bool stopping;
    struct api *api;
    struct http_server *http;
    uint32_t creates;             /* pods the core asked for */
    uint32_t answered[NPOOLS][6]; /* claim answers by status class */
    struct events events;
    struct log log;
};

static struct tsvc *of(struct service *s)
{
    return (struct tsvc *)s;
}

static size_t t_pool_count(struct service *s)
{
    (void)s;
    return NPOOLS;
}

static bool t_find_pool(struct service *s, const char *name, size_t len, size_t *index)
{
    for (size_t i = 0; i < NPOOLS; i++) {
        if (strlen(of(s)->cfg[i].name) == len && !memcmp(of(s)->cfg[i].name, name, len)) {
            *index = i;
            return true;
        }
    }
    return false;
}

static void t_pool_info(struct service *s, size_t i, struct service_pool_info *out)
{
    struct tsvc *t = of(s);
    *out = (struct service_pool_info){.name = t->cfg[i].name,
                                      .provider = "test",
                                      .limits = t->cfg[i],
                                      .bind = &t->bind[i],
                                      .reached_min_idle = t->reached[i]};
    pool_get_counts(t->pools[i], &out->counts);
    pool_get_counters(t->pools[i], &out->counters);
    pool_get_sizing(t->pools[i], loop_now(t->loop), &out->sizing);
}

static enum pool_status t_claim(struct service *s, size_t i, const struct pool_claim_request *req,
                                struct pool_claim_result *res, uint64_t *bind_ns)
{
    *bind_ns = 1;
    return pool_claim(of(s)->pools[i], req, loop_now(of(s)->loop), res);
}

static enum pool_status t_cancel(struct service *s, size_t i, uint64_t id)
{
    return pool_cancel_waiter(of(s)->pools[i], id);
}

static enum pool_status t_release(struct service *s, const char *id)
{
    return pool_set_release(of(s)->set, id, loop_now(of(s)->loop));
}

static enum pool_status t_keepalive(struct service *s, const char *id,
                                    struct pool_session_info *out)
{
    return pool_set_keepalive(of(s)->set, id, loop_now(of(s)->loop), out);
}

static enum pool_status t_session(struct service *s, const char *id, struct pool_session_info *out)
{
    return pool_set_session(of(s)->set, id, out);
}

static bool t_ready(struct service *s)
{
    return of(s)->reached[0] && of(s)->reached[1];
}

static bool t_stopping(struct service *s)
{
    return of(s)->stopping;
}

static uint64_t t_now(struct service *s)
{
    return loop_now(of(s)->loop);
}

static int64_t t_wall(struct service *s, uint64_t mono)
{
    (void)s;
    return (int64_t)mono;
}

static void t_claim_answered(struct service *s, size_t i, int status, uint64_t elapsed_ns)
{
    (void)elapsed_ns;
    of(s)->answered[i][status / 100]++;
}

static void t_collect_metrics(struct service *s, struct metrics_writer *w)
{
    struct metrics_pool pools[NPOOLS];
    for (size_t i = 0; i < NPOOLS; i++) {
        struct service_pool_info p;
        t_pool_info(s, i, &p);
        pools[i] = (struct metrics_pool){
            .name = p.name, .counts = p.counts, .bind = p.bind, .sizing = p.sizing};
    }
    metrics_pools_write(w, pools, NPOOLS, t_ready(s));
    metrics_finish(w);
}

static const struct events *t_events(struct service *s)
{
    return &of(s)->events;
}

static const struct service_ops tsvc_ops = {.pool_count = t_pool_count,
                                            .find_pool = t_find_pool,
                                            .pool_info = t_pool_info,
                                            .claim = t_claim,
                                            .cancel_waiter = t_cancel,
                                            .release = t_release,
                                            .keepalive = t_keepalive,
                                            .session = t_session,
                                            .ready = t_ready,
                                            .stopping = t_stopping,
                                            .now = t_now,
                                            .wall_ns = t_wall,
                                            .claim_answered = t_claim_answered,
                                            .collect_metrics = t_collect_metrics,
                                            .events = t_events};

/* The daemon's drain, reduced to what the API sees. */
static void drain(struct loop *loop, void *data)
{
    (void)loop;
    struct tsvc *t = data;
    struct pool_action a;
    while (pool_set_next_action(t->set, &a)) {
        if (a.kind == POOL_ACT_WAITER_BOUND)
            api_waiter_bound(t->api, a.waiter_data, &a.session, a.outcome);
        else if (a.kind == POOL_ACT_WAITER_TIMED_OUT)
            api_waiter_timed_out(t->api, a.waiter_data);
        else if (a.kind == POOL_ACT_CREATE_PODS)
            t->creates += a.count;
    }
}

static struct tsvc T;

static void setup(void)
{
    uint8_t seed[POOL_SEED_LEN] = {1, 2, 3};
    memset(&T, 0, sizeof T);
    T.svc.ops = &tsvc_ops;
    T.loop = loop_new();
    cr_assert_not_null(T.loop);
    cr_assert_eq(pool_set_new(seed, 1024, &T.set), POOL_OK);
    const char *names[NPOOLS] = {"a", "b"};
    for (size_t i = 0; i < NPOOLS; i++) {
        T.cfg[i] = (struct pool_config){.name = names[i],
                                        .min_idle = 0,
                                        .max_idle = 4,
                                        .max_total = 4,
                                        .max_waiters = 1,
                                        .default_ttl_s = 60,
                                        .max_ttl_s = 600,
                                        .start_timeout_s = 30};
        cr_assert_eq(pool_set_add(T.set, &T.cfg[i], &T.pools[i]), POOL_OK);
    }
    loop_before_sleep(T.loop, drain, &T);
    T.log = log_init(open("/dev/null", O_WRONLY | O_CLOEXEC), LOG_LEVEL_INFO);
    T.api = api_new(&T.svc, &T.log);
    T.http = http_server_new(T.loop, NULL, api_handle, T.api);
}

static void teardown(void)
{
    http_server_free(T.http);
    api_free(T.api);
    close(T.log.fd);
    pool_set_free(T.set);
    loop_free(T.loop);
}

TestSuite(api_routes, .init = setup, .fini = teardown, .timeout = 30);

static void ready_pod(size_t pool, const char *name)
{
    struct pool_pod_obs obs = {.name = name, .address = "127.0.0.1:9", .node = "n1"};
    cr_assert_eq(pool_observe(T.pools[pool], POOL_OBS_STARTING, &obs, loop_now(T.loop)), POOL_OK);
    cr_assert_eq(pool_observe(T.pools[pool], POOL_OBS_READY, &obs, loop_now(T.loop)), POOL_OK);
}

struct answer {
    int status;
    char head[1024];
    char body[32768]; /* /metrics of two pools */
};

/* Sends one request on a connection of its own (Connection: close) and
 * turns the loop until the answer is complete (EOF). */
static int start_request(const char *method, const char *path, const char *body)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    cr_assert_eq(http_server_adopt(T.http, sv[0]), 0);
    char req[2048];
    int n =
        snprintf(req, sizeof req,
                 "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
                 method, path, strlen(body), body);
    cr_assert_eq(write(sv[1], req, (size_t)n), n);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    return sv[1];
}

static bool read_answer(int fd, struct answer *a, int turns)
{
    char raw[sizeof a->head + sizeof a->body];
    size_t len = 0;
    for (int i = 0; i < turns; i++) {
        loop_run_once(T.loop, 5);
        ssize_t r = read(fd, raw + len, sizeof raw - 1 - len);
        if (r > 0) {
            len += (size_t)r;
            continue;
        }
        if (r == 0)
            break;
    }
    raw[len] = '\0';
    char *sep = strstr(raw, "\r\n\r\n");
    if (!sep)
        return false;
    size_t head = (size_t)(sep - raw), body = len - head - 4;
    cr_assert_lt(head, sizeof a->head);
    cr_assert_lt(body, sizeof a->body);
    memcpy(a->head, raw, head);
    a->head[head] = '\0';
    memcpy(a->body, sep + 4, body + 1);
    return sscanf(raw, "HTTP/1.1 %d", &a->status) == 1;
}

static struct answer request(const char *method, const char *path, const char *body)
{
    struct answer a = {0};
    int fd = start_request(method, path, body);
    cr_assert(read_answer(fd, &a, 400), "no answer to %s %s", method, path);
    close(fd);
    return a;
}

Test(api_routes, claim_binds_then_reuses_the_key)
{
    ready_pod(0, "pod-1");
    struct answer a = request("POST", "/v1/pools/a/claims", "{\"key\":\"k\"}");
    cr_assert_eq(a.status, 201, "%s", a.body);
    cr_assert(strstr(a.body, "\"pod\":\"pod-1\"") && strstr(a.body, "\"outcome\":\"bound\""), "%s",
              a.body);
    cr_assert(strstr(a.body, "\"token\":\""), "a new session carries its token: %s", a.body);
    struct answer b = request("POST", "/v1/pools/a/claims", "{\"key\":\"k\"}");
    cr_assert_eq(b.status, 200, "%s", b.body);
    cr_assert(strstr(b.body, "\"outcome\":\"key_reused\""), "%s", b.body);
    cr_assert_eq(T.bind[0].count, 0, "the service, not the API, observes the histogram");
}

Test(api_routes, unknown_pool_is_404_whatever_the_method)
{
    struct answer a = request("GET", "/v1/pools/nope/claims", "");
    cr_assert_eq(a.status, 404);
    cr_assert(strstr(a.body, "no pool named \\\"nope\\\""), "%s", a.body);
    cr_assert_eq(request("DELETE", "/v1/pools/nope", "").status, 404);
    cr_assert_eq(request("GET", "/v1/nothing", "").status, 404);
    cr_assert_eq(request("GET", "/v1/pools/", "").status, 404, "empty segment");
}

Test(api_routes, wrong_method_is_405_with_allow)
{
    struct answer a = request("POST", "/v1/sessions/s-1", "");
    cr_assert_eq(a.status, 405);
    cr_assert(strstr(a.head, "Allow: GET, DELETE"), "%s", a.head);
    a = request("GET", "/v1/pools/a/claims", "");
    cr_assert_eq(a.status, 405);
    cr_assert(strstr(a.head, "Allow: POST"), "%s", a.head);
    cr_assert_eq(request("HEAD", "/healthz", "").status, 405);
}

Test(api_routes, empty_pool_503_and_bad_body_400)
{
    struct answer a = request("POST", "/v1/pools/b/claims", "{}");
    cr_assert_eq(a.status, 503);
    cr_assert(strstr(a.head, "Retry-After: 1"), "%s", a.head);
    cr_assert(strstr(a.body, "\"reason\":\"PoolEmpty\""), "%s", a.body);
    a = request("POST", "/v1/pools/b/claims", "{\"bogus\":1}");
    cr_assert_eq(a.status, 400, "%s", a.body);
    a = request("POST", "/v1/pools/b/claims", "{\"ttl_seconds\":601}");
    cr_assert_eq(a.status, 422, "%s", a.body);
}

Test(api_routes, waiter_is_answered_when_a_pod_is_ready)
{
    int fd = start_request("POST", "/v1/pools/b/claims", "{\"wait_ms\":10000}");
    struct answer a = {0};
    cr_assert_not(read_answer(fd, &a, 20), "answered before any pod: %s", a.head);
    cr_assert_geq(T.creates, 1, "the core asked for a pod, drained by the hook");
    struct pool_counts c;
    pool_get_counts(T.pools[1], &c);
    cr_assert_eq(c.waiters, 1);
    struct answer busy = request("POST", "/v1/pools/b/claims", "{\"wait_ms\":10000}");
    cr_assert_eq(busy.status, 503);
    cr_assert(strstr(busy.body, "TooManyWaiters"), "%s", busy.body);
    ready_pod(1, "pod-w");
    cr_assert(read_answer(fd, &a, 400));
    close(fd);
    cr_assert_eq(a.status, 201, "%s", a.body);
    cr_assert(strstr(a.body, "\"outcome\":\"waited\"") && strstr(a.body, "\"waited_ns\":"), "%s",
              a.body);
}

Test(api_routes, session_get_keepalive_release)
{
    ready_pod(0, "pod-s");
    struct answer a = request("POST", "/v1/pools/a/claims", "");
    cr_assert_eq(a.status, 201);
    char id[64], path[128];
    json_field(a.body, "session_id", id, sizeof id);
    snprintf(path, sizeof path, "/v1/sessions/%s", id);
    struct answer g = request("GET", path, "");
    cr_assert_eq(g.status, 200);
    cr_assert_null(strstr(g.body, "\"token\""), "GET never shows the token: %s", g.body);
    snprintf(path, sizeof path, "/v1/sessions/%s/keepalive", id);
    cr_assert_eq(request("POST", path, "").status, 200);
    snprintf(path, sizeof path, "/v1/sessions/%s", id);
    struct answer d = request("DELETE", path, "");
    cr_assert_eq(d.status, 200);
    cr_assert(strstr(d.body, "\"status\":\"Released\""), "%s", d.body);
    cr_assert_eq(request("GET", path, "").status, 404);
    cr_assert_eq(request("DELETE", path, "").status, 404);
    char long_id[200];
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    snprintf(path, sizeof path, "/v1/sessions/%.100s", long_id);
    struct answer l = request("PUT", path, "");
    cr_assert_eq(l.status, 404, "an over-long id is not a session, whatever the method");
}

Test(api_routes, pools_readyz_metrics)
{
    ready_pod(0, "pod-m");
    struct answer r = request("GET", "/readyz", "");
    cr_assert_eq(r.status, 503);
    cr_assert(strstr(r.body, "\"a\":false"), "%s", r.body);
    T.reached[0] = T.reached[1] = true;
    cr_assert_eq(request("GET", "/readyz", "").status, 200);
    struct answer p = request("GET", "/v1/pools/a", "");
    cr_assert_eq(p.status, 200);
    cr_assert(strstr(p.body, "\"provider\":\"test\"") && strstr(p.body, "\"ready\":1") &&
                  strstr(p.body, "\"max_waiters\":1"),
              "%s", p.body);
    cr_assert(strstr(p.body, "\"sizing\":{\"policy\":\"fixed\",\"target_idle\":0,") &&
                  strstr(p.body, "\"lead_time_seconds\":{\"p50\":"),
              "the policy and its estimates: %s", p.body);
    struct answer all = request("GET", "/v1/pools", "");
    cr_assert(strstr(all.body, "{\"pools\":[{\"name\":\"a\"") && strstr(all.body, "\"name\":\"b\""),
              "%s", all.body);
    struct answer m = request("GET", "/metrics", "");
    cr_assert_eq(m.status, 200);
    cr_assert(strstr(m.head, "text/plain; version=0.0.4"), "%s", m.head);
    cr_assert(strstr(m.body, "prewarm_pods{pool=\"a\",state=\"ready\"} 1\n"), "%s", m.body);
    cr_assert(strstr(m.body, "prewarm_ready 1\n"), "%s", m.body);
    cr_assert(strstr(m.body, "prewarm_pool_target_idle{pool=\"a\"} 0\n"), "%s", m.body);
    cr_assert_null(strstr(m.body, "# EOF"), "%s", m.body);
    T.stopping = true;
    cr_assert_eq(request("GET", "/readyz", "").status, 503);
    struct answer s = request("POST", "/v1/pools/a/claims", "");
    cr_assert_eq(s.status, 503);
    cr_assert(strstr(s.body, "ShuttingDown"), "%s", s.body);
}

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* Turns the loop until pool `i` holds `want` waiters (10 s deadline). */
static void wait_waiters(size_t i, uint32_t want)
{
    struct pool_counts c;
    for (uint64_t end = mono_ms() + 10000;;) {
        pool_get_counts(T.pools[i], &c);
        if (c.waiters == want)
            return;
        cr_assert_lt(mono_ms(), end, "pool %zu: %u waiter(s), want %u", i, c.waiters, want);
        loop_run_once(T.loop, 5);
    }
}

/* A provider event in a loop turn: the pod named by the timer turns Ready. */
static void ready_on_timer(struct loop *loop, struct loop_timer *timer)
{
    (void)loop;
    ready_pod(0, timer->data);
}

/* In one loop turn the core binds a waiter (a pod turned Ready: timers run
 * before descriptors) and then its client's hang-up is read: the answer has
 * nobody to go to, so the new session is released at the drain instead of
 * holding its pod until the TTL. */
Test(api_routes, waiter_bound_after_its_client_left_is_released)
{
    int fd = start_request("POST", "/v1/pools/a/claims", "{\"wait_ms\":10000}");
    wait_waiters(0, 1);
    struct loop_timer t;
    loop_timer_init(&t, ready_on_timer, "pod-late");
    loop_timer_start(T.loop, &t, loop_now(T.loop));
    close(fd);
    struct pool_counters k = {0};
    for (uint64_t end = mono_ms() + 10000; k.released == 0 && mono_ms() < end;) {
        loop_run_once(T.loop, 5);
        pool_get_counters(T.pools[0], &k);
    }
    cr_assert_eq(k.waiters_bound, 1, "the waiter was bound, not cancelled");
    cr_assert_eq(k.released, 1, "the session nobody received was released");
    struct pool_counts c;
    pool_get_counts(T.pools[0], &c);
    cr_assert_eq(c.sessions, 0);
    cr_assert_eq(c.waiters, 0);
}

/* Shutdown answers every queued waiter at once (503 ShuttingDown, not a
 * closed connection or a wait until wait_ms) and withdraws it from the core. */
Test(api_routes, shutdown_answers_queued_waiters)
{
    int fa = start_request("POST", "/v1/pools/a/claims", "{\"wait_ms\":30000}");
    int fb = start_request("POST", "/v1/pools/b/claims", "{\"wait_ms\":30000,\"key\":\"k\"}");
    wait_waiters(0, 1);
    wait_waiters(1, 1);
    T.stopping = true;
    api_shutdown(T.api);
    int fds[2] = {fa, fb};
    for (size_t i = 0; i < 2; i++) {
        struct answer a = {0};
        cr_assert(read_answer(fds[i], &a, 400), "waiter %zu got no answer", i);
        close(fds[i]);
        cr_assert_eq(a.status, 503, "%s", a.body);
        cr_assert(strstr(a.body, "\"reason\":\"ShuttingDown\""), "%s", a.body);
        struct pool_counts c;
        pool_get_counts(T.pools[i], &c);
        cr_assert_eq(c.waiters, 0, "pool %zu still holds its waiter", i);
    }
    ready_pod(0, "pod-after"); /* the core binds a queued waiter inside this call */
    struct pool_counts c;
    pool_get_counts(T.pools[0], &c);
    cr_assert_eq(c.sessions, 0, "a pod Ready after shutdown binds no withdrawn waiter");
}

Test(api_routes, log_level_changes_at_run_time)
{
    struct answer g = request("GET", "/v1/log/level", "");
    cr_assert_eq(g.status, 200);
    cr_assert_str_eq(g.body, "{\"level\":\"info\"}");
    struct answer p = request("PUT", "/v1/log/level", "{\"level\":\"debug\"}");
    cr_assert_eq(p.status, 200, "%s", p.body);
    cr_assert_str_eq(p.body, "{\"level\":\"debug\"}");
    cr_assert_eq(T.log.level, LOG_LEVEL_DEBUG);
    const char *bad[] = {"{\"level\":\"loud\"}",        "{\"level\":3}", "[]", "{", "",
                         "{\"level\":\"warn\",\"x\":1}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct answer b = request("PUT", "/v1/log/level", bad[i]);
        cr_assert_eq(b.status, 400, "%s -> %d", bad[i], b.status);
        cr_assert(strstr(b.body, "\"reason\":\"BadRequest\""), "%s", b.body);
    }
    cr_assert_eq(T.log.level, LOG_LEVEL_DEBUG, "a refused change changes nothing");
    cr_assert_eq(request("POST", "/v1/log/level", "").status, 405);
}

Test(api_routes, every_answer_carries_a_request_id)
{
    struct answer a = request("GET", "/healthz", "");
    struct answer b = request("GET", "/no/such/route", "");
    const char *ida = strstr(a.head, "X-Request-Id: "), *idb = strstr(b.head, "X-Request-Id: ");
    cr_assert(ida && idb, "%s\n%s", a.head, b.head);
    cr_assert_neq(strncmp(ida, idb, 30), 0, "two requests, two ids");
}
