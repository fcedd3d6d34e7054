/* Tests for k8s_incluster and the in-cluster fallback of k8s_config_load. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_cfgtest.h"
#include "k8s_config.h"
#include "k8s_incluster.h"

static char *sa_dir(const char *ns)
{
    char *dir = cfgt_tmpdir();
    free(cfgt_write(dir, "token", "sa-token-1\n", 0600));
    free(cfgt_write(dir, "ca.crt", "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
                    0644));
    if (ns)
        free(cfgt_write(dir, "namespace", ns, 0644));
    return dir;
}

Test(incluster, ipv4_and_files)
{
    char *dir = sa_dir("prewarm-system\n");
    struct k8s_incluster_options o = {.root = dir, .host = "10.96.0.1", .port = "443"};
    struct k8s_config *cfg;
    struct k8s_error e;
    cr_assert(k8s_incluster_available(&o));
    cr_assert_eq(k8s_incluster_load(&o, &cfg, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(cfg->server, "https://10.96.0.1:443");
    cr_assert_str_eq(cfg->namespace, "prewarm-system");
    cr_assert(strstr(cfg->ca_pem, "\nCA\n") != NULL);
    cr_assert_null(cfg->context);
    struct k8s_auth a;
    cr_assert_eq(k8s_cred_kind(cfg->cred), K8S_CRED_TOKEN_FILE);
    cr_assert_eq(k8s_cred_get(cfg->cred, 5000000000ull, 0, &a, &e), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "sa-token-1");
    /* The projected token rotates: a 401 re-reads it. */
    free(cfgt_write(dir, "token", "sa-token-2", 0600));
    k8s_cred_invalidate(cfg->cred, a.generation);
    cr_assert_eq(k8s_cred_get(cfg->cred, 6000000000ull, 0, &a, &e), K8S_CRED_READY);
    cr_assert_str_eq(a.token, "sa-token-2");
    k8s_config_free(cfg);
    cfgt_rmrf(dir);
    free(dir);
}

Test(incluster, ipv6_is_bracketed_and_namespace_defaults)
{
    char *dir = sa_dir(NULL);
    struct k8s_incluster_options o = {.root = dir, .host = "fd00:10:96::1", .port = "6443"};
    struct k8s_config *cfg;
    struct k8s_error e;
    cr_assert_eq(k8s_incluster_load(&o, &cfg, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(cfg->server, "https://[fd00:10:96::1]:6443");
    cr_assert_str_eq(cfg->namespace, "default");
    k8s_config_free(cfg);
    cfgt_rmrf(dir);
    free(dir);
}

Test(incluster, errors)
{
    struct k8s_config *cfg;
    struct k8s_error e;
    struct k8s_incluster_options o = {.root = "/nonexistent", .host = "", .port = "443"};
    cr_assert_not(k8s_incluster_available(&o));
    cr_assert_eq(k8s_incluster_load(&o, &cfg, &e), K8S_ENOTINCLUSTER);
    cr_assert_str_eq(e.message, "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST "
                                "and KUBERNETES_SERVICE_PORT must be defined");
    o.host = "10.0.0.1";
    cr_assert_eq(k8s_incluster_load(&o, &cfg, &e), K8S_ECONFIG);
    cr_assert(strstr(e.message, "/nonexistent/token") != NULL, "%s", e.message);
    cr_assert_null(cfg);
    char *dir = sa_dir("x");
    o.root = dir;
    free(cfgt_write(dir, "token", "\n", 0600));
    cr_assert_eq(k8s_incluster_load(&o, &cfg, &e), K8S_ECONFIG);
    cr_assert(strstr(e.message, "read empty token") != NULL, "%s", e.message);
    free(cfgt_write(dir, "token", "t", 0600));
    char ca[600];
    snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
    cr_assert_eq(remove(ca), 0);
    cr_assert_eq(k8s_incluster_load(&o, &cfg, &e), K8S_ECONFIG);
    cr_assert(strstr(e.message, "ca.crt") != NULL, "%s", e.message);
    cfgt_rmrf(dir);
    free(dir);
}

Test(incluster, config_load_falls_back_without_kubeconfig)
{
    char *dir = sa_dir("ns1");
    char *home = cfgt_tmpdir();
    struct k8s_config_options o = {.kubeconfig_env = "",
                                   .home = home,
                                   .incluster_root = dir,
                                   .service_host = "10.0.0.1",
                                   .service_port = "443",
                                   .overrides = {.namespace = "ns-flag"}};
    struct k8s_config *cfg;
    struct k8s_error e;
    cr_assert_eq(k8s_config_load(&o, &cfg, &e), K8S_OK, "%s", e.message);
    cr_assert_str_eq(cfg->server, "https://10.0.0.1:443");
    cr_assert_str_eq(cfg->namespace, "ns-flag");
    k8s_config_free(cfg);
    /* The kubeconfig-only loader does not fall back. */
    cr_assert_eq(k8s_config_load_kubeconfig(&o, &cfg, &e), K8S_ECONFIG);
    /* Neither kubeconfig nor service env: the kubeconfig error. */
    o.service_host = "";
    cr_assert_eq(k8s_config_load(&o, &cfg, &e), K8S_ECONFIG);
    cr_assert(strstr(e.message, "no configuration has been provided") != NULL);
    cfgt_rmrf(dir);
    cfgt_rmrf(home);
    free(dir);
    free(home);
}
