/* k8s_config: resolving a kubeconfig context into connection settings (see k8s_config.h). */
#include "k8s_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "k8s_base64.h"
#include "k8s_incluster.h"
#include "k8s_keypair.h"

#define MAX_PEM_FILE (4u * 1024 * 1024)

static const char no_config_msg[] = "invalid configuration: no configuration has been provided, "
                                    "try setting KUBERNETES_MASTER environment variable";

void k8s_config_free(struct k8s_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->server);
    free(cfg->ca_pem);
    free(cfg->tls_server_name);
    free(cfg->client_cert_pem);
    free(cfg->client_key_pem);
    free(cfg->namespace);
    k8s_cred_free(cfg->cred);
    free(cfg->context);
    free(cfg->proxy_url);
    free(cfg);
}

enum k8s_status k8s_config_read_file(const char *path, char **data, size_t *len,
                                     struct k8s_error *err)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return k8s_error_set(err, K8S_ECONFIG, "%s: %s", path, strerror(errno));
    char *buf = malloc(MAX_PEM_FILE + 1);
    size_t n = buf ? fread(buf, 1, MAX_PEM_FILE + 1, f) : 0;
    bool bad = buf && ferror(f);
    fclose(f);
    if (!buf)
        return k8s_error_set(err, K8S_ENOMEM, "out of memory reading %s", path);
    if (bad || n > MAX_PEM_FILE) {
        free(buf);
        return k8s_error_set(err, K8S_ECONFIG, "%s: %s", path,
                             bad ? "read error" : "larger than 4 MiB");
    }
    buf[n] = '\0';
    char *shrunk = realloc(buf, n + 1);
    *data = shrunk ? shrunk : buf;
    if (len)
        *len = n;
    return K8S_OK;
}

static enum k8s_status mark_error(struct k8s_error *err, enum k8s_status st,
                                  const struct k8s_kc_mark *m, const char *field, const char *msg)
{
    k8s_error_set(err, st, "%s:%u:%u: %s: %s", m->file ? m->file : "<memory>", m->line, m->col,
                  field, msg);
    k8s_error_set_detail(err, "%s:%u:%u: %s", m->file ? m->file : "<memory>", m->line, m->col,
                         field);
    return st;
}

/* `*-data` (base64) wins over the file form. *pem stays NULL when neither is set. */
static enum k8s_status load_pem(const char *data, const char *file, const struct k8s_kc_mark *m,
                                const char *field, char **pem, size_t *len, struct k8s_error *err)
{
    if (data && data[0]) {
        enum k8s_status st = k8s_base64_decode(data, strlen(data), pem, len);
        if (st == K8S_ENOMEM)
            return k8s_error_set(err, st, "out of memory");
        if (st != K8S_OK)
            return mark_error(err, K8S_ECONFIG, m, field, "illegal base64 data");
        return K8S_OK;
    }
    if (!file || !file[0])
        return K8S_OK;
    struct k8s_error ferr;
    enum k8s_status st = k8s_config_read_file(file, pem, len, &ferr);
    if (st != K8S_OK)
        return mark_error(err, st, m, field, ferr.message);
    return K8S_OK;
}

/* Server URL: default scheme like client-go's DefaultServerURL, no trailing '/'. */
static enum k8s_status set_server(struct k8s_config *cfg, const char *server, bool tls_hint,
                                  const struct k8s_kc_mark *m, struct k8s_error *err)
{
    if (!server || !server[0])
        return mark_error(err, K8S_ECONFIG, m, "cluster.server", "cluster has no server defined");
    bool has_scheme = strstr(server, "://") != NULL;
    if (has_scheme && strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)
        return mark_error(err, K8S_ECONFIG, m, "cluster.server",
                          "server URL scheme must be http or https");
    if (asprintf(&cfg->server, "%s%s", has_scheme ? "" : (tls_hint ? "https://" : "http://"),
                 server) < 0) {
        cfg->server = NULL;
        return k8s_error_set(err, K8S_ENOMEM, "out of memory");
    }
    /* every trailing '/' goes, but never into the scheme's "://" */
    size_t host = (size_t)(strstr(cfg->server, "://") - cfg->server) + 3;
    size_t n = strlen(cfg->server);
    while (n > host && cfg->server[n - 1] == '/')
        cfg->server[--n] = '\0';
    if (n == host) {
        free(cfg->server);
        cfg->server = NULL;
        return mark_error(err, K8S_ECONFIG, m, "cluster.server", "server URL has no host");
    }
    return K8S_OK;
}

