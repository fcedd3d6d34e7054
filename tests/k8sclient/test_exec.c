/* Tests for k8s_exec: real processes (shell-script plugins), no shell on our side. */
#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_cfgtest.h"
#include "k8s_exec.h"
#include "k8s_time.h"

#define V1BETA1 "client.authentication.k8s.io/v1beta1"
#define V1      "client.authentication.k8s.io/v1"

/* A plugin that records argv, env and stdin, then prints dir/response. */
static const char recorder[] =
    "#!/bin/sh\n"
    "d=$(dirname \"$0\")\n"
    "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$d/rec.info\"\n"
    "for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done > \"$d/rec.argv\"\n"
    "printf '%s|%s|%s' \"$FOO\" \"$PREWARM_PARENT\" \"${EMPTY-unset}\" > \"$d/rec.env\"\n"
    "if read -r line; then echo stdin-had-data; else echo stdin-eof; fi > \"$d/rec.stdin\"\n"
    "cat \"$d/response\"\n";

struct plug {
    char *dir;
    char *script;
    struct k8s_exec_config cfg;
};

static void plug_init(struct plug *p, const char *script, const char *response)
{
    memset(p, 0, sizeof(*p));
    p->dir = cfgt_tmpdir();
    p->script = cfgt_write(p->dir, "plugin", script, 0755);
    free(cfgt_write(p->dir, "response", response ? response : "", 0644));
    p->cfg.api_version = strdup(V1BETA1);
    p->cfg.command = strdup(p->script);
    p->cfg.user_name = strdup("tester");
}

static void plug_free(struct plug *p)
{
    k8s_exec_config_free(&p->cfg);
    cfgt_rmrf(p->dir);
    free(p->dir);
    free(p->script);
}

static char *plug_file(struct plug *p, const char *name)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", p->dir, name);
    char *s = cfgt_read(path, NULL);
    cr_assert_not_null(s, "plugin did not write %s", name);
    return s;
}

static const char token_v1beta1[] =
    "{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
    "\"status\":{\"token\":\"tok-1\",\"expirationTimestamp\":\"2030-01-02T03:04:05Z\"}}";

Test(exec, info_json_matches_kubectl)
{
    size_t len;
    char *want =
        cfgt_fixture("k8s/auth/execcredential-request.KUBERNETES_EXEC_INFO.kubectl1.32.json", &len);
    while (len > 0 && want[len - 1] == '\n')
        want[--len] = '\0';
    /* Take the CA data out of the fixture itself. */
    const char *key = "\"certificate-authority-data\":\"";
    char *ca = strstr(want, key);
    cr_assert_not_null(ca);
    ca += strlen(key);
    char *ca_b64 = strndup(ca, (size_t)(strchr(ca, '"') - ca));
    struct k8s_exec_config cfg = {
        .api_version = V1BETA1,
        .command = "x",
        .provide_cluster_info = true,
        .cluster_server = "https://127.0.0.1:18443",
        .cluster_ca_data_b64 = ca_b64,
    };
    char *got = k8s_exec_info_json(&cfg);
    cr_assert_str_eq(got, want);
    free(got);
    cfg.provide_cluster_info = false;
    got = k8s_exec_info_json(&cfg);
    cr_assert_str_eq(got, "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1BETA1
                          "\",\"spec\":{\"interactive\":false}}");
    free(got);
    cfg.provide_cluster_info = true;
    cfg.cluster_tls_server_name = "api";
    cfg.cluster_insecure_skip_tls_verify = true;
    cfg.cluster_config_json = "{\"a\":1}";
    got = k8s_exec_info_json(&cfg);
    cr_assert(strstr(got, "\"tls-server-name\":\"api\",\"insecure-skip-tls-verify\":true,"
                          "\"certificate-authority-data\"") != NULL,
              "%s", got);
    cr_assert(strstr(got, "\"config\":{\"a\":1}},\"interactive\":false") != NULL, "%s", got);
    free(got);
    free(ca_b64);
    free(want);
}

