/* Tests for k8s_cred: token, token-file rotation, exec caching/refresh, the real GKE plugin. */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_cfgtest.h"
#include "k8s_config.h"
#include "k8s_cred.h"
#include "k8s_time.h"

#define SEC     1000000000ull
#define V1BETA1 "client.authentication.k8s.io/v1beta1"

Test(cred, static_token)
{
    struct k8s_cred *c;
    cr_assert_eq(k8s_cred_new_token("", &c), K8S_EINVAL);
    cr_assert_eq(k8s_cred_new_token("abc", &c), K8S_OK);
    struct k8s_auth a;
    cr_assert_eq(k8s_cred_get(c, 0, 0, &a, NULL), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "abc");
    cr_assert_null(a.client_cert_pem);
    cr_assert_eq(a.generation, 1);
    cr_assert_not(k8s_cred_invalidate(c, a.generation)); /* nothing to refresh */
    cr_assert_eq(k8s_cred_wait_fd(c), -1);
    k8s_cred_free(c);
}

Test(cred, token_file_rotation)
{
    char *dir = cfgt_tmpdir();
    char *path = cfgt_write(dir, "token", "  t1\n", 0600);
    struct k8s_cred *c;
    struct k8s_error e;
    struct k8s_auth a;
    cr_assert_eq(k8s_cred_new_token_file(path, &c), K8S_OK);
    uint64_t t0 = 1000 * SEC;
    cr_assert_eq(k8s_cred_get(c, t0, 0, &a, &e), K8S_CRED_READY, "%s", e.message);
    cr_assert_str_eq(a.token, "t1"); /* trimmed */
    uint64_t g1 = a.generation;

    /* The kubelet rotates the file; within 60 s the cached token is used. */
    free(cfgt_write(dir, "token", "t2\n", 0600));
    cr_assert_eq(k8s_cred_get(c, t0 + 59 * SEC, 0, &a, &e), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "t1");
    cr_assert_eq(a.generation, g1);
    /* Past 60 s it is re-read. */
    cr_assert_eq(k8s_cred_get(c, t0 + 61 * SEC, 0, &a, &e), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "t2");
    cr_assert_gt(a.generation, g1);
    uint64_t g2 = a.generation;

    /* A 401 invalidates: the next get re-reads at once. */
    free(cfgt_write(dir, "token", "t3", 0600));
    cr_assert_eq(k8s_cred_get(c, t0 + 62 * SEC, 0, &a, &e), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "t2");
    cr_assert(k8s_cred_invalidate(c, g2));
    cr_assert_eq(k8s_cred_get(c, t0 + 63 * SEC, 0, &a, &e), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "t3");
    uint64_t g3 = a.generation;

    /* A 401 for an older generation does not force another read. */
    free(cfgt_write(dir, "token", "t4", 0600));
    k8s_cred_invalidate(c, g2);
    cr_assert_eq(k8s_cred_get(c, t0 + 64 * SEC, 0, &a, &e), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "t3");

    /* A failed periodic re-read keeps the cached token (client-go does the same). */
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(k8s_cred_get(c, t0 + 200 * SEC, 0, &a, &e), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "t3");
    /* ... but after a 401 it is an error. */
    k8s_cred_invalidate(c, g3);
    cr_assert_eq(k8s_cred_get(c, t0 + 201 * SEC, 0, &a, &e), K8S_CRED_ERROR);
    cr_assert_eq(e.status, K8S_EAUTH);
    cr_assert(strstr(e.message, path) != NULL);

    /* An empty file is an error. */
    free(cfgt_write(dir, "token", " \n\t", 0600));
    cr_assert_eq(k8s_cred_get(c, t0 + 202 * SEC, 0, &a, &e), K8S_CRED_ERROR);
    cr_assert(strstr(e.message, "read empty token from file") != NULL, "%s", e.message);
    free(cfgt_write(dir, "token", "t5", 0600));
    cr_assert_eq(k8s_cred_get(c, t0 + 203 * SEC, 0, &a, &e), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "t5");
    k8s_cred_free(c);

    /* Missing at first: error. */
    cr_assert_eq(k8s_cred_new_token_file("/nonexistent/token", &c), K8S_OK);
    cr_assert_eq(k8s_cred_get(c, 0, 0, &a, &e), K8S_CRED_ERROR);
    k8s_cred_free(c);
    cfgt_rmrf(dir);
    free(path);
    free(dir);
}

