/* Tests of src/daemon (the wiring behind service.h) with a real loop, the
 * real HTTP server on 127.0.0.1, the local provider and real children (the
 * demo backend, /bin/sleep, a missing program). The test thread turns the
 * loop while its requests wait; every wait has a deadline. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "loop.h"

#define CONFIG_TEXT                                                                                \
    "pools:\n"                                                                                     \
    "  - name: demo\n"                                                                             \
    "    min_idle: 1\n"                                                                            \
    "    max_idle: 2\n"                                                                            \
    "    max_total: 3\n"                                                                           \
    "    max_waiters: 2\n"                                                                         \
    "    start_timeout_seconds: 30\n"                                                              \
    "    local:\n"                                                                                 \
    "      command: [" DEMO_BACKEND ", --port, \"{port}\", --pod, \"{pod}\"]\n"                    \
    "      probe: {type: http, path: /}\n"                                                         \
    "      stop_grace_seconds: 2\n"                                                                \
    "  - name: stuck\n"                                                                            \
    "    min_idle: 0\n"                                                                            \
    "    max_idle: 0\n"                                                                            \
    "    max_total: 1\n"                                                                           \
    "    max_waiters: 1\n"                                                                         \
    "    local: {command: [/bin/sleep, \"120\"], probe: {type: tcp}, stop_grace_seconds: 1}\n"     \
    "  - name: broken\n"                                                                           \
    "    min_idle: 1\n"                                                                            \
    "    local: {command: [/nonexistent/prewarm-backend]}\n"

#include "daemon_client.h"

static void setup(void)
{
    char err[512];
    const char *text = CONFIG_TEXT;
    cr_assert_eq(config_load_string("t.yaml", text, strlen(text), &cfg, err, sizeof err), CONFIG_OK,
                 "%s", err);
    loop = loop_new();
    cr_assert_not_null(loop);
    cr_assert_eq(daemon_new(loop, cfg, &test_log, &dmn, err, sizeof err), 0, "%s", err);
    cr_assert_eq(daemon_listen(dmn, "127.0.0.1", 0, &port), 0);
}

static void teardown(void)
{
    if (dmn && !daemon_drained(dmn))
        stop_and_drain();
    daemon_free(dmn);
    loop_free(loop);
    config_free(cfg);
    dmn = NULL;
    loop = NULL;
    cfg = NULL;
}

TestSuite(daemon, .init = setup, .fini = teardown, .timeout = 120);

/* GET target on a backend address ("127.0.0.1:PORT"); returns the whole
 * answer. The loop is not needed: the backend is another process. */
