/* Tests for k8s_kubeconfig + k8s_config: the real GKE kubeconfig, merging, paths, errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper_cfgtest.h"
#include "k8s_base64.h"
#include "k8s_config.h"
#include "k8s_kubeconfig.h"

#define GKE_NAME "gke_example-project_us-central1_example-cluster"

static struct k8s_config *resolve_text(const char *dir, const char *yaml,
                                       const struct k8s_config_overrides *ov, struct k8s_error *e,
                                       enum k8s_status want)
{
    char *path = cfgt_write(dir, "config", yaml, 0600);
    struct k8s_kubeconfig kc;
    k8s_kubeconfig_init(&kc);
    struct k8s_config *cfg = NULL;
    enum k8s_status st = k8s_kubeconfig_load_file(&kc, path, e);
    if (st == K8S_OK)
        st = k8s_config_from_kubeconfig(&kc, ov, &cfg, e);
    cr_assert_eq(st, want, "status %d (%s)", st, st ? e->message : "");
    k8s_kubeconfig_free(&kc);
    free(path);
    return cfg;
}

Test(kubeconfig, gke_fixture_model)
{
    char *path = cfgt_fixture_path("k8s/auth/gke-kubeconfig.gcloud528-generated.yaml");
    struct k8s_kubeconfig kc;
    struct k8s_error e;
    k8s_kubeconfig_init(&kc);
    cr_assert_eq(k8s_kubeconfig_load_file(&kc, path, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(kc.current_context, GKE_NAME);
    cr_assert_eq(kc.nclusters, 1);
    cr_assert_eq(kc.nusers, 1);
    cr_assert_eq(kc.ncontexts, 1);
    const struct k8s_kc_context *ctx = k8s_kubeconfig_context(&kc, GKE_NAME);
    cr_assert_not_null(ctx);
    cr_assert_str_eq(ctx->cluster, GKE_NAME);
    cr_assert_str_eq(ctx->user, GKE_NAME);
    cr_assert_null(ctx->namespace);
    const struct k8s_kc_cluster *cl = k8s_kubeconfig_cluster(&kc, GKE_NAME);
    cr_assert_str_eq(cl->server, "https://203.0.113.10");
    cr_assert_str_eq(
        cl->certificate_authority_data,
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkZBS0UKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=");
    const struct k8s_kc_user *u = k8s_kubeconfig_user(&kc, GKE_NAME);
    cr_assert(u->has_exec);
    cr_assert_str_eq(u->exec.api_version, "client.authentication.k8s.io/v1beta1");
    cr_assert_str_eq(u->exec.command, "gke-gcloud-auth-plugin"); /* PATH lookup: not resolved */
    cr_assert_eq(u->exec.nargs, 0);
    cr_assert(u->exec.provide_cluster_info);
    cr_assert_eq(u->exec.interactive_mode, K8S_EXEC_INTERACTIVE_UNSET);
    /* The folded two-line scalar becomes one line joined by a space. */
    cr_assert_str_eq(u->exec.install_hint,
                     "Install gke-gcloud-auth-plugin for use with kubectl by following "
                     "https://cloud.google.com/kubernetes-engine/docs/how-to/"
                     "cluster-access-for-kubectl#install_plugin");
    cr_assert_eq(u->exec_mark.line, 19); /* the exec mapping starts at apiVersion */
    cr_assert_eq(u->exec_mark.col, 7);
    k8s_kubeconfig_free(&kc);
    free(path);
}

