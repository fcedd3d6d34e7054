/* Tests of src/providers/local/provider_local.c with a real loop and real child processes
 * (the demo backend, /bin/false, a TERM-ignoring shell). Waits are loop
 * turns polled against a deadline. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "loop.h"
#include "pool.h"
#include "provider.h"

#define MAX_PODS 8

struct seen {
    char names[MAX_PODS][32];
    char addresses[MAX_PODS][32];
    int starting, ready, gone, failed;
};

static void on_starting(void *ctx, const char *pod, const char *address, const char *node)
{
    struct seen *s = ctx;
    cr_assert(node && *node);
    cr_assert_lt(s->starting, MAX_PODS);
    snprintf(s->names[s->starting], 32, "%s", pod);
    snprintf(s->addresses[s->starting], 32, "%s", address);
    s->starting++;
}

static void on_ready(void *ctx, const char *pod)
{
    (void)pod;
    ((struct seen *)ctx)->ready++;
}

static void on_gone(void *ctx, const char *pod)
{
    (void)pod;
    ((struct seen *)ctx)->gone++;
}

static void on_failed(void *ctx, uint32_t count, const char *why)
{
    cr_assert(strstr(why, "command "), "%s", why);
    ((struct seen *)ctx)->failed += (int)count;
}

static struct loop *loop;
static struct config *cfg;
static struct provider *prov;
static struct seen seen;

static void start(const char *yaml)
{
    char err[256];
    memset(&seen, 0, sizeof seen);
    cr_assert_eq(config_load_string("t.yaml", yaml, strlen(yaml), &cfg, err, sizeof err), CONFIG_OK,
                 "%s", err);
    loop = loop_new();
    cr_assert_not_null(loop);
    struct provider_events ev = {&seen, on_starting, on_ready, on_gone, on_failed, NULL, NULL};
    cr_assert_eq(provider_new(loop, &cfg->pools[0], &ev, NULL, &prov, err, sizeof err), 0, "%s",
                 err);
    cr_assert_str_eq(prov->ops->name, "local");
}

static void teardown(void)
{
    if (prov)
        prov->ops->free(prov);
    loop_free(loop);
    config_free(cfg);
    prov = NULL;
    loop = NULL;
    cfg = NULL;
}

/* Runs loop turns until *counter reaches want or ms pass; returns whether
 * it did. */
static bool run_until(const int *counter, int want, int ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (*counter < want) {
        loop_run_once(loop, 20);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
            return false;
    }
    return true;
}