static bool is_https(const struct k8s_config *cfg)
{
    return strncmp(cfg->server, "https://", 8) == 0;
}

static enum k8s_status auth_provider_error(const struct k8s_kc_user *u, struct k8s_error *err)
{
    const char *p = u->auth_provider;
    char msg[512];
    if (strcmp(p, "gcp") == 0)
        snprintf(msg, sizeof(msg),
                 "The gcp auth plugin has been removed.\nPlease use the \"gke-gcloud-auth-plugin\" "
                 "kubectl/client-go credential plugin instead.\nSee "
                 "https://cloud.google.com/blog/products/containers-kubernetes/"
                 "kubectl-auth-changes-in-gke for further details");
    else if (strcmp(p, "azure") == 0)
        snprintf(msg, sizeof(msg),
                 "The azure auth plugin has been removed.\nPlease use the "
                 "https://github.com/Azure/kubelogin kubectl/client-go credential plugin "
                 "instead.\nSee https://kubernetes.io/docs/reference/access-authn-authz/"
                 "authentication/#client-go-credential-plugins for further details");
    else
        snprintf(msg, sizeof(msg),
                 "no Auth Provider found for name \"%.100s\" (auth-provider is not supported; "
                 "use an exec credential plugin)",
                 p);
    return mark_error(err, K8S_ECONFIG, &u->mark, "user.auth-provider", msg);
}

/* Exec credential with the cluster info the plugin may ask for. */
static enum k8s_status exec_cred(struct k8s_config *cfg, const struct k8s_kc_user *u,
                                 const struct k8s_kc_cluster *cl, struct k8s_error *err)
{
    struct k8s_exec_config x = u->exec; /* shallow: only the fields set below are ours */
    x.user_name = u->name;
    x.cluster_server = cfg->server;
    x.cluster_tls_server_name = cfg->tls_server_name;
    x.cluster_insecure_skip_tls_verify = cfg->insecure_skip_tls_verify;
    x.cluster_config_json = cl ? cl->exec_extension_json : NULL;
    x.cluster_ca_data_b64 = cfg->ca_pem ? k8s_base64_encode(cfg->ca_pem, cfg->ca_pem_len) : NULL;
    if (cfg->ca_pem && !x.cluster_ca_data_b64)
        return k8s_error_set(err, K8S_ENOMEM, "out of memory");
    struct k8s_error xerr;
    k8s_error_clear(&xerr);
    enum k8s_status st = k8s_cred_new_exec(&x, &cfg->cred, &xerr);
    free(x.cluster_ca_data_b64);
    if (st == K8S_ENOMEM)
        return k8s_error_set(err, st, "out of memory");
    if (st != K8S_OK)
        return mark_error(err, st, &u->exec_mark, "user.exec", xerr.message);
    return K8S_OK;
}

/* The client key must belong to the client certificate (client-go's tls.X509KeyPair);
 * the message names where each came from. */
static enum k8s_status check_keypair(const struct k8s_config *cfg, const struct k8s_kc_user *u,
                                     struct k8s_error *err)
{
    struct k8s_error kerr;
    k8s_error_clear(&kerr);
    enum k8s_status st = k8s_keypair_check(cfg->client_cert_pem, cfg->client_cert_pem_len,
                                           cfg->client_key_pem, cfg->client_key_pem_len, &kerr);
    if (st != K8S_ECONFIG)
        return st == K8S_OK ? st : k8s_error_set(err, st, "%s", kerr.message);
    bool cert_data = u->client_certificate_data && u->client_certificate_data[0];
    bool key_data = u->client_key_data && u->client_key_data[0];
    char msg[K8S_ERROR_MESSAGE_MAX];
    snprintf(msg, sizeof msg, "%.200s (certificate from %.350s, key from %.350s)", kerr.message,
             cert_data ? "client-certificate-data" : u->client_certificate,
             key_data ? "client-key-data" : u->client_key);
    return mark_error(err, st, &u->mark, "user.client-key", msg);
}

