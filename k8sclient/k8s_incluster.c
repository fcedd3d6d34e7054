/* k8s_incluster: configuration from the pod's service account (see k8s_incluster.h). */
#include "k8s_incluster.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void resolve_env(const struct k8s_incluster_options *o, const char **host, const char **port)
{
    *host = o && o->host ? o->host : getenv("KUBERNETES_SERVICE_HOST");
    *port = o && o->port ? o->port : getenv("KUBERNETES_SERVICE_PORT");
}

bool k8s_incluster_available(const struct k8s_incluster_options *opts)
{
    const char *host, *port;
    resolve_env(opts, &host, &port);
    return host && host[0] && port && port[0];
}

static char *trimmed(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t start = 0;
    while (isspace((unsigned char)s[start]))
        start++;
    memmove(s, s + start, n - start + 1);
    return s;
}

static enum k8s_status fill(struct k8s_config *cfg, const char *root, const char *host,
                            const char *port, struct k8s_error *err)
{
    bool v6 = strchr(host, ':') != NULL && host[0] != '[';
    char *token_path = NULL, *ca_path = NULL, *ns_path = NULL;
    enum k8s_status st = K8S_ENOMEM;
    if (asprintf(&cfg->server, v6 ? "https://[%s]:%s" : "https://%s:%s", host, port) < 0)
        cfg->server = NULL;
    if (!cfg->server || asprintf(&token_path, "%s/token", root) < 0 ||
        asprintf(&ca_path, "%s/ca.crt", root) < 0 || asprintf(&ns_path, "%s/namespace", root) < 0) {
        k8s_error_set(err, st, "out of memory");
        goto out;
    }
    /* The token must be readable now; the credential re-reads it later. */
    st = k8s_cred_new_token_file(token_path, &cfg->cred);
    struct k8s_auth auth;
    if (st == K8S_OK && k8s_cred_get(cfg->cred, 0, 0, &auth, err) != K8S_CRED_READY) {
        st = err && err->status == K8S_ENOMEM ? K8S_ENOMEM : K8S_ECONFIG;
        if (err)
            err->status = st;
        goto out;
    }
    if (st == K8S_OK)
        st = k8s_config_read_file(ca_path, &cfg->ca_pem, &cfg->ca_pem_len, err);
    char *ns = NULL;
    if (st == K8S_OK && k8s_config_read_file(ns_path, &ns, NULL, NULL) == K8S_OK && trimmed(ns)[0])
        cfg->namespace = ns;
    else
        free(ns);
    if (st == K8S_OK && !cfg->namespace && !(cfg->namespace = strdup("default")))
        st = k8s_error_set(err, K8S_ENOMEM, "out of memory");
out:
    free(token_path);
    free(ca_path);
    free(ns_path);
    return st;
}

enum k8s_status k8s_incluster_load(const struct k8s_incluster_options *opts,
                                   struct k8s_config **out, struct k8s_error *err)
{
    *out = NULL;
    const char *host, *port;
    resolve_env(opts, &host, &port);
    if (!host || !host[0] || !port || !port[0])
        return k8s_error_set(err, K8S_ENOTINCLUSTER,
                             "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST "
                             "and KUBERNETES_SERVICE_PORT must be defined");
    const char *root = opts && opts->root ? opts->root : K8S_INCLUSTER_DEFAULT_ROOT;
    struct k8s_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return k8s_error_set(err, K8S_ENOMEM, "out of memory");
    enum k8s_status st = fill(cfg, root, host, port, err);
    if (st != K8S_OK) {
        k8s_config_free(cfg);
        return st;
    }
    *out = cfg;
    return K8S_OK;
}