/*
 * A plugin that counts its runs and prints token tok-N with the expiry found
 * in dir/expiry (none when the file is empty), or fails when dir/fail exists.
 */
static const char counter_plugin[] =
    "#!/bin/sh\n"
    "d=$(dirname \"$0\")\n"
    "n=$(( $(cat \"$d/count\") + 1 ))\n"
    "printf '%s' \"$n\" > \"$d/count\"\n"
    "if [ -e \"$d/fail\" ]; then echo 'plugin failing on purpose' >&2; exit 7; fi\n"
    "exp=$(cat \"$d/expiry\")\n"
    "if [ -n \"$exp\" ]; then e=\",\\\"expirationTimestamp\\\":\\\"$exp\\\"\"; else e=; fi\n"
    "printf '{\"apiVersion\":\"" V1BETA1 "\",\"kind\":\"ExecCredential\",\"status\":"
    "{\"token\":\"tok-%s\"%s}}' \"$n\" \"$e\"\n";

struct counter {
    char *dir;
    struct k8s_cred *cred;
};

static void counter_init(struct counter *k, const char *expiry)
{
    k->dir = cfgt_tmpdir();
    char *script = cfgt_write(k->dir, "plugin", counter_plugin, 0755);
    free(cfgt_write(k->dir, "count", "0", 0644));
    free(cfgt_write(k->dir, "expiry", expiry, 0644));
    struct k8s_exec_config cfg = {.api_version = V1BETA1, .command = script, .user_name = "u"};
    struct k8s_error e;
    cr_assert_eq(k8s_cred_new_exec(&cfg, &k->cred, &e), K8S_OK, "%s", e.message);
    free(script);
}

static int counter_runs(struct counter *k)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/count", k->dir);
    char *s = cfgt_read(path, NULL);
    int n = atoi(s);
    free(s);
    return n;
}

static void counter_free(struct counter *k)
{
    k8s_cred_free(k->cred);
    cfgt_rmrf(k->dir);
    free(k->dir);
}

/* Drives the state machine like an event loop would; returns the final state. */
static enum k8s_cred_state drive(struct k8s_cred *c, uint64_t mono, int64_t wall,
                                 struct k8s_auth *a, struct k8s_error *e)
{
    enum k8s_cred_state st = k8s_cred_get(c, mono, wall, a, e);
    uint64_t deadline = k8s_time_mono_now_ns() + 20 * SEC;
    while (st == K8S_CRED_PENDING && k8s_time_mono_now_ns() < deadline) {
        struct pollfd p = {.fd = k8s_cred_wait_fd(c), .events = POLLIN};
        cr_assert_geq(p.fd, 0);
        if (poll(&p, 1, 1000) > 0)
            st = k8s_cred_on_readable(c, mono, wall, a, e);
        else
            st = k8s_cred_get(c, mono, wall, a, e);
    }
    return st;
}

static int64_t wall_of(const char *ts)
{
    int64_t ns;
    cr_assert_eq(k8s_time_parse(ts, strlen(ts), &ns), K8S_OK);
    return ns;
}