static void http_get(const char *address, char *out, size_t outlen)
{
    unsigned port = 0;
    cr_assert_eq(sscanf(address, "127.0.0.1:%u", &port), 1, "%s", address);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    cr_assert_eq(write(fd, req, sizeof req - 1), (ssize_t)sizeof req - 1);
    size_t len = 0;
    ssize_t n;
    while (len + 1 < outlen && (n = read(fd, out + len, outlen - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(fd);
}

TestSuite(provider_local, .fini = teardown, .timeout = 30);

#define POOL(cmd, probe)                                                                           \
    "pools: [{name: p, max_total: 8, local: {command: " cmd ", probe: " probe                      \
    ", stop_grace_seconds: 1}}]\n"

Test(provider_local, spawns_probes_and_deletes)
{
    start(POOL("[" DEMO_BACKEND ", --port, \"{port}\", --pod, \"{pod}\"]", "{type: http}"));
    cr_assert_eq(prov->ops->create_pods(prov, 2), PROVIDER_OK);
    cr_assert_eq(seen.starting, 2, "pod_starting is reported from create_pods");
    cr_assert_str_eq(seen.names[0], "local-1");
    cr_assert_str_eq(seen.names[1], "local-2");
    cr_assert_str_neq(seen.addresses[0], seen.addresses[1]);
    cr_assert(run_until(&seen.ready, 2, 10000), "both pods ready");
    cr_assert_eq(prov->ops->live_count(prov), 2);
    char body[1024];
    http_get(seen.addresses[1], body, sizeof body);
    cr_assert(strstr(body, "\"pod\":\"local-2\""), "%s", body);
    struct pool_session_info s = {.id = "s-1", .pod = "local-1"};
    cr_assert_eq(prov->ops->record_binding(prov, &s), PROVIDER_OK);
    cr_assert_eq(prov->ops->delete_pod(prov, "local-9"), PROVIDER_ERR_UNKNOWN);
    cr_assert_eq(prov->ops->delete_pod(prov, "local-1"), PROVIDER_OK);
    cr_assert(run_until(&seen.gone, 1, 5000), "deleted pod reported gone");
    cr_assert_eq(prov->ops->live_count(prov), 1);
    cr_assert_eq(prov->ops->stop_grace_ms(prov), 1000);
    prov->ops->shutdown(prov);
    cr_assert(run_until(&seen.gone, 2, 5000), "shutdown stops every pod");
    cr_assert_eq(prov->ops->live_count(prov), 0);
    cr_assert_eq(prov->ops->create_pods(prov, 1), PROVIDER_ERR_SPAWN);
}

Test(provider_local, killed_child_is_gone)
{
    start(POOL("[" DEMO_BACKEND ", --port, \"{port}\", --pod, \"{pod}\"]", "{type: tcp}"));
    cr_assert_eq(prov->ops->create_pods(prov, 1), PROVIDER_OK);
    cr_assert(run_until(&seen.ready, 1, 10000));
    char body[1024];
    http_get(seen.addresses[0], body, sizeof body);
    int pid = 0;
    const char *p = strstr(body, "\"pid\":");
    cr_assert(p && sscanf(p, "\"pid\":%d", &pid) == 1 && pid > 0, "%s", body);
    kill(pid, SIGKILL);
    cr_assert(run_until(&seen.gone, 1, 5000));
    cr_assert_eq(prov->ops->live_count(prov), 0);
}

Test(provider_local, missing_program_reports_create_failed)
{
    start(POOL("[/nonexistent/prewarm-backend]", "{type: tcp}"));
    cr_assert_eq(prov->ops->create_pods(prov, 3), PROVIDER_OK);
    cr_assert_eq(seen.starting, 0);
    cr_assert(run_until(&seen.failed, 3, 5000), "failures reported after the backoff");
    cr_assert_eq(seen.gone, 0);
}

Test(provider_local, child_dying_before_ready_is_gone)
{
    start(POOL("[/bin/false]", "{type: tcp}"));
    cr_assert_eq(prov->ops->create_pods(prov, 1), PROVIDER_OK);
    cr_assert_eq(seen.starting, 1);
    cr_assert(run_until(&seen.gone, 1, 5000));
    cr_assert_eq(seen.ready, 0);
}

Test(provider_local, term_ignored_gets_kill_after_grace)
{
    /* The ignored SIGTERM survives the exec; Ready means the trap is set. */
    start(POOL("[/bin/sh, -c, \"trap '' TERM; exec " DEMO_BACKEND " --port {port} --pod {pod}\"]",
               "{type: tcp}"));
    cr_assert_eq(prov->ops->create_pods(prov, 1), PROVIDER_OK);
    cr_assert(run_until(&seen.ready, 1, 10000));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(prov->ops->delete_pod(prov, "local-1"), PROVIDER_OK);
    cr_assert(run_until(&seen.gone, 1, 10000), "SIGKILL after the grace period");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    cr_assert_geq(ms, 900, "gone before the 1 s grace period ended (%ld ms)", ms);
}

/* ---- readiness probe failures (probe_backend.py misbehaves on purpose) ---- */

static char count_dir[64];

/* Probes probe_backend.py has answered so far (its count file), or 0. */
static int probes_seen(void)
{
    char path[128], buf[32] = "";
    snprintf(path, sizeof path, "%s/count", count_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = fgets(buf, sizeof buf, f) ? atoi(buf) : 0;
    fclose(f);
    return n;
}

/* A pool whose pod is probe_backend.py in MODE for its first BAD probes. */
static void start_probe_pool(const char *mode, int bad)
{
    snprintf(count_dir, sizeof count_dir, "/tmp/prewarm-probe-XXXXXX");
    cr_assert_not_null(mkdtemp(count_dir));
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "pools: [{name: p, max_total: 2, local: {command: [/usr/bin/python3, " PROBE_BACKEND
             ", \"{port}\", %s, \"%d\", %s/count], probe: {type: http, path: /ready}, "
             "stop_grace_seconds: 1}}]\n",
             mode, bad, count_dir);
    start(yaml);
    cr_assert_eq(prov->ops->create_pods(prov, 1), PROVIDER_OK);
}

static void end_probe_pool(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/count", count_dir);
    unlink(path);
    rmdir(count_dir);
}

/* Ready only after a probe got a 2xx: the answers before it do not count. */
static void check_ready_after_bad_probes(int bad)
{
    cr_assert(run_until(&seen.ready, 1, 30000), "ready once the probe answers 200");
    cr_assert_gt(probes_seen(), bad, "Ready after %d probe(s), %d of them bad", probes_seen(), bad);
    cr_assert_eq(seen.gone, 0);
    end_probe_pool();
}

Test(provider_local, probe_non_2xx_is_not_ready)
{
    start_probe_pool("status", 3);
    check_ready_after_bad_probes(3);
}

Test(provider_local, probe_closed_without_an_answer_is_not_ready)
{
    start_probe_pool("eof", 2);
    check_ready_after_bad_probes(2);
}

/* A probe that gets no answer is abandoned after its attempt time (1 s)
 * and tried again; the pod is Ready only through the later attempt. */
Test(provider_local, probe_attempt_times_out_and_retries)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    start_probe_pool("hang", 1);
    check_ready_after_bad_probes(1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    cr_assert_geq(ms, 1000, "Ready before the hung attempt could time out (%ld ms)", ms);
}