Test(kubeconfig, gke_fixture_resolved)
{
    char *path = cfgt_fixture_path("k8s/auth/gke-kubeconfig.gcloud528-generated.yaml");
    struct k8s_config_options o = {.kubeconfig = path};
    struct k8s_config *cfg;
    struct k8s_error e;
    cr_assert_eq(k8s_config_load_kubeconfig(&o, &cfg, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(cfg->server, "https://203.0.113.10");
    cr_assert_str_eq(cfg->ca_pem, "-----BEGIN CERTIFICATE-----\nFAKE\n-----END CERTIFICATE-----\n");
    cr_assert_eq(cfg->ca_pem_len, strlen(cfg->ca_pem));
    cr_assert_str_eq(cfg->namespace, "default");
    cr_assert_str_eq(cfg->context, GKE_NAME);
    cr_assert_not(cfg->insecure_skip_tls_verify);
    cr_assert_null(cfg->client_cert_pem);
    cr_assert_not_null(cfg->cred);
    cr_assert_eq(k8s_cred_kind(cfg->cred), K8S_CRED_EXEC);
    k8s_config_free(cfg);
    free(path);
}

static const char file_a[] = "apiVersion: v1\n"
                             "kind: Config\n"
                             "current-context: ctx\n"
                             "clusters:\n"
                             "- name: c1\n"
                             "  cluster: {server: 'https://a.example:6443/'}\n"
                             "users:\n"
                             "- name: u1\n"
                             "  user: {token: token-a}\n"
                             "contexts:\n"
                             "- name: ctx\n"
                             "  context: {cluster: c1, user: u1, namespace: team-a}\n";

static const char file_b[] = "current-context: ctx2\n"
                             "preferences: {colors: true}\n"
                             "extensions:\n- name: x\n  extension: {a: [1, 2]}\n"
                             "clusters:\n"
                             "- name: c1\n"
                             "  cluster: {server: 'https://b.example'}\n"
                             "- name: c2\n"
                             "  cluster:\n    server: https://c2.example\n"
                             "    insecure-skip-tls-verify: true\n"
                             "    tls-server-name: kubernetes.default\n"
                             "    disable-compression: true\n"
                             "    unknown-field: [1]\n"
                             "users:\n"
                             "- name: u1\n"
                             "  user: {token: token-b}\n"
                             "contexts:\n"
                             "- name: ctx2\n"
                             "  context: {cluster: c2, user: u1}\n";

Test(kubeconfig, merge_first_wins)
{
    char *dir = cfgt_tmpdir();
    char *a = cfgt_write(dir, "a.yaml", file_a, 0600);
    char *b = cfgt_write(dir, "b.yaml", file_b, 0600);
    char *list = NULL;
    cr_assert_geq(asprintf(&list, "%s/missing.yaml::%s:%s", dir, a, b), 0);
    struct k8s_config_options o = {.kubeconfig_env = list, .home = dir};
    struct k8s_config *cfg;
    struct k8s_error e;
    cr_assert_eq(k8s_config_load_kubeconfig(&o, &cfg, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(cfg->context, "ctx");                   /* from the first file */
    cr_assert_str_eq(cfg->server, "https://a.example:6443"); /* c1 from a.yaml, '/' trimmed */
    cr_assert_str_eq(cfg->namespace, "team-a");
    struct k8s_auth auth;
    cr_assert_eq(k8s_cred_get(cfg->cred, 0, 0, &auth, &e), K8S_CRED_READY);
    cr_assert_str_eq(auth.token, "token-a"); /* u1 from a.yaml */
    k8s_config_free(cfg);

    /* Override the context: ctx2 exists only in b.yaml and uses c2 from b.yaml. */
    o.overrides.context = "ctx2";
    o.overrides.namespace = "ns-override";
    cr_assert_eq(k8s_config_load_kubeconfig(&o, &cfg, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(cfg->server, "https://c2.example");
    cr_assert(cfg->insecure_skip_tls_verify);
    cr_assert_str_eq(cfg->tls_server_name, "kubernetes.default");
    cr_assert_str_eq(cfg->namespace, "ns-override");
    k8s_config_free(cfg);

    /* Cluster and user overrides. */
    o.overrides = (struct k8s_config_overrides){.cluster = "c2", .server = "https://x.example"};
    cr_assert_eq(k8s_config_load_kubeconfig(&o, &cfg, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(cfg->server, "https://x.example");
    cr_assert_str_eq(cfg->namespace, "team-a");
    k8s_config_free(cfg);

    o.overrides = (struct k8s_config_overrides){.context = "nope"};
    cr_assert_eq(k8s_config_load_kubeconfig(&o, &cfg, &e), K8S_ECONFIG);
    cr_assert(strstr(e.message, "context was not found for specified context: nope") != NULL);
    cr_assert_null(cfg);

    cfgt_rmrf(dir);
    free(a);
    free(b);
    free(list);
    free(dir);
}

Test(kubeconfig, home_default_and_nothing)
{
    char *dir = cfgt_tmpdir();
    struct k8s_config_options o = {.kubeconfig_env = "", .home = dir};
    struct k8s_config *cfg;
    struct k8s_error e;
    cr_assert_eq(k8s_config_load_kubeconfig(&o, &cfg, &e), K8S_ECONFIG);
    cr_assert(strstr(e.message, "no configuration has been provided") != NULL);
    char *kube = NULL;
    cr_assert_geq(asprintf(&kube, "%s/.kube", dir), 0);
    cr_assert_eq(mkdir(kube, 0700), 0);
    free(cfgt_write(kube, "config", file_a, 0600));
    cr_assert_eq(k8s_config_load_kubeconfig(&o, &cfg, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(cfg->context, "ctx");
    k8s_config_free(cfg);
    /* A set $KUBECONFIG replaces ~/.kube/config even when its files are missing. */
    o.kubeconfig_env = "/nonexistent/kubeconfig";
    cr_assert_eq(k8s_config_load_kubeconfig(&o, &cfg, &e), K8S_ECONFIG);
    /* An explicit file must exist. */
    o.kubeconfig = "/nonexistent/kubeconfig";
    cr_assert_eq(k8s_config_load_kubeconfig(&o, &cfg, &e), K8S_ECONFIG);
    cr_assert(strstr(e.message, "/nonexistent/kubeconfig") != NULL);
    cfgt_rmrf(dir);
    free(kube);
    free(dir);
}

static const char rel_yaml[] = "current-context: cert\n"
                               "clusters:\n"
                               "- name: c\n"
                               "  cluster:\n"
                               "    server: https://127.0.0.1:6443\n"
                               "    certificate-authority: ca.pem\n"
                               "users:\n"
                               "- name: cert\n"
                               "  user:\n"
                               "    client-certificate: ../certs/client.pem\n"
                               "    client-key: ../certs/client.key\n"
                               "- name: tok\n"
                               "  user:\n"
                               "    tokenFile: tokens/tok\n"
                               "- name: plug\n"
                               "  user:\n"
                               "    exec:\n"
                               "      apiVersion: client.authentication.k8s.io/v1\n"
                               "      interactiveMode: Never\n"
                               "      command: ./bin/plugin\n"
                               "contexts:\n"
                               "- {name: cert, context: {cluster: c, user: cert}}\n"
                               "- {name: tok, context: {cluster: c, user: tok}}\n"
                               "- {name: plug, context: {cluster: c, user: plug}}\n";

Test(kubeconfig, relative_paths_against_the_file)
{
    char *dir = cfgt_tmpdir();
    char sub[512], certs[512], toks[512];
    snprintf(sub, sizeof(sub), "%s/conf", dir);
    snprintf(certs, sizeof(certs), "%s/certs", dir);
    snprintf(toks, sizeof(toks), "%s/conf/tokens", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    cr_assert_eq(mkdir(certs, 0700), 0);
    cr_assert_eq(mkdir(toks, 0700), 0);
    free(cfgt_write(sub, "ca.pem", "CA PEM\n", 0600));
    char *cert_pem = cfgt_fixture("tls/client.crt", NULL);
    char *key_pem = cfgt_fixture("tls/client.key", NULL);
    free(cfgt_write(certs, "client.pem", cert_pem, 0600));
    free(cfgt_write(certs, "client.key", key_pem, 0600));
    free(cfgt_write(toks, "tok", "  file-token\n", 0600));
    char *path = cfgt_write(sub, "config", rel_yaml, 0600);
    cr_assert_eq(chdir("/"), 0); /* resolution must not depend on the working directory */

    struct k8s_kubeconfig kc;
    struct k8s_error e;
    k8s_kubeconfig_init(&kc);
    cr_assert_eq(k8s_kubeconfig_load_file(&kc, path, &e), K8S_OK, "%s", e.message);
    char want[600];
    snprintf(want, sizeof(want), "%s/ca.pem", sub);
    cr_assert_str_eq(k8s_kubeconfig_cluster(&kc, "c")->certificate_authority, want);
    snprintf(want, sizeof(want), "%s/../certs/client.pem", sub);
    cr_assert_str_eq(k8s_kubeconfig_user(&kc, "cert")->client_certificate, want);
    snprintf(want, sizeof(want), "%s/tokens/tok", sub);
    cr_assert_str_eq(k8s_kubeconfig_user(&kc, "tok")->token_file, want);
    snprintf(want, sizeof(want), "%s/./bin/plugin", sub);
    cr_assert_str_eq(k8s_kubeconfig_user(&kc, "plug")->exec.command, want);

    struct k8s_config *cfg;
    cr_assert_eq(k8s_config_from_kubeconfig(&kc, NULL, &cfg, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(cfg->ca_pem, "CA PEM\n");
    cr_assert_str_eq(cfg->client_cert_pem, cert_pem);
    cr_assert_str_eq(cfg->client_key_pem, key_pem);
    free(cert_pem);
    free(key_pem);
    cr_assert_null(cfg->cred);
    k8s_config_free(cfg);

    struct k8s_config_overrides ov = {.context = "tok"};
    cr_assert_eq(k8s_config_from_kubeconfig(&kc, &ov, &cfg, &e), K8S_OK, "%s", e.message);
    struct k8s_auth auth;
    cr_assert_eq(k8s_cred_kind(cfg->cred), K8S_CRED_TOKEN_FILE);
    cr_assert_eq(k8s_cred_get(cfg->cred, 1, 0, &auth, &e), K8S_CRED_READY, "%s", e.message);
    cr_assert_str_eq(auth.token, "file-token");
    k8s_config_free(cfg);
    k8s_kubeconfig_free(&kc);
    cfgt_rmrf(dir);
    free(path);
    free(dir);
}

/* A kubeconfig whose user has a token and a client certificate, the
 * certificate and key as *-data (base64) from the fixture files; heap text. */
static char *cert_data_yaml(const char *server, const char *cert_fixture, const char *key_fixture)
{
    size_t clen, klen;
    char *cert = cfgt_fixture(cert_fixture, &clen);
    char *key = cfgt_fixture(key_fixture, &klen);
    char *c64 = k8s_base64_encode(cert, clen);
    char *k64 = k8s_base64_encode(key, klen);
    char *yaml = NULL;
    cr_assert(asprintf(&yaml,
                       "current-context: x\n"
                       "clusters: [{name: c, cluster: {server: '%s'}}]\n"
                       "users: [{name: u, user: {token: secret, client-certificate-data: %s, "
                       "client-key-data: %s}}]\n"
                       "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                       server, c64, k64) > 0);
    free(cert);
    free(key);
    free(c64);
    free(k64);
    return yaml;
}

Test(kubeconfig, credentials_only_over_https)
{
    char *dir = cfgt_tmpdir();
    struct k8s_error e;
    struct k8s_config *cfg =
        resolve_text(dir,
                     "current-context: x\n"
                     "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:8080'}}]\n"
                     "users: [{name: u, user: {token: secret, client-certificate-data: "
                     "Q0VSVA==, client-key-data: S0VZ}}]\n"
                     "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                     NULL, &e, K8S_OK);
    cr_assert_str_eq(cfg->server, "http://127.0.0.1:8080");
    cr_assert_null(cfg->cred);
    cr_assert_null(cfg->client_cert_pem);
    cr_assert_null(cfg->client_key_pem);
    k8s_config_free(cfg);
    char *yaml = cert_data_yaml("https://127.0.0.1:8443", "tls/client.crt", "tls/client.key");
    cfg = resolve_text(dir, yaml, NULL, &e, K8S_OK);
    free(yaml);
    char *cert_pem = cfgt_fixture("tls/client.crt", NULL);
    char *key_pem = cfgt_fixture("tls/client.key", NULL);
    cr_assert_str_eq(cfg->client_cert_pem, cert_pem);
    cr_assert_str_eq(cfg->client_key_pem, key_pem);
    free(cert_pem);
    free(key_pem);
    struct k8s_auth auth;
    cr_assert_eq(k8s_cred_get(cfg->cred, 0, 0, &auth, &e), K8S_CRED_READY);
    cr_assert_str_eq(auth.token, "secret");
    k8s_config_free(cfg);
    /* Without a scheme, a CA makes it https (client-go DefaultServerURL). */
    cfg = resolve_text(dir,
                       "current-context: x\n"
                       "clusters: [{name: c, cluster: {server: '10.0.0.1:6443', "
                       "certificate-authority-data: Q0E=}}]\n"
                       "contexts: [{name: x, context: {cluster: c}}]\n",
                       NULL, &e, K8S_OK);
    cr_assert_str_eq(cfg->server, "https://10.0.0.1:6443");
    cr_assert_str_eq(cfg->ca_pem, "CA");
    k8s_config_free(cfg);
    cfgt_rmrf(dir);
    free(dir);
}

/* Asserts the error names the file, line, column and field. */
static void expect_error(const char *yaml, const char *field_at, const char *msg_part)
{
    char *dir = cfgt_tmpdir();
    struct k8s_error e;
    cr_assert_null(resolve_text(dir, yaml, NULL, &e, K8S_ECONFIG));
    char want[700];
    snprintf(want, sizeof(want), "%s/config:%s", dir, field_at);
    cr_assert_str_eq(e.detail, want, "detail '%s' message '%s'", e.detail, e.message);
    cr_assert(strstr(e.message, msg_part) != NULL, "message: %s", e.message);
    cr_assert(strstr(e.message, want) == e.message, "message: %s", e.message);
    cfgt_rmrf(dir);
    free(dir);
}

Test(kubeconfig, errors_name_file_line_col_field)
{
    expect_error("clusters:\n- name: c\n  cluster:\n    server: https://x\n"
                 "    insecure-skip-tls-verify: maybe\n",
                 "5:31: clusters[0].cluster.insecure-skip-tls-verify", "expected a boolean");
    expect_error("users:\n- name: u\n  user:\n    exec:\n      command: p\n      args: {a: b}\n",
                 "6:13: users[0].user.exec.args", "expected a list");
    expect_error(
        "users:\n- name: u\n  user:\n    exec:\n      command: p\n      args: [ok, [no]]\n",
        "6:18: users[0].user.exec.args[1]", "expected a string");
    expect_error("users:\n- name: u\n  user:\n    exec:\n      interactiveMode: Sometimes\n",
                 "5:24: users[0].user.exec.interactiveMode",
                 "invalid interactiveMode: \"Sometimes\"");
    expect_error("clusters:\n- cluster: {server: https://x}\n", "2:3: clusters[0]",
                 "name is required");
    expect_error("clusters:\n  - name: a\n   bad indent\n", "3:4: (document)", "invalid YAML");
    expect_error("- a\n- b\n", "1:1: (document)", "a kubeconfig must be a mapping");
    expect_error("a: &x 1\nb: *x\n", "2:4: (document)", "aliases are not supported");
}

Test(kubeconfig, resolution_errors)
{
    expect_error("current-context: x\ncontexts:\n- name: x\n  context: {cluster: nope}\n",
                 "3:3: context.cluster", "cluster \"nope\" was not found for context \"x\"");
    expect_error("current-context: x\nclusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                 "contexts:\n- name: x\n  context: {cluster: c, user: ghost}\n",
                 "4:3: context.user", "user \"ghost\" was not found for context \"x\"");
    expect_error("current-context: x\nclusters: [{name: c, cluster: {}}]\n"
                 "contexts: [{name: x, context: {cluster: c}}]\n",
                 "2:12: cluster.server", "cluster has no server defined");
    expect_error("current-context: x\nclusters:\n- name: c\n  cluster:\n    server: https://h\n"
                 "    certificate-authority-data: '%%%'\n"
                 "contexts: [{name: x, context: {cluster: c}}]\n",
                 "3:3: cluster.certificate-authority", "illegal base64 data");
    expect_error("current-context: x\nclusters: [{name: c, cluster: {server: 'https://h', "
                 "certificate-authority: /nonexistent/ca.pem}}]\n"
                 "contexts: [{name: x, context: {cluster: c}}]\n",
                 "2:12: cluster.certificate-authority", "/nonexistent/ca.pem");
}

static const char exec_v1_no_mode[] = "current-context: x\n"
                                      "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                                      "users:\n"
                                      "- name: oidc\n"
                                      "  user:\n"
                                      "    exec:\n"
                                      "      apiVersion: client.authentication.k8s.io/v1\n"
                                      "      command: kubelogin\n"
                                      "contexts: [{name: x, context: {cluster: c, user: oidc}}]\n";

Test(kubeconfig, exec_v1_requires_interactive_mode)
{
    expect_error(exec_v1_no_mode, "7:7: user.exec",
                 "interactiveMode must be specified for oidc to use exec authentication plugin");
}

Test(kubeconfig, exec_validation_texts)
{
    expect_error("current-context: x\nclusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                 "users:\n- name: u\n  user:\n    exec:\n      apiVersion: "
                 "client.authentication.k8s.io/v1alpha1\n"
                 "      command: p\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n",
                 "7:7: user.exec",
                 "exec plugin: invalid apiVersion \"client.authentication.k8s.io/v1alpha1\"");
    expect_error("current-context: x\nclusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                 "users:\n- name: u\n  user:\n    exec:\n      apiVersion: "
                 "client.authentication.k8s.io/v1beta1\n"
                 "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                 "7:7: user.exec",
                 "command must be specified for u to use exec authentication plugin");
    expect_error(
        "current-context: x\nclusters: [{name: c, cluster: {server: 'https://h'}}]\n"
        "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
        "      command: p\n      interactiveMode: Always\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
        "7:7: user.exec",
        "exec plugin cannot support interactive mode: standard input is not a terminal");
}

Test(kubeconfig, auth_provider_only_is_a_clear_error)
{
    expect_error("current-context: x\nclusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                 "users:\n- name: u\n  user:\n    auth-provider:\n      name: gcp\n"
                 "      config: {access-token: abc, cmd-args: config config-helper}\n"
                 "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                 "4:3: user.auth-provider", "The gcp auth plugin has been removed.");
    /* With another credential, auth-provider is tolerated and ignored. */
    char *dir = cfgt_tmpdir();
    struct k8s_error e;
    struct k8s_config *cfg = resolve_text(
        dir,
        "current-context: x\nclusters: [{name: c, cluster: {server: 'https://h'}}]\n"
        "users:\n- name: u\n  user:\n    token: t\n    auth-provider: {name: oidc, config: {}}\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
        NULL, &e, K8S_OK);
    cr_assert_eq(k8s_cred_kind(cfg->cred), K8S_CRED_TOKEN);
    k8s_config_free(cfg);
    cfgt_rmrf(dir);
    free(dir);
}

Test(kubeconfig, exec_details_and_cluster_info)
{
    char *dir = cfgt_tmpdir();
    struct k8s_error e;
    const char *yaml = "current-context: x\n"
                       "clusters:\n"
                       "- name: c\n"
                       "  cluster:\n"
                       "    server: https://h:443\n"
                       "    tls-server-name: api.internal\n"
                       "    extensions:\n"
                       "    - name: client.authentication.k8s.io/exec\n"
                       "      extension: {audience: prewarm, n: 3}\n"
                       "users:\n"
                       "- name: u\n"
                       "  user:\n"
                       "    exec:\n"
                       "      apiVersion: client.authentication.k8s.io/v1\n"
                       "      interactiveMode: IfAvailable\n"
                       "      command: plugin\n"
                       "      args: [\"a b\", '$HOME']\n"
                       "      env:\n"
                       "      - {name: FOO, value: bar}\n"
                       "      - name: EMPTY\n"
                       "contexts: [{name: x, context: {cluster: c, user: u}}]\n";
    char *path = cfgt_write(dir, "config", yaml, 0600);
    struct k8s_kubeconfig kc;
    k8s_kubeconfig_init(&kc);
    cr_assert_eq(k8s_kubeconfig_load_file(&kc, path, &e), K8S_OK, "%s", e.message);
    const struct k8s_kc_user *u = k8s_kubeconfig_user(&kc, "u");
    cr_assert_eq(u->exec.nargs, 2);
    cr_assert_str_eq(u->exec.args[0], "a b");
    cr_assert_str_eq(u->exec.args[1], "$HOME");
    cr_assert_eq(u->exec.nenv, 2);
    cr_assert_str_eq(u->exec.env[1].name, "EMPTY");
    cr_assert_str_eq(u->exec.env[1].value, "");
    cr_assert_eq(u->exec.interactive_mode, K8S_EXEC_INTERACTIVE_IF_AVAILABLE);
    cr_assert_str_eq(k8s_kubeconfig_cluster(&kc, "c")->exec_extension_json,
                     "{\"audience\":\"prewarm\",\"n\":3}");
    k8s_kubeconfig_free(&kc);
    cfgt_rmrf(dir);
    free(path);
    free(dir);
}

Test(kubeconfig, empty_and_memory_buffers)
{
    struct k8s_kubeconfig kc;
    struct k8s_error e;
    k8s_kubeconfig_init(&kc);
    cr_assert_eq(k8s_kubeconfig_load_buffer(&kc, "", 0, NULL, &e), K8S_OK);
    cr_assert_eq(k8s_kubeconfig_load_buffer(&kc, "# only a comment\n", 17, NULL, &e), K8S_OK);
    cr_assert_eq(k8s_kubeconfig_load_buffer(&kc, "{}", 2, NULL, &e), K8S_OK);
    cr_assert_eq(kc.nfiles, 3);
    struct k8s_config *cfg;
    cr_assert_eq(k8s_config_from_kubeconfig(&kc, NULL, &cfg, &e), K8S_ECONFIG);
    cr_assert(strstr(e.message, "current-context is not set") != NULL);
    cr_assert_eq(k8s_kubeconfig_load_buffer(&kc, "clusters: 3", 11, NULL, &e), K8S_ECONFIG);
    cr_assert_str_eq(e.detail, "<memory>:1:11: clusters");
    cr_assert_eq(kc.nfiles, 3); /* unchanged on error */
    k8s_kubeconfig_free(&kc);
}

/* Found by fuzz_kubeconfig: a repeated key replaced a list without freeing it. */
/* client-go's loader refuses a file that names a cluster, user or context
 * twice ("duplicate name ... in list", clientcmd/api/v1 conversion); across
 * files the first definition wins (merge_first_wins). */
Test(kubeconfig, duplicate_names_in_one_file_are_an_error)
{
    expect_error("clusters:\n- name: c\n  cluster: {server: https://a}\n"
                 "- name: c\n  cluster: {server: https://b}\n",
                 "4:3: clusters[1]", "duplicate name \"c\" in list");
    expect_error("users:\n- name: u\n  user: {token: a}\n- name: u\n  user: {token: b}\n",
                 "4:3: users[1]", "duplicate name \"u\" in list");
    expect_error("contexts:\n- name: x\n  context: {cluster: c}\n"
                 "- name: x\n  context: {cluster: d}\n",
                 "4:3: contexts[1]", "duplicate name \"x\" in list");
}

Test(kubeconfig, repeated_keys_replace)
{
    const char *y = "users:\n- name: u\n  user:\n    exec:\n      command: a\n      command: b\n"
                    "      args: [x]\n      args: [y, z]\n"
                    "      env: [{name: A, value: '1'}]\n      env: [{name: B}]\n";
    struct k8s_kubeconfig kc;
    struct k8s_error e;
    k8s_kubeconfig_init(&kc);
    cr_assert_eq(k8s_kubeconfig_load_buffer(&kc, y, strlen(y), NULL, &e), K8S_OK, "%s", e.message);
    const struct k8s_kc_user *u = k8s_kubeconfig_user(&kc, "u");
    cr_assert_str_eq(u->exec.command, "b");
    cr_assert_eq(u->exec.nargs, 2);
    cr_assert_str_eq(u->exec.args[0], "y");
    cr_assert_eq(u->exec.nenv, 1);
    cr_assert_str_eq(u->exec.env[0].name, "B");
    k8s_kubeconfig_free(&kc);
}

Test(kubeconfig, relative_kubeconfig_path_gives_absolute_paths)
{
    char *dir = cfgt_tmpdir();
    free(cfgt_write(dir, "config", "users: [{name: u, user: {tokenFile: tok}}]\n", 0600));
    cr_assert_eq(chdir(dir), 0);
    struct k8s_kubeconfig kc;
    struct k8s_error e;
    k8s_kubeconfig_init(&kc);
    cr_assert_eq(k8s_kubeconfig_load_paths(&kc, "config", NULL, &e), K8S_OK, "%s", e.message);
    char want[600];
    snprintf(want, sizeof(want), "%s/./tok", dir);
    cr_assert_str_eq(k8s_kubeconfig_user(&kc, "u")->token_file, want);
    k8s_kubeconfig_free(&kc);
    cfgt_rmrf(dir);
    free(dir);
}

static enum k8s_status server_of(const char *server, char *out, size_t cap)
{
    char text[256];
    snprintf(text, sizeof text,
             "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
             "clusters:\n- name: c\n  cluster: {server: '%s'}\n"
             "users:\n- name: u\n  user: {}\n"
             "contexts:\n- name: x\n  context: {cluster: c, user: u}\n",
             server);
    struct k8s_kubeconfig kc;
    struct k8s_error e;
    struct k8s_config *cfg = NULL;
    k8s_kubeconfig_init(&kc);
    cr_assert_eq(k8s_kubeconfig_load_buffer(&kc, text, strlen(text), NULL, &e), K8S_OK, "%s",
                 e.message);
    enum k8s_status st = k8s_config_from_kubeconfig(&kc, NULL, &cfg, &e);
    if (st == K8S_OK)
        snprintf(out, cap, "%s", cfg->server);
    k8s_config_free(cfg);
    k8s_kubeconfig_free(&kc);
    return st;
}

Test(kubeconfig, every_trailing_slash_is_trimmed_and_a_host_is_required)
{
    char server[256];
    cr_assert_eq(server_of("https://a.example:6443///", server, sizeof server), K8S_OK);
    cr_assert_str_eq(server, "https://a.example:6443");
    cr_assert_eq(server_of("https://a.example:64://", server, sizeof server), K8S_OK);
    cr_assert_str_eq(server, "https://a.example:64:");
    cr_assert_eq(server_of("a.example/", server, sizeof server), K8S_OK);
    cr_assert_str_eq(server, "http://a.example");
    cr_assert_eq(server_of("https:///", server, sizeof server), K8S_ECONFIG);
}

/* client-go's tls.X509KeyPair refuses a key that is not the certificate's
 * when the client is configured; so does the loader, naming both sources. */
Test(kubeconfig, client_key_must_belong_to_the_certificate)
{
    char *dir = cfgt_tmpdir();
    struct k8s_error e;
    char *yaml = cert_data_yaml("https://127.0.0.1:8443", "tls/client.crt", "tls/other.key");
    cr_assert_null(resolve_text(dir, yaml, NULL, &e, K8S_ECONFIG));
    free(yaml);
    cr_assert(strstr(e.message, "client-key does not match the public key of client-certificate"),
              "%s", e.message);
    cr_assert(
        strstr(e.message, "certificate from client-certificate-data, key from client-key-data"),
        "%s", e.message);
    cr_assert(strstr(e.detail, "/config:") && strstr(e.detail, "user.client-key"), "%s", e.detail);

    char *other = cfgt_fixture_path("tls/other.key");
    char *cert = cfgt_fixture_path("tls/client.crt");
    char *text = NULL;
    cr_assert(asprintf(&text,
                       "current-context: x\n"
                       "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:8443'}}]\n"
                       "users: [{name: u, user: {client-certificate: '%s', client-key: '%s'}}]\n"
                       "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                       cert, other) > 0);
    cr_assert_null(resolve_text(dir, text, NULL, &e, K8S_ECONFIG));
    cr_assert(strstr(e.message, "does not match") && strstr(e.message, other), "%s", e.message);
    free(text);

    yaml = cert_data_yaml("https://127.0.0.1:8443", "tls/client.key", "tls/client.key");
    cr_assert_null(resolve_text(dir, yaml, NULL, &e, K8S_ECONFIG));
    free(yaml);
    cr_assert(strstr(e.message, "client-certificate holds no readable PEM certificate"), "%s",
              e.message);
    yaml = cert_data_yaml("https://127.0.0.1:8443", "tls/client.crt", "tls/client.crt");
    cr_assert_null(resolve_text(dir, yaml, NULL, &e, K8S_ECONFIG));
    free(yaml);
    cr_assert(strstr(e.message, "client-key holds no readable PEM private key"), "%s", e.message);
    free(other);
    free(cert);
    cfgt_rmrf(dir);
    free(dir);
}

/* A certificate or key file that cannot be read is named in the error. */
Test(kubeconfig, missing_client_certificate_file_is_named)
{
    char *dir = cfgt_tmpdir();
    struct k8s_error e;
    char *cert = cfgt_fixture_path("tls/client.crt");
    char *key = cfgt_fixture_path("tls/client.key");
    const char *absent[2][2] = {{"absent/client.crt", key}, {cert, "absent/client.key"}};
    for (int i = 0; i < 2; i++) {
        char *text = NULL;
        cr_assert(
            asprintf(&text,
                     "current-context: x\n"
                     "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:8443'}}]\n"
                     "users: [{name: u, user: {client-certificate: '%s', client-key: '%s'}}]\n"
                     "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                     absent[i][0], absent[i][1]) > 0);
        cr_assert_null(resolve_text(dir, text, NULL, &e, K8S_ECONFIG));
        free(text);
        char want[700];
        snprintf(want, sizeof want, "%s/absent/client.%s: No such file or directory", dir,
                 i == 0 ? "crt" : "key");
        cr_assert(strstr(e.message, want), "%s lacks %s", e.message, want);
        cr_assert(strstr(e.detail, i == 0 ? "user.client-certificate" : "user.client-key"), "%s",
                  e.detail);
    }
    free(cert);
    free(key);
    cfgt_rmrf(dir);
    free(dir);
}