/* Credentials of one user: client certificate, then token, tokenFile, exec (client-go order). */
static enum k8s_status user_creds(struct k8s_config *cfg, const struct k8s_kc_user *u,
                                  const struct k8s_kc_cluster *cl, struct k8s_error *err)
{
    enum k8s_status st =
        load_pem(u->client_certificate_data, u->client_certificate, &u->mark,
                 "user.client-certificate", &cfg->client_cert_pem, &cfg->client_cert_pem_len, err);
    if (st == K8S_OK)
        st = load_pem(u->client_key_data, u->client_key, &u->mark, "user.client-key",
                      &cfg->client_key_pem, &cfg->client_key_pem_len, err);
    if (st != K8S_OK)
        return st;
    if (!cfg->client_cert_pem != !cfg->client_key_pem)
        return mark_error(err, K8S_ECONFIG, &u->mark, "user",
                          "client-certificate and client-key must both be specified");
    bool has_cert = cfg->client_cert_pem != NULL;
    if (has_cert && (st = check_keypair(cfg, u, err)) != K8S_OK)
        return st;
    if (u->token && u->token[0])
        st = k8s_cred_new_token(u->token, &cfg->cred);
    else if (u->token_file && u->token_file[0])
        st = k8s_cred_new_token_file(u->token_file, &cfg->cred);
    else if (u->has_exec && !has_cert)
        return exec_cred(cfg, u, cl, err);
    else if (!has_cert && u->auth_provider)
        return auth_provider_error(u, err);
    else if (!has_cert && (u->username || u->password))
        return mark_error(err, K8S_ECONFIG, &u->mark, "user.username",
                          "basic authentication (username/password) is not supported");
    return st == K8S_OK ? K8S_OK : k8s_error_set(err, st, "out of memory");
}

static char *dup_or(const char *a, const char *fallback)
{
    return strdup(a && a[0] ? a : fallback);
}

static enum k8s_status cluster_settings(struct k8s_config *cfg, const struct k8s_kc_cluster *cl,
                                        const struct k8s_config_overrides *ov,
                                        struct k8s_error *err)
{
    cfg->insecure_skip_tls_verify = cl->insecure_skip_tls_verify;
    if (cl->tls_server_name && !(cfg->tls_server_name = strdup(cl->tls_server_name)))
        return k8s_error_set(err, K8S_ENOMEM, "out of memory");
    if (cl->proxy_url && !(cfg->proxy_url = strdup(cl->proxy_url)))
        return k8s_error_set(err, K8S_ENOMEM, "out of memory");
    enum k8s_status st =
        load_pem(cl->certificate_authority_data, cl->certificate_authority, &cl->mark,
                 "cluster.certificate-authority", &cfg->ca_pem, &cfg->ca_pem_len, err);
    if (st != K8S_OK)
        return st;
    bool tls_hint = cfg->ca_pem || cfg->insecure_skip_tls_verify;
    return set_server(cfg, ov->server && ov->server[0] ? ov->server : cl->server, tls_hint,
                      &cl->mark, err);
}

static enum k8s_status pick_context(const struct k8s_kubeconfig *kc,
                                    const struct k8s_config_overrides *ov,
                                    const struct k8s_kc_context **ctx, struct k8s_error *err)
{
    const char *name = ov->context && ov->context[0] ? ov->context : kc->current_context;
    if (!name || !name[0]) {
        if (kc->nfiles == 0)
            return k8s_error_set(err, K8S_ECONFIG, "%s", no_config_msg);
        k8s_error_set(err, K8S_ECONFIG, "%s: current-context is not set", kc->files[0]);
        k8s_error_set_detail(err, "%s: current-context", kc->files[0]);
        return K8S_ECONFIG;
    }
    *ctx = k8s_kubeconfig_context(kc, name);
    if (!*ctx) {
        const char *f = kc->current_context_file ? kc->current_context_file
                        : kc->nfiles             ? kc->files[0]
                                                 : "<memory>";
        k8s_error_set(err, K8S_ECONFIG, "%s: context was not found for specified context: %s", f,
                      name);
        k8s_error_set_detail(err, "%s: current-context", f);
        return K8S_ECONFIG;
    }
    return K8S_OK;
}