Test(cred, exec_cached_until_expiry_and_refreshed_on_401)
{
    struct counter k;
    counter_init(&k, "2030-01-01T00:00:00Z");
    struct k8s_auth a;
    struct k8s_error e;
    int64_t before = wall_of("2029-12-31T23:00:00Z");
    /* First use: PENDING (the plugin runs in the background), then READY. */
    cr_assert_eq(k8s_cred_get(k.cred, 0, before, &a, &e), K8S_CRED_PENDING);
    cr_assert_eq(drive(k.cred, 0, before, &a, &e), K8S_CRED_READY, "%s", e.message);
    cr_assert_str_eq(a.token, "tok-1");
    uint64_t g1 = a.generation;
    /* Cached while not expired: no new run. */
    cr_assert_eq(k8s_cred_get(k.cred, 1, before + 1800 * (int64_t)SEC, &a, &e), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "tok-1");
    cr_assert_eq(counter_runs(&k), 1);
    /* Past expirationTimestamp: the plugin runs again. */
    int64_t after = wall_of("2030-01-01T00:00:01Z");
    cr_assert_eq(drive(k.cred, 2, after, &a, &e), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "tok-2");
    cr_assert_gt(a.generation, g1);
    uint64_t g2 = a.generation;
    /* A 401 with this generation refreshes once... */
    free(cfgt_write(k.dir, "expiry", "2031-01-01T00:00:00Z", 0644));
    cr_assert(k8s_cred_invalidate(k.cred, g2));
    cr_assert_eq(drive(k.cred, 3, after, &a, &e), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "tok-3");
    /* ...and more 401s from requests that used g2 do not run it again. */
    cr_assert(k8s_cred_invalidate(k.cred, g2)); /* retry: a newer credential exists */
    cr_assert(k8s_cred_invalidate(k.cred, g2));
    cr_assert_eq(k8s_cred_get(k.cred, 4, after, &a, &e), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "tok-3");
    cr_assert_eq(counter_runs(&k), 3);
    counter_free(&k);
}