Test(exec, argv_env_stdin_without_shell)
{
    struct plug p;
    plug_init(&p, recorder, token_v1beta1);
    char *args[] = {"a b", "$HOME", "'quoted' \"too\"", "semi;colon|pipe", "*", ""};
    p.cfg.nargs = 6;
    p.cfg.args = calloc(6, sizeof(char *));
    for (int i = 0; i < 6; i++)
        p.cfg.args[i] = strdup(args[i]);
    p.cfg.nenv = 2;
    p.cfg.env = calloc(2, sizeof(*p.cfg.env));
    p.cfg.env[0] = (struct k8s_exec_env){strdup("FOO"), strdup("bar baz")};
    p.cfg.env[1] = (struct k8s_exec_env){strdup("EMPTY"), strdup("")};
    p.cfg.provide_cluster_info = true;
    p.cfg.cluster_server = strdup("https://10.0.0.1");
    cr_assert_eq(setenv("FOO", "from-parent", 1), 0);
    cr_assert_eq(setenv("PREWARM_PARENT", "inherited", 1), 0);
    cr_assert_eq(setenv("KUBERNETES_EXEC_INFO", "stale", 1), 0);

    struct k8s_exec_credential cred;
    struct k8s_error e;
    cr_assert_eq(k8s_exec_run(&p.cfg, 10000, &cred, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(cred.token, "tok-1");
    cr_assert(cred.has_expiry);
    char ts[K8S_TIME_BUFSZ];
    k8s_time_format(cred.expiry_unix_ns, ts);
    cr_assert_str_eq(ts, "2030-01-02T03:04:05Z");
    k8s_exec_credential_free(&cred);

    char *argv = plug_file(&p, "rec.argv");
    cr_assert_str_eq(argv, "[a b]\n[$HOME]\n['quoted' \"too\"]\n[semi;colon|pipe]\n[*]\n[]\n");
    char *env = plug_file(&p, "rec.env");
    cr_assert_str_eq(env, "bar baz|inherited|");
    char *in = plug_file(&p, "rec.stdin");
    cr_assert_str_eq(in, "stdin-eof\n");
    char *info = plug_file(&p, "rec.info");
    cr_assert_str_eq(info, "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1BETA1 "\",\"spec\":"
                           "{\"cluster\":{\"server\":\"https://10.0.0.1\",\"config\":null},"
                           "\"interactive\":false}}");
    /* Our own environment is untouched. */
    cr_assert_str_eq(getenv("FOO"), "from-parent");
    cr_assert_str_eq(getenv("KUBERNETES_EXEC_INFO"), "stale");
    free(argv);
    free(env);
    free(in);
    free(info);
    plug_free(&p);
}

/* Runs a plugin script that prints `response` and expects `status` + message. */
static void expect_run(const char *script, const char *response, const char *api_version,
                       enum k8s_status status, const char *message)
{
    struct plug p;
    plug_init(&p, script, response);
    free(p.cfg.api_version);
    p.cfg.api_version = strdup(api_version);
    p.cfg.interactive_mode = K8S_EXEC_INTERACTIVE_NEVER;
    struct k8s_exec_credential cred;
    struct k8s_error e;
    enum k8s_status st = k8s_exec_run(&p.cfg, 10000, &cred, &e);
    cr_assert_eq(st, status, "got %d: %s", st, st ? e.message : "ok");
    if (message) {
        char want[1200];
        snprintf(want, sizeof(want), message, p.script);
        cr_assert_str_eq(e.message, want);
    }
    k8s_exec_credential_free(&cred);
    plug_free(&p);
}

static const char cat_response[] = "#!/bin/sh\ncat \"$(dirname \"$0\")/response\"\n";

Test(exec, client_go_error_texts)
{
    expect_run("#!/bin/sh\nexit 3\n", "", V1BETA1, K8S_EAUTH,
               "exec: executable %s failed with exit code 3");
    expect_run("#!/bin/sh\nkill -9 $$\n", "", V1BETA1, K8S_EAUTH,
               "exec: executable %s failed with exit code -1");
    expect_run(cat_response, token_v1beta1, V1, K8S_EAUTH,
               "exec plugin is configured to use API version client.authentication.k8s.io/v1, "
               "plugin returned version client.authentication.k8s.io/v1beta1");
    expect_run(cat_response, "{\"apiVersion\":\"" V1BETA1 "\",\"kind\":\"ExecCredential\"}",
               V1BETA1, K8S_EAUTH, "exec plugin didn't return a status field");
    expect_run(cat_response,
               "{\"apiVersion\":\"" V1BETA1 "\",\"kind\":\"ExecCredential\",\"status\":{}}",
               V1BETA1, K8S_EAUTH, "exec plugin didn't return a token or cert/key pair");
    expect_run(cat_response,
               "{\"apiVersion\":\"" V1BETA1 "\",\"kind\":\"ExecCredential\",\"status\":"
               "{\"clientCertificateData\":\"CERT\"}}",
               V1BETA1, K8S_EAUTH, "exec plugin returned only certificate or key, not both");
    expect_run(cat_response, "not json", V1BETA1, K8S_EAUTH, NULL);
    expect_run(cat_response, "", V1BETA1, K8S_EAUTH, NULL);
    expect_run(cat_response,
               "{\"apiVersion\":\"" V1BETA1 "\",\"kind\":\"ExecCredential\",\"status\":"
               "{\"token\":\"t\",\"expirationTimestamp\":\"tomorrow\"}}",
               V1BETA1, K8S_EAUTH,
               "decoding stdout: status.expirationTimestamp is not an RFC 3339 time");
}

Test(exec, decoding_errors_are_prefixed)
{
    struct k8s_exec_credential cred;
    struct k8s_error e;
    cr_assert_eq(k8s_exec_parse_output(V1BETA1, "[]", 2, &cred, &e), K8S_EAUTH);
    cr_assert(strncmp(e.message, "decoding stdout: ", 17) == 0, "%s", e.message);
    const char *nokind = "{\"apiVersion\":\"" V1BETA1 "\",\"status\":{\"token\":\"t\"}}";
    cr_assert_eq(k8s_exec_parse_output(V1BETA1, nokind, strlen(nokind), &cred, &e), K8S_EAUTH);
    cr_assert_str_eq(e.message, "decoding stdout: Object 'Kind' is missing");
}

Test(exec, not_found_with_install_hint)
{
    struct k8s_exec_config cfg = {.api_version = V1BETA1,
                                  .command = "prewarm-no-such-plugin",
                                  .install_hint = "Install it with apt."};
    struct k8s_exec_credential cred;
    struct k8s_error e;
    cr_assert_eq(k8s_exec_run(&cfg, 5000, &cred, &e), K8S_EAUTH);
    cr_assert(strncmp(e.message,
                      "exec: executable prewarm-no-such-plugin not found\n\nIt looks like "
                      "you are trying to use a client-go credential plugin that is not "
                      "installed.",
                      120) == 0,
              "%s", e.message);
    const char *tail = "#client-go-credential-plugins\n\nInstall it with apt.";
    cr_assert_str_eq(e.message + strlen(e.message) - strlen(tail), tail);
    cfg.command = "/nonexistent/dir/plugin";
    cfg.install_hint = NULL;
    cr_assert_eq(k8s_exec_run(&cfg, 5000, &cred, &e), K8S_EAUTH);
    cr_assert(strstr(e.message, "exec: executable /nonexistent/dir/plugin not found") == e.message);
}

Test(exec, real_gke_response_fixture)
{
    size_t len;
    char *out = cfgt_fixture("k8s/auth/execcredential-response.gke-gcloud-auth-plugin.json", &len);
    struct k8s_exec_credential cred;
    struct k8s_error e;
    cr_assert_eq(k8s_exec_parse_output(V1BETA1, out, len, &cred, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(cred.token, "ya29.FAKE-TOKEN-FOR-TESTS");
    cr_assert(cred.has_expiry);
    char ts[K8S_TIME_BUFSZ];
    k8s_time_format(cred.expiry_unix_ns, ts);
    cr_assert_str_eq(ts, "2026-11-25T14:33:24Z");
    cr_assert_null(cred.client_cert_pem);
    k8s_exec_credential_free(&cred);
    free(out);
}

Test(exec, client_certificate_output)
{
    struct plug p;
    plug_init(&p, cat_response,
              "{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":"
              "{\"clientCertificateData\":\"-----BEGIN CERTIFICATE-----\\nC\\n\","
              "\"clientKeyData\":\"-----BEGIN PRIVATE KEY-----\\nK\\n\"}}\n");
    free(p.cfg.api_version);
    p.cfg.api_version = strdup(V1);
    p.cfg.interactive_mode = K8S_EXEC_INTERACTIVE_NEVER;
    struct k8s_exec_credential cred;
    struct k8s_error e;
    cr_assert_eq(k8s_exec_run(&p.cfg, 10000, &cred, &e), K8S_OK, "%s", e.message);
    cr_assert_null(cred.token);
    cr_assert_str_eq(cred.client_cert_pem, "-----BEGIN CERTIFICATE-----\nC\n");
    cr_assert_str_eq(cred.client_key_pem, "-----BEGIN PRIVATE KEY-----\nK\n");
    cr_assert_not(cred.has_expiry);
    k8s_exec_credential_free(&cred);
    plug_free(&p);
}

Test(exec, large_output_has_no_fixed_cap)
{
    /* A 300 KiB token (kubernetes-client/c capped tokens at 4 KiB, issue #177). */
    size_t n = 300 * 1024;
    char *resp = malloc(n + 200);
    int w = sprintf(resp, "{\"apiVersion\":\"" V1BETA1 "\",\"kind\":\"ExecCredential\","
                          "\"status\":{\"token\":\"");
    memset(resp + w, 'x', n);
    strcpy(resp + w + n, "\"}}");
    struct plug p;
    plug_init(&p, cat_response, resp);
    struct k8s_exec_credential cred;
    struct k8s_error e;
    cr_assert_eq(k8s_exec_run(&p.cfg, 10000, &cred, &e), K8S_OK, "%s", e.message);
    cr_assert_eq(strlen(cred.token), n);
    k8s_exec_credential_free(&cred);
    plug_free(&p);
    free(resp);
}

Test(exec, output_over_one_mib_is_refused)
{
    expect_run("#!/bin/sh\nhead -c 3000000 /dev/zero | tr '\\0' x\n", "", V1BETA1, K8S_ETOOBIG,
               "exec: executable %s wrote more than 1048576 bytes");
}

Test(exec, timeout_kills_the_plugin)
{
    struct plug p;
    plug_init(&p, "#!/bin/sh\nexec sleep 30\n", "");
    p.cfg.interactive_mode = K8S_EXEC_INTERACTIVE_NEVER;
    uint64_t t0 = k8s_time_mono_now_ns();
    struct k8s_exec_credential cred;
    struct k8s_error e;
    cr_assert_eq(k8s_exec_run(&p.cfg, 200, &cred, &e), K8S_ETIMEOUT);
    cr_assert_lt(k8s_time_mono_now_ns() - t0, 10ull * 1000000000ull);
    plug_free(&p);
}

/* True once pid has exited (gone, or a zombie waiting for its reaper). */
static bool process_gone(pid_t pid)
{
    char path[64], stat[256] = "";
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    size_t n = fread(stat, 1, sizeof(stat) - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *end = strrchr(stat, ')'); /* "pid (comm) S ..." */
    return end && end[1] == ' ' && (end[2] == 'Z' || end[2] == 'X');
}

Test(exec, timeout_kills_the_plugins_children_too)
{
    /* gke-gcloud-auth-plugin runs gcloud: killing only the direct child
     * would leave its children running, holding our stderr open. */
    struct plug p;
    plug_init(&p,
              "#!/bin/sh\n"
              "d=$(dirname \"$0\")\n"
              "sleep 30 &\n"
              "echo $! > \"$d/child.tmp\" && mv \"$d/child.tmp\" \"$d/child\"\n"
              "wait\n",
              "");
    p.cfg.interactive_mode = K8S_EXEC_INTERACTIVE_NEVER;
    struct k8s_exec *ex;
    struct k8s_error e;
    cr_assert_eq(k8s_exec_start(&p.cfg, &ex, &e), K8S_OK, "%s", e.message);
    char path[600];
    snprintf(path, sizeof(path), "%s/child", p.dir);
    uint64_t deadline = k8s_time_mono_now_ns() + 20ull * 1000000000ull;
    while (access(path, F_OK) != 0 && k8s_time_mono_now_ns() < deadline)
        poll(NULL, 0, 5);
    char *pid_s = plug_file(&p, "child");
    pid_t child = (pid_t)atoi(pid_s);
    cr_assert_gt(child, 0);
    k8s_exec_free(ex); /* what a timeout does */
    while (!process_gone(child) && k8s_time_mono_now_ns() < deadline)
        poll(NULL, 0, 5);
    bool gone = process_gone(child);
    if (!gone)
        kill(child, SIGKILL);
    cr_assert(gone, "the plugin's child %d outlived the plugin", (int)child);
    free(pid_s);
    plug_free(&p);
}

/* True when fd is a pidfd (the exec fd after stdout reached EOF). */
static bool is_pidfd(int fd)
{
    char link[64], target[128] = "";
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    return n > 0 && strstr(target, "pidfd") != NULL;
}

Test(exec, non_blocking_state_machine)
{
    /* The plugin prints, closes stdout, and exits a little later: the pidfd path.
     * Its waits end when this test process is gone (a failed assertion), so
     * it never lingers holding ctest's stderr. */
    struct plug p;
    plug_init(&p,
              "#!/bin/sh\n"
              "d=$(dirname \"$0\")\n"
              "n=0\n"
              "while [ ! -e \"$d/go\" ] && [ $n -lt 2000 ] && kill -0 $PPID; do\n"
              "  sleep 0.01; n=$((n+1))\n"
              "done\n"
              "cat \"$d/response\"\n"
              "exec >&-\n"
              "while [ ! -e \"$d/exit\" ] && [ $n -lt 4000 ] && kill -0 $PPID; do\n"
              "  sleep 0.01; n=$((n+1))\n"
              "done\n",
              token_v1beta1);
    struct k8s_exec *ex;
    struct k8s_error e;
    cr_assert_eq(k8s_exec_start(&p.cfg, &ex, &e), K8S_OK, "%s", e.message);
    /* start returned while the plugin waits for us: nothing blocked. */
    cr_assert_eq(k8s_exec_state(ex), K8S_EXEC_RUNNING);
    int fd = k8s_exec_fd(ex);
    cr_assert_geq(fd, 0);
    cr_assert_not(is_pidfd(fd));
    cr_assert_eq(k8s_exec_on_readable(ex), K8S_EXEC_RUNNING); /* EAGAIN, no block */
    free(cfgt_write(p.dir, "go", "", 0644));
    bool exit_sent = false;
    uint64_t deadline = k8s_time_mono_now_ns() + 20ull * 1000000000ull;
    while (k8s_exec_state(ex) == K8S_EXEC_RUNNING && k8s_time_mono_now_ns() < deadline) {
        struct pollfd pfd = {.fd = k8s_exec_fd(ex), .events = POLLIN};
        cr_assert_geq(pfd.fd, 0);
        if (poll(&pfd, 1, 100) > 0)
            k8s_exec_on_readable(ex);
        if (!exit_sent && k8s_exec_state(ex) == K8S_EXEC_RUNNING && is_pidfd(k8s_exec_fd(ex))) {
            /* stdout reached EOF; the fd is now the child's pidfd. */
            free(cfgt_write(p.dir, "exit", "", 0644));
            exit_sent = true;
        }
    }
    cr_assert(exit_sent, "expected the pidfd phase");
    cr_assert_eq(k8s_exec_state(ex), K8S_EXEC_DONE);
    cr_assert_eq(k8s_exec_fd(ex), -1);
    struct k8s_exec_credential cred;
    cr_assert_eq(k8s_exec_result(ex, &cred, &e), K8S_OK);
    cr_assert_str_eq(cred.token, "tok-1");
    k8s_exec_credential_free(&cred);
    k8s_exec_free(ex);
    plug_free(&p);
}

Test(exec, free_while_running_reaps)
{
    struct plug p;
    plug_init(&p, "#!/bin/sh\nexec sleep 30\n", "");
    struct k8s_exec *ex;
    struct k8s_error e;
    cr_assert_eq(k8s_exec_start(&p.cfg, &ex, &e), K8S_OK);
    k8s_exec_free(ex); /* kills and reaps: no zombie, no hang */
    plug_free(&p);
}

Test(exec, config_copy_roundtrip)
{
    struct k8s_exec_config src = {.api_version = V1,
                                  .command = "c",
                                  .interactive_mode = K8S_EXEC_INTERACTIVE_NEVER,
                                  .provide_cluster_info = true};
    char *args[] = {"x", "y"};
    struct k8s_exec_env env[] = {{"A", "1"}};
    src.args = args;
    src.nargs = 2;
    src.env = env;
    src.nenv = 1;
    struct k8s_exec_config dst;
    cr_assert_eq(k8s_exec_config_copy(&dst, &src), K8S_OK);
    cr_assert_str_eq(dst.args[1], "y");
    cr_assert_str_eq(dst.env[0].value, "1");
    cr_assert(dst.provide_cluster_info);
    struct k8s_error e;
    cr_assert_eq(k8s_exec_config_validate(&dst, &e), K8S_OK);
    k8s_exec_config_free(&dst);
    cr_assert_null(dst.command);
}

Test(exec, works_with_our_stdin_and_stdout_closed)
{
    struct plug p;
    plug_init(&p, cat_response, token_v1beta1);
    close(0); /* a daemon may have closed them: the pipe then lands on fds 0 and 1 */
    close(1);
    struct k8s_exec_credential cred;
    struct k8s_error e;
    cr_assert_eq(k8s_exec_run(&p.cfg, 10000, &cred, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(cred.token, "tok-1");
    k8s_exec_credential_free(&cred);
    plug_free(&p);
}
