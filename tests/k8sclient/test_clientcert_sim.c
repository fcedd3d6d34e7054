/* Client-certificate authentication (mutual TLS) from a kubeconfig, against
 * the simulator and, with PREWARM_K8S_TARGET=kube, the real kube-apiserver:
 * the certificate and key embedded as *-data and named as files (relative to
 * the kubeconfig) both carry real list, watch and create requests with no
 * token at all; a certificate the test signs with the cluster's CA is
 * accepted, the same subject signed by another CA gets 401; a key that is
 * not the certificate's is a load error; a missing file is named. */
#include <criterion/criterion.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helper_cfgtest.h"
#include "helper_sim.h"
#include "k8s_config.h"
#include "k8s_pods.h"
#include "k8s_watch.h"

static const char pod_yaml[] = "apiVersion: v1\n"
                               "kind: Pod\n"
                               "metadata: {labels: {app: mtls}}\n"
                               "spec:\n"
                               "  automountServiceAccountToken: false\n"
                               "  terminationGracePeriodSeconds: 0\n"
                               "  containers: [{name: app, image: \"nginx:1.27\"}]\n";

/* The folder the target wrote its files in: kubeconfig-cert, ca.crt, ca.key,
 * client.crt, client.key (the simulator's --dir, cluster.sh's DIR). */
static void target_dir(const struct sim *s, char *out, size_t n)
{
    char copy[sizeof s->kubeconfig];
    snprintf(copy, sizeof copy, "%s", s->kubeconfig);
    snprintf(out, n, "%s", dirname(copy));
}

static void run(const char *cmd)
{
    cr_assert_eq(system(cmd), 0, "failed: %s", cmd);
}

/* A new EC P-256 key dir/name.key and a certificate dir/name.crt for subj,
 * signed by ca (ca.crt and ca.key under that prefix); ca NULL: self-signed CA. */
static void make_cert(const char *dir, const char *name, const char *subj, const char *ca)
{
    char *cmd = NULL;
    const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    if (!ca)
        cr_assert(asprintf(&cmd,
                           "cd '%s' && openssl req -x509 %s -keyout %s.key -out %s.crt -days 2 "
                           "-subj '%s' -addext basicConstraints=critical,CA:TRUE 2>/dev/null",
                           dir, ec, name, name, subj) > 0);
    else
        cr_assert(asprintf(&cmd,
                           "cd '%s' && printf 'extendedKeyUsage=clientAuth\\n' >%s.ext && "
                           "openssl req %s -keyout %s.key -out %s.csr -subj '%s' 2>/dev/null && "
                           "openssl x509 -req -in %s.csr -CA '%s.crt' -CAkey '%s.key' "
                           "-CAcreateserial -out %s.crt -days 2 -extfile %s.ext 2>/dev/null",
                           dir, name, ec, name, name, subj, name, ca, ca, name, name) > 0);
    run(cmd);
    free(cmd);
}

/* Writes dir/kubeconfig naming the CA, certificate and key as files
 * relative to dir; returns its heap path. */
static char *write_file_kubeconfig(const char *dir, const struct sim *s, const char *ca,
                                   const char *cert, const char *key)
{
    char *yaml = NULL;
    cr_assert(asprintf(&yaml,
                       "apiVersion: v1\n"
                       "kind: Config\n"
                       "clusters: [{name: t, cluster: {server: '%s', certificate-authority: %s}}]\n"
                       "users: [{name: cert, user: {client-certificate: %s, client-key: %s}}]\n"
                       "contexts: [{name: t, context: {cluster: t, user: cert, namespace: %s}}]\n"
                       "current-context: t\n",
                       s->server, ca, cert, key, s->ns) > 0);
    char *path = cfgt_write(dir, "kubeconfig", yaml, 0600);
    free(yaml);
    return path;
}

static enum k8s_status load(const char *path, const char *ns, struct k8s_config **cfg,
                            struct k8s_error *err)
{
    struct k8s_config_options o = {.kubeconfig = path, .overrides = {.namespace = ns}};
    return k8s_config_load_kubeconfig(&o, cfg, err);
}

/* Loads a kubeconfig that must authenticate by certificate alone. */
static struct k8s_config *load_cert_only(const char *path, const char *ns)
{
    struct k8s_config *cfg = NULL;
    struct k8s_error err;
    cr_assert_eq(load(path, ns, &cfg, &err), K8S_OK, "%s: %s", path, err.message);
    cr_assert_null(cfg->cred, "no token or plugin: the certificate is the only credential");
    cr_assert_not_null(cfg->client_cert_pem);
    cr_assert_not_null(cfg->client_key_pem);
    return cfg;
}