Test(cred, exec_without_expiry_is_cached_forever)
{
    struct counter k;
    counter_init(&k, "");
    struct k8s_auth a;
    struct k8s_error e;
    cr_assert_eq(k8s_cred_get_blocking(k.cred, 20000, &a, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(a.token, "tok-1");
    cr_assert_eq(k8s_cred_get(k.cred, 0, INT64_MAX, &a, &e), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "tok-1");
    cr_assert_eq(counter_runs(&k), 1);
    counter_free(&k);
}

Test(cred, exec_failure_then_recovery)
{
    struct counter k;
    counter_init(&k, "");
    free(cfgt_write(k.dir, "fail", "", 0644));
    struct k8s_auth a;
    struct k8s_error e;
    cr_assert_eq(drive(k.cred, 0, 0, &a, &e), K8S_CRED_ERROR);
    cr_assert_eq(e.status, K8S_EAUTH);
    cr_assert(strstr(e.message, "failed with exit code 7") != NULL, "%s", e.message);
    char fail[600];
    snprintf(fail, sizeof(fail), "%s/fail", k.dir);
    cr_assert_eq(unlink(fail), 0);
    /* The next get starts over. */
    cr_assert_eq(drive(k.cred, 1, 0, &a, &e), K8S_CRED_READY, "%s", e.message);
    cr_assert_str_eq(a.token, "tok-2");
    counter_free(&k);
}

Test(cred, exec_timeout)
{
    char *dir = cfgt_tmpdir();
    char *script = cfgt_write(dir, "plugin", "#!/bin/sh\nexec sleep 30\n", 0755);
    struct k8s_exec_config cfg = {.api_version = V1BETA1, .command = script};
    struct k8s_cred *c;
    struct k8s_error e;
    struct k8s_auth a;
    cr_assert_eq(k8s_cred_new_exec(&cfg, &c, &e), K8S_OK);
    k8s_cred_set_exec_timeout(c, 5 * SEC);
    uint64_t t0 = 100 * SEC;
    cr_assert_eq(k8s_cred_get(c, t0, 0, &a, &e), K8S_CRED_PENDING);
    cr_assert_geq(k8s_cred_wait_fd(c), 0);
    cr_assert_eq(k8s_cred_get(c, t0 + 4 * SEC, 0, &a, &e), K8S_CRED_PENDING);
    /* Time is passed in: past the timeout the plugin is killed and reported. */
    cr_assert_eq(k8s_cred_get(c, t0 + 6 * SEC, 0, &a, &e), K8S_CRED_ERROR);
    cr_assert_eq(e.status, K8S_ETIMEOUT);
    cr_assert_eq(k8s_cred_wait_fd(c), -1);
    /* The blocking helper has its own deadline. */
    cr_assert_eq(k8s_cred_get_blocking(c, 100, &a, &e), K8S_ETIMEOUT);
    k8s_cred_free(c);
    cfgt_rmrf(dir);
    free(script);
    free(dir);
}

Test(cred, exec_client_certificate)
{
    char *dir = cfgt_tmpdir();
    char *script =
        cfgt_write(dir, "plugin",
                   "#!/bin/sh\nprintf '{\"apiVersion\":\"" V1BETA1 "\",\"kind\":\"ExecCredential\","
                   "\"status\":{\"clientCertificateData\":\"CERT\",\"clientKeyData\":\"KEY\"}}'\n",
                   0755);
    struct k8s_exec_config cfg = {.api_version = V1BETA1, .command = script};
    struct k8s_cred *c;
    struct k8s_error e;
    struct k8s_auth a;
    cr_assert_eq(k8s_cred_new_exec(&cfg, &c, &e), K8S_OK);
    cr_assert_eq(k8s_cred_get_blocking(c, 20000, &a, &e), K8S_OK, "%s", e.message);
    cr_assert_null(a.token);
    cr_assert_str_eq(a.client_cert_pem, "CERT");
    cr_assert_str_eq(a.client_key_pem, "KEY");
    k8s_cred_free(c);
    cfgt_rmrf(dir);
    free(script);
    free(dir);
}

#define GKE_PLUGIN_DIR "/usr/lib/google-cloud-sdk/bin"
#define GKE_CONTEXT    "gke_example-project_us-central1_example-cluster"

/*
 * The real gke-gcloud-auth-plugin, offline: its cache file next to the
 * kubeconfig answers while current-context and args match and more than
 * 10 s remain (cloud-provider-gcp cmd/gke-gcloud-auth-plugin/cred.go).
 */
Test(cred, real_gke_gcloud_auth_plugin)
{
    if (access(GKE_PLUGIN_DIR "/gke-gcloud-auth-plugin", X_OK) != 0)
        cr_skip_test("gke-gcloud-auth-plugin is not installed");
    char *dir = cfgt_tmpdir();
    char *yaml = cfgt_fixture("k8s/auth/gke-kubeconfig.gcloud528-generated.yaml", NULL);
    char *kubeconfig = cfgt_write(dir, "config", yaml, 0600);
    char expiry[K8S_TIME_BUFSZ], cache[512];
    int64_t exp_ns = k8s_time_wall_now_ns() + 3600 * (int64_t)SEC;
    k8s_time_format(exp_ns, expiry);
    snprintf(cache, sizeof(cache),
             "{\"current_context\":\"" GKE_CONTEXT "\",\"access_token\":\"ya29.PREWARM-TEST\","
             "\"token_expiry\":\"%s\",\"extra_args\":\"\"}",
             expiry);
    free(cfgt_write(dir, "gke_gcloud_auth_plugin_cache", cache, 0600));
    /* The plugin finds the kubeconfig (and so its cache) through the environment
     * it inherits; "gke-gcloud-auth-plugin" is found on PATH by posix_spawnp. */
    char *path = NULL;
    cr_assert_geq(asprintf(&path, GKE_PLUGIN_DIR ":%s", getenv("PATH") ? getenv("PATH") : ""), 0);
    cr_assert_eq(setenv("PATH", path, 1), 0);
    cr_assert_eq(setenv("KUBECONFIG", kubeconfig, 1), 0);
    cr_assert_eq(setenv("HOME", dir, 1), 0);

    struct k8s_config *cfg;
    struct k8s_error e;
    cr_assert_eq(k8s_config_load_kubeconfig(NULL, &cfg, &e), K8S_OK, "%s", e.message);
    cr_assert_eq(k8s_cred_kind(cfg->cred), K8S_CRED_EXEC);
    struct k8s_auth a;
    cr_assert_eq(k8s_cred_get_blocking(cfg->cred, 30000, &a, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(a.token, "ya29.PREWARM-TEST");
    /* Cached: valid until the plugin's expirationTimestamp. */
    cr_assert_eq(k8s_cred_get(cfg->cred, 0, exp_ns - (int64_t)SEC, &a, &e), K8S_CRED_READY);
    k8s_config_free(cfg);
    cfgt_rmrf(dir);
    free(path);
    free(kubeconfig);
    free(yaml);
    free(dir);
}