static void backend_fetch(const char *address, const char *target, char *out, size_t cap)
{
    unsigned p = 0;
    cr_assert_eq(sscanf(address, "127.0.0.1:%u", &p), 1, "%s", address);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    char req[512];
    int w = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);
    cr_assert_eq(write(fd, req, (size_t)w), w);
    size_t len = 0;
    ssize_t n;
    while (len + 1 < cap && (n = read(fd, out + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(fd);
}

static void backend_get(const char *address, char *out, size_t cap)
{
    backend_fetch(address, "/", out, cap);
}

/* ---- tests ---- */

Test(daemon, claims_sessions_pools_and_metrics_over_real_pods)
{
    wait_body("/v1/pools/demo", "\"ready\":1");
    struct answer r = request("GET", "/readyz", "");
    cr_assert_eq(r.status, 503, "the broken pool never fills: %s", r.body);
    cr_assert(strstr(r.body, "\"demo\":true") && strstr(r.body, "\"broken\":false"), "%s", r.body);
    struct answer c =
        request("POST", "/v1/pools/demo/claims", "{\"key\":\"alice\",\"ttl_seconds\":60}");
    cr_assert_eq(c.status, 201, "%s", c.body);
    char id[80], address[64], path[160], backend[1024];
    json_field(c.body, "session_id", id, sizeof id);
    json_field(c.body, "address", address, sizeof address);
    backend_get(address, backend, sizeof backend);
    cr_assert(strstr(backend, "\"pod\":\"local-"), "%s", backend);
    char token[160], target[256];
    json_field(c.body, "token", token, sizeof token);
    snprintf(target, sizeof target, "/?token=%s", token);
    backend_fetch(address, target, backend, sizeof backend);
    cr_assert(strstr(backend, "HTTP/1.1 200") && strstr(backend, id),
              "the session's token is accepted: %s", backend);
    backend_fetch(address, "/?token=someone-else", backend, sizeof backend);
    cr_assert(strncmp(backend, "HTTP/1.1 4", 10) == 0, "another token is refused: %s", backend);
    struct answer again = request("POST", "/v1/pools/demo/claims", "{\"key\":\"alice\"}");
    cr_assert_eq(again.status, 200, "%s", again.body);
    cr_assert(strstr(again.body, id), "the key's session: %s", again.body);
    snprintf(path, sizeof path, "/v1/sessions/%s", id);
    cr_assert_eq(request("GET", path, "").status, 200);
    snprintf(path, sizeof path, "/v1/sessions/%s/keepalive", id);
    cr_assert_eq(request("POST", path, "").status, 200);
    struct answer all = request("GET", "/v1/pools", "");
    cr_assert_eq(all.status, 200);
    cr_assert(strstr(all.body, "\"name\":\"demo\"") && strstr(all.body, "\"name\":\"stuck\"") &&
                  strstr(all.body, "\"name\":\"broken\"") &&
                  strstr(all.body, "\"provider\":\"local\""),
              "%s", all.body);
    struct answer m = request("GET", "/metrics", "");
    cr_assert(strstr(m.body, "prewarm_claims_total{pool=\"demo\",outcome=\"bound\"} 1\n"), "%s",
              m.body);
    snprintf(path, sizeof path, "/v1/sessions/%s", id);
    struct answer d = request("DELETE", path, "");
    cr_assert_eq(d.status, 200, "%s", d.body);
    cr_assert_eq(request("GET", path, "").status, 404);
    cr_assert_eq(request("GET", "/healthz", "").status, 200);
}

/* A backend killed under its session ends the session (pod_died) and the
 * pool starts a replacement. */
Test(daemon, killed_backend_ends_its_session)
{
    struct answer c = request("POST", "/v1/pools/demo/claims", "{\"wait_ms\":30000}");
    cr_assert_eq(c.status, 201, "%s", c.body);
    char id[80], address[64], path[160], backend[1024];
    json_field(c.body, "session_id", id, sizeof id);
    json_field(c.body, "address", address, sizeof address);
    backend_get(address, backend, sizeof backend);
    int pid = 0;
    const char *p = strstr(backend, "\"pid\":");
    cr_assert(p && sscanf(p, "\"pid\":%d", &pid) == 1 && pid > 0, "%s", backend);
    cr_assert_eq(kill(pid, SIGKILL), 0);
    snprintf(path, sizeof path, "/v1/sessions/%s", id);
    for (uint64_t end = mono_ms() + 30000; request("GET", path, "").status != 404;) {
        cr_assert_lt(mono_ms(), end, "session of the killed pod still there");
        loop_run_once(loop, 20);
    }
    wait_body("/metrics", "prewarm_sessions_ended_total{pool=\"demo\",reason=\"pod_died\"} 1\n");
    wait_body("/v1/pools/demo", "\"ready\":1");
}

/* Shutdown answers the waiter queued on a pool that cannot fill (503
 * ShuttingDown), refuses new claims, stops every child and drains. */
Test(daemon, shutdown_answers_waiters_and_stops_children)
{
    wait_body("/v1/pools/demo", "\"ready\":1");
    int waiting = send_request("POST", "/v1/pools/stuck/claims", "{\"wait_ms\":30000}");
    wait_body("/v1/pools/stuck", "\"waiters\":1");
    struct answer full = request("POST", "/v1/pools/stuck/claims", "{\"wait_ms\":30000}");
    cr_assert_eq(full.status, 503);
    cr_assert(strstr(full.body, "TooManyWaiters"), "%s", full.body);
    daemon_shutdown(dmn);
    cr_assert(daemon_stopping(dmn));
    struct answer a = read_answer(waiting);
    cr_assert_eq(a.status, 503, "%s", a.body);
    cr_assert(strstr(a.body, "\"reason\":\"ShuttingDown\""), "%s", a.body);
    stop_and_drain();
}

/* With auth: a claim needs a token with the claim role (401 without one,
 * 403 with a read-only one); keys and sessions are scoped per caller; the
 * probes stay open. */
Test(daemon, auth_roles_and_per_caller_scoping)
{
    char dir[] = "/tmp/prewarm-auth-XXXXXX", tokens[128], text[2048];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(tokens, sizeof tokens, "%s/tokens", dir);
    FILE *f = fopen(tokens, "w");
    cr_assert_not_null(f);
    fprintf(f, "# token caller roles\n"
               "alice-token-0123456789 alice claim\n"
               "bobby-token-0123456789 bobby claim\n"
               "reader-token-012345678 dash read\n");
    fclose(f);
    stop_and_drain();
    daemon_free(dmn);
    config_free(cfg);
    char err[512];
    snprintf(text, sizeof text, "auth: {tokens_file: %s}\n%s", tokens, CONFIG_TEXT);
    cr_assert_eq(config_load_string("t.yaml", text, strlen(text), &cfg, err, sizeof err), CONFIG_OK,
                 "%s", err);
    cr_assert_eq(daemon_new(loop, cfg, &test_log, &dmn, err, sizeof err), 0, "%s", err);
    cr_assert_eq(daemon_listen(dmn, "127.0.0.1", 0, &port), 0);

    bearer = NULL;
    cr_assert_eq(request("GET", "/healthz", "").status, 200, "probes are open");
    struct answer a = request("POST", "/v1/pools/demo/claims", "{}");
    cr_assert_eq(a.status, 401, "%s", a.body);
    cr_assert(strstr(a.head, "WWW-Authenticate: Bearer"), "%s", a.head);
    bearer = "not-a-known-token-at-all";
    cr_assert_eq(request("POST", "/v1/pools/demo/claims", "{}").status, 401);
    bearer = "reader-token-012345678";
    a = request("POST", "/v1/pools/demo/claims", "{}");
    cr_assert_eq(a.status, 403, "%s", a.body);
    cr_assert_eq(request("GET", "/v1/pools", "").status, 200);

    char ida[80], idb[80], path[160];
    bearer = "alice-token-0123456789";
    a = request("POST", "/v1/pools/demo/claims", "{\"key\":\"k\",\"wait_ms\":30000}");
    cr_assert_eq(a.status, 201, "%s", a.body);
    json_field(a.body, "session_id", ida, sizeof ida);
    bearer = "bobby-token-0123456789";
    struct answer b = request("POST", "/v1/pools/demo/claims", "{\"key\":\"k\",\"wait_ms\":30000}");
    cr_assert_eq(b.status, 201, "one key, two callers, two sessions: %s", b.body);
    json_field(b.body, "session_id", idb, sizeof idb);
    cr_assert_str_neq(ida, idb);
    snprintf(path, sizeof path, "/v1/sessions/%s", ida);
    cr_assert_eq(request("GET", path, "").status, 404, "another caller's session");
    cr_assert_eq(request("DELETE", path, "").status, 404);
    bearer = "alice-token-0123456789";
    cr_assert_eq(request("GET", path, "").status, 200);
    cr_assert_eq(request("DELETE", path, "").status, 200);
    bearer = NULL;
    unlink(tokens);
    rmdir(dir);
}