struct seen {
    char name[128];
    int added;
};

static void on_event(void *arg, enum k8s_event_type type, cJSON *obj)
{
    struct seen *w = arg;
    const char *name = k8s_obj_name(obj);
    if (type == K8S_EVENT_ADDED && name && strcmp(name, w->name) == 0)
        w->added++;
}

static void on_expired(void *arg, const struct k8s_error *err)
{
    (void)arg;
    cr_log_warn("watch expired: %s", err->message);
}

static int added(void *arg)
{
    return ((struct seen *)arg)->added > 0;
}

static bool list_has(const cJSON *list, const char *name)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(list, "items"))
    {
        const char *n = k8s_obj_name(item);
        if (n && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

/* Watch, create, list over the client's mutual TLS; every answer must be a
 * success, so a certificate the server did not take fails here. */
static void watch_create_list(const struct sim *s, const struct k8s_config *cfg)
{
    struct k8s_client *c = sim_client(cfg, 0, 0);
    struct seen w = {{0}, 0};
    struct k8s_error err;

    cJSON *tpl = NULL;
    cr_assert_eq(k8s_pod_template_parse(pod_yaml, strlen(pod_yaml), &tpl, &err), K8S_OK);
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_create(c, NULL, tpl, "mtls-", sim_on_result, &r, NULL), K8S_OK);
    sim_wait(c, &r, 30000);
    cJSON_Delete(tpl);
    cr_assert_eq(r.http_code, 201, "create: %ld %s", r.http_code, r.error.message);
    snprintf(w.name, sizeof w.name, "%s", k8s_obj_name(r.object));
    sim_result_reset(&r);

    /* from "": the current state arrives as ADDED events, the new pod among them */
    struct k8s_watch_options wo = {.path = s->pods_path, .label_selector = "app=mtls"};
    struct k8s_watch_handlers wh = {.on_event = on_event, .on_expired = on_expired};
    struct k8s_watch *watch = NULL;
    cr_assert_eq(k8s_watch_start(c, &wo, &wh, &w, &watch), K8S_OK);
    cr_assert_eq(k8s_client_run_until(c, added, &w, 30000), 0, "the watch never saw %s", w.name);
    struct k8s_watch_stats ws;
    k8s_watch_get_stats(watch, &ws);
    cr_assert_eq(ws.failures, 0, "no watch attempt failed");

    struct k8s_list_options lo = {.label_selector = "app=mtls"};
    cr_assert_eq(k8s_pods_list(c, NULL, &lo, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(c, &r, 30000);
    cr_assert_eq(r.http_code, 200, "list: %ld %s", r.http_code, r.error.message);
    cr_assert(list_has(r.object, w.name), "the list lacks %s", w.name);
    sim_result_reset(&r);
    k8s_watch_free(watch);
    k8s_client_free(c);
}

/* Every test: the target, its folder and a scratch folder of the test's own. */
static struct {
    struct sim s;
    char dir[600];
    char *tmp;
} cc;

static void cc_setup(void)
{
    sim_start(&cc.s, NULL);
    target_dir(&cc.s, cc.dir, sizeof cc.dir);
    cc.tmp = cfgt_tmpdir();
}

static void cc_teardown(void)
{
    cfgt_rmrf(cc.tmp);
    free(cc.tmp);
    sim_stop(&cc.s);
}

/* Copies the target's file `name` into the scratch folder as `as`. */
static void copy_from_target(const char *name, const char *as)
{
    char *cmd = NULL;
    cr_assert(asprintf(&cmd, "cp '%s/%s' '%s/%s'", cc.dir, name, cc.tmp, as) > 0);
    run(cmd);
    free(cmd);
}

Test(clientcert, embedded_data_lists_watches_creates, .init = cc_setup, .fini = cc_teardown)
{
    char path[700];
    snprintf(path, sizeof path, "%s/kubeconfig-cert", cc.dir);
    struct k8s_config *cfg = load_cert_only(path, cc.s.ns);
    watch_create_list(&cc.s, cfg);
    k8s_config_free(cfg);
}

Test(clientcert, files_relative_to_the_kubeconfig_list_watch_create, .init = cc_setup,
     .fini = cc_teardown)
{
    char pki[700];
    snprintf(pki, sizeof pki, "%s/pki", cc.tmp);
    cr_assert_eq(mkdir(pki, 0700), 0);
    copy_from_target("ca.crt", "pki/ca.crt");
    copy_from_target("client.crt", "pki/client.crt");
    copy_from_target("client.key", "pki/client.key");
    char *path =
        write_file_kubeconfig(cc.tmp, &cc.s, "pki/ca.crt", "pki/client.crt", "pki/client.key");
    struct k8s_config *cfg = load_cert_only(path, cc.s.ns);
    watch_create_list(&cc.s, cfg);
    k8s_config_free(cfg);
    free(path);
}

/* One list with cfg; returns the HTTP code (0: no answer from the server). */
static long list_code(const struct k8s_config *cfg, struct k8s_error *err)
{
    struct k8s_client *c = sim_client(cfg, 0, 0);
    struct sim_result r = {0};
    cr_assert_eq(k8s_pods_list(c, NULL, NULL, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(c, &r, 30000);
    long code = r.http_code;
    *err = r.error;
    sim_result_reset(&r);
    k8s_client_free(c);
    return code;
}

/* The same subject, once signed by the cluster's CA (taken) and once by a CA
 * of the test's own (refused: 401, as the apiserver's x509 authenticator
 * fails the request rather than treating it as anonymous). */
Test(clientcert, certificate_of_another_ca_is_refused, .init = cc_setup, .fini = cc_teardown)
{
    char ca[700], rogue_ca[700];
    snprintf(ca, sizeof ca, "%s/ca", cc.dir);
    snprintf(rogue_ca, sizeof rogue_ca, "%s/rogue-ca", cc.tmp);
    const char *subj = "/O=system:masters/CN=prewarm-mtls-test";
    make_cert(cc.tmp, "ours", subj, ca);
    make_cert(cc.tmp, "rogue-ca", "/CN=prewarm-kube-ca", NULL);
    make_cert(cc.tmp, "rogue", subj, rogue_ca);
    copy_from_target("ca.crt", "cluster-ca.crt");

    struct k8s_error err;
    char *path = write_file_kubeconfig(cc.tmp, &cc.s, "cluster-ca.crt", "ours.crt", "ours.key");
    struct k8s_config *cfg = load_cert_only(path, cc.s.ns);
    long code = list_code(cfg, &err);
    cr_assert_eq(code, 200, "signed by the cluster's CA: %ld %s", code, err.message);
    k8s_config_free(cfg);
    free(path);

    path = write_file_kubeconfig(cc.tmp, &cc.s, "cluster-ca.crt", "rogue.crt", "rogue.key");
    cfg = load_cert_only(path, cc.s.ns);
    code = list_code(cfg, &err);
    cr_assert_eq(code, 401, "signed by another CA: %ld %s (%s)", code, err.message,
                 k8s_status_str(err.status));
    cr_assert_eq(err.status, K8S_EHTTP);
    k8s_config_free(cfg);
    free(path);
}

/* The target's own certificate with a key of another pair, and a key file
 * that is not there: both fail at load time, before any request. */
Test(clientcert, wrong_or_missing_key_is_a_load_error, .init = cc_setup, .fini = cc_teardown)
{
    make_cert(cc.tmp, "ca", "/CN=unrelated", NULL);
    copy_from_target("ca.crt", "cluster-ca.crt");
    copy_from_target("client.crt", "client.crt");

    struct k8s_config *cfg = NULL;
    struct k8s_error err;
    char *path = write_file_kubeconfig(cc.tmp, &cc.s, "cluster-ca.crt", "client.crt", "ca.key");
    cr_assert_eq(load(path, cc.s.ns, &cfg, &err), K8S_ECONFIG, "a foreign key loaded");
    cr_assert_null(cfg);
    char want[800];
    snprintf(want, sizeof want, "%s/ca.key", cc.tmp);
    cr_assert(strstr(err.message, "client-key does not match") && strstr(err.message, want), "%s",
              err.message);
    cr_assert(strstr(err.message, path), "names the kubeconfig: %s", err.message);
    free(path);

    path = write_file_kubeconfig(cc.tmp, &cc.s, "cluster-ca.crt", "client.crt", "gone/client.key");
    cr_assert_eq(load(path, cc.s.ns, &cfg, &err), K8S_ECONFIG, "a missing key loaded");
    snprintf(want, sizeof want, "%s/gone/client.key: No such file or directory", cc.tmp);
    cr_assert(strstr(err.message, want), "%s lacks %s", err.message, want);
    free(path);
}