static enum k8s_status resolve_config(struct k8s_config *cfg, const struct k8s_kubeconfig *kc,
                                      const struct k8s_config_overrides *ov, struct k8s_error *err)
{
    const struct k8s_kc_context *ctx = NULL;
    enum k8s_status st = pick_context(kc, ov, &ctx, err);
    if (st != K8S_OK)
        return st;
    const char *cname = ov->cluster && ov->cluster[0] ? ov->cluster : ctx->cluster;
    const char *uname = ov->user && ov->user[0] ? ov->user : ctx->user;
    const struct k8s_kc_cluster *cl = k8s_kubeconfig_cluster(kc, cname);
    char msg[400];
    if (!cl) {
        snprintf(msg, sizeof(msg), "cluster \"%.150s\" was not found for context \"%.150s\"",
                 cname ? cname : "", ctx->name);
        return mark_error(err, K8S_ECONFIG, &ctx->mark, "context.cluster", msg);
    }
    const struct k8s_kc_user *u = NULL;
    if (uname && uname[0] && !(u = k8s_kubeconfig_user(kc, uname))) {
        snprintf(msg, sizeof(msg), "user \"%.150s\" was not found for context \"%.150s\"", uname,
                 ctx->name);
        return mark_error(err, K8S_ECONFIG, &ctx->mark, "context.user", msg);
    }
    if (!(cfg->context = strdup(ctx->name)) ||
        !(cfg->namespace = dup_or(
              ov->namespace && ov->namespace[0] ? ov->namespace : ctx->namespace, "default")))
        return k8s_error_set(err, K8S_ENOMEM, "out of memory");
    st = cluster_settings(cfg, cl, ov, err);
    /* Credentials are only used over https (client-go IsConfigTransportTLS). */
    if (st == K8S_OK && u && is_https(cfg))
        st = user_creds(cfg, u, cl, err);
    return st;
}

enum k8s_status k8s_config_from_kubeconfig(const struct k8s_kubeconfig *kc,
                                           const struct k8s_config_overrides *ov,
                                           struct k8s_config **out, struct k8s_error *err)
{
    static const struct k8s_config_overrides none;
    *out = NULL;
    struct k8s_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return k8s_error_set(err, K8S_ENOMEM, "out of memory");
    enum k8s_status st = resolve_config(cfg, kc, ov ? ov : &none, err);
    if (st != K8S_OK) {
        k8s_config_free(cfg);
        return st;
    }
    *out = cfg;
    return K8S_OK;
}

/* Loads the kubeconfig files the options point at; *nfiles = how many were read. */
static enum k8s_status load_files(const struct k8s_config_options *o, struct k8s_kubeconfig *kc,
                                  size_t *nfiles, struct k8s_error *err)
{
    *nfiles = 0;
    if (o->kubeconfig) {
        enum k8s_status st = k8s_kubeconfig_load_file(kc, o->kubeconfig, err);
        *nfiles = st == K8S_OK;
        return st;
    }
    const char *env = o->kubeconfig_env ? o->kubeconfig_env : getenv("KUBECONFIG");
    if (env && env[0])
        return k8s_kubeconfig_load_paths(kc, env, nfiles, err);
    const char *home = o->home ? o->home : getenv("HOME");
    if (!home || !home[0])
        return K8S_OK;
    char *path = NULL;
    if (asprintf(&path, "%s/.kube/config", home) < 0)
        return k8s_error_set(err, K8S_ENOMEM, "out of memory");
    enum k8s_status st = k8s_kubeconfig_load_paths(kc, path, nfiles, err);
    free(path);
    return st;
}

static enum k8s_status load(const struct k8s_config_options *opts, bool allow_incluster,
                            struct k8s_config **out, struct k8s_error *err)
{
    static const struct k8s_config_options defaults;
    const struct k8s_config_options *o = opts ? opts : &defaults;
    *out = NULL;
    struct k8s_kubeconfig kc;
    k8s_kubeconfig_init(&kc);
    size_t nfiles = 0;
    enum k8s_status st = load_files(o, &kc, &nfiles, err);
    if (st == K8S_OK && nfiles == 0) {
        struct k8s_incluster_options ic = {o->incluster_root, o->service_host, o->service_port};
        if (allow_incluster && k8s_incluster_available(&ic))
            st = k8s_incluster_load(&ic, out, err);
        else
            st = k8s_error_set(err, K8S_ECONFIG, "%s", no_config_msg);
    } else if (st == K8S_OK) {
        st = k8s_config_from_kubeconfig(&kc, &o->overrides, out, err);
    }
    if (st == K8S_OK && nfiles == 0 && o->overrides.namespace && o->overrides.namespace[0]) {
        char *ns = strdup(o->overrides.namespace);
        if (!ns) {
            k8s_config_free(*out);
            *out = NULL;
            st = k8s_error_set(err, K8S_ENOMEM, "out of memory");
        } else {
            free((*out)->namespace);
            (*out)->namespace = ns;
        }
    }
    k8s_kubeconfig_free(&kc);
    return st;
}

enum k8s_status k8s_config_load_kubeconfig(const struct k8s_config_options *opts,
                                           struct k8s_config **out, struct k8s_error *err)
{
    return load(opts, false, out, err);
}

enum k8s_status k8s_config_load(const struct k8s_config_options *opts, struct k8s_config **out,
                                struct k8s_error *err)
{
    return load(opts, true, out, err);
}
