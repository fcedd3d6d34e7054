/*
 * config_kubernetes: the Kubernetes blocks of the config: the top-level
 * `kubernetes:` connection and each Kubernetes pool's `kubernetes:` block
 * (schema and defaults in kube_config.h). The pod template is read and
 * parsed here (a file relative to the config file, or inline YAML), so its
 * errors come at load time and name the config field that points at it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config_yaml.h"
#include "k8s_pods.h"
#include "oom.h"

#define MAX_PATH_LEN  1024
#define MAX_FILE_SIZE (1u << 20)

static int is_plain_null(const yaml_node_t *node)
{
    if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *s = config_scalar(node);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* ---- kubernetes sections ---- */

static enum config_status get_double(struct config_ctx *c, yaml_node_t *node, const char *path,
                                     double min, double max, double *out)
{
    enum config_status rc = config_visit(c, node, path);
    if (rc)
        return rc;
    const char *s = node->type == YAML_SCALAR_NODE ? config_scalar(node) : "";
    char *end = NULL;
    double v = *s ? strtod(s, &end) : 0;
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
        !*s || *end || !(v >= min && v <= max))
        return config_fail(c, node, path, "must be a number between %g and %g", min, max);
    *out = v;
    return CONFIG_OK;
}

static enum config_status get_bool(struct config_ctx *c, yaml_node_t *node, const char *path,
                                   bool *out)
{
    enum config_status rc = config_visit(c, node, path);
    if (rc)
        return rc;
    const char *s = node->type == YAML_SCALAR_NODE ? config_scalar(node) : "";
    if (!strcmp(s, "true") || !strcmp(s, "false")) {
        *out = !strcmp(s, "true");
        return CONFIG_OK;
    }
    return config_fail(c, node, path, "must be true or false");
}

static const char *const election_keys[] = {"lease_name",
                                            "lease_namespace",
                                            "identity",
                                            "lease_duration_seconds",
                                            "renew_deadline_seconds",
                                            "retry_period_seconds"};

static enum config_status election_field(struct config_ctx *c, size_t i, yaml_node_t *v,
                                         const char *path, void *obj)
{
    struct kube_election *e = obj;
    switch (i) {
    case 0:
        return config_get_string(c, v, path, 253, &e->lease_name);
    case 1:
        return config_get_string(c, v, path, 63, &e->lease_namespace);
    case 2:
        return config_get_string(c, v, path, 253, &e->identity);
    case 3:
        return get_double(c, v, path, 0.1, 3600, &e->lease_duration_s);
    case 4:
        return get_double(c, v, path, 0.1, 3600, &e->renew_deadline_s);
    default:
        return get_double(c, v, path, 0.05, 3600, &e->retry_period_s);
    }
}

/* client-go's rule: retry period < renew deadline < lease duration, so a
 * leader stops before its lease can expire anywhere. */
static enum config_status get_election(struct config_ctx *c, yaml_node_t *v, const char *path,
                                       struct kube_election *e)
{
    enum config_status rc = config_walk_map(c, v, path, election_keys, 6, election_field, e);
    if (rc)
        return rc;
    e->enabled = true;
    if (!e->lease_name)
        e->lease_name = xstrdup("prewarm");
    if (!(e->renew_deadline_s < e->lease_duration_s))
        return config_fail(c, v, path,
                           "renew_deadline_seconds must be less than lease_duration_seconds");
    if (!(e->retry_period_s < e->renew_deadline_s))
        return config_fail(c, v, path,
                           "retry_period_seconds must be less than renew_deadline_seconds");
    return CONFIG_OK;
}

static const char *const conn_keys[] = {
    "kubeconfig",   "context",        "in_cluster",         "qps",
    "burst",        "bind_qps",       "quarantine_seconds", "journal",
    "journal_sync", "leader_election"};

static enum config_status conn_field(struct config_ctx *c, size_t i, yaml_node_t *v,
                                     const char *path, void *obj)
{
    struct kube_connection *k = obj;
    switch (i) {
    case 0:
        return config_get_string(c, v, path, MAX_PATH_LEN, &k->kubeconfig);
    case 1:
        return config_get_string(c, v, path, 253, &k->context);
    case 2:
        return get_bool(c, v, path, &k->in_cluster);
    case 3:
        return get_double(c, v, path, 0, 100000, &k->qps);
    case 4:
        return config_get_uint(c, v, path, 1, 100000, &k->burst);
    case 5:
        return get_double(c, v, path, 0.1, 100000, &k->bind_qps);
    case 6:
        return config_get_uint(c, v, path, 0, 3600, &k->quarantine_s);
    case 7:
        return config_get_string(c, v, path, MAX_PATH_LEN, &k->journal);
    case 8:
        return get_bool(c, v, path, &k->journal_sync);
    default:
        return get_election(c, v, path, &k->election);
    }
}

/* A YAML subtree as JSON (inline pod templates). Plain scalars take the
 * core schema's types (null, true/false, numbers); quoted ones are strings. */
static cJSON *yaml_to_json(struct config_ctx *c, yaml_node_t *node, const char *path, int depth);

static cJSON *scalar_json(const yaml_node_t *node)
{
    const char *s = config_scalar(node);
    if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return cJSON_CreateString(s);
    if (is_plain_null(node))
        return cJSON_CreateNull();
    if (!strcmp(s, "true") || !strcmp(s, "false"))
        return cJSON_CreateBool(!strcmp(s, "true"));
    char *end = NULL;
    double v = strtod(s, &end);
    if (*s && !*end && strspn(s, "+-0123456789.eE") == strlen(s))
        return cJSON_CreateNumber(v);
    return cJSON_CreateString(s);
}

static cJSON *mapping_json(struct config_ctx *c, yaml_node_t *node, const char *path, int depth)
{
    cJSON *o = cJSON_CreateObject();
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
         o && p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *k = config_node_at(c, p->key), *v = config_node_at(c, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE || config_visit(c, k, path)) {
            config_fail(c, k ? k : node, path, "keys must be strings");
            goto fail;
        }
        cJSON *item = yaml_to_json(c, v, path, depth + 1);
        if (!item)
            goto fail;
        cJSON_AddItemToObject(o, config_scalar(k), item);
    }
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

static cJSON *yaml_to_json(struct config_ctx *c, yaml_node_t *node, const char *path, int depth)
{
    if (depth > 32 || config_visit(c, node, path)) {
        if (depth > 32)
            config_fail(c, node, path, "nested too deeply");
        return NULL;
    }
    if (node->type == YAML_SCALAR_NODE)
        return scalar_json(node);
    if (node->type == YAML_MAPPING_NODE)
        return mapping_json(c, node, path, depth);
    cJSON *a = cJSON_CreateArray();
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         a && it < node->data.sequence.items.top; it++) {
        yaml_node_t *item = config_node_at(c, *it);
        cJSON *j = item ? yaml_to_json(c, item, path, depth + 1) : NULL;
        if (!j) {
            cJSON_Delete(a);
            return NULL;
        }
        cJSON_AddItemToArray(a, j);
    }
    return a;
}

/* The directory of the config file joined with a relative path. */
static char *relative_to_config(struct config_ctx *c, const char *file)
{
    const char *slash = strrchr(c->name, '/');
    if (file[0] == '/' || !slash)
        return xstrdup(file);
    size_t dirlen = (size_t)(slash - c->name) + 1;
    char *full = xmalloc(dirlen + strlen(file) + 1);
    memcpy(full, c->name, dirlen);
    memcpy(full + dirlen, file, strlen(file) + 1);
    return full;
}

static enum config_status load_template(struct config_ctx *c, yaml_node_t *v, const char *path,
                                        struct kube_pool_config *k)
{
    char *file = NULL;
    enum config_status rc = config_get_string(c, v, path, MAX_PATH_LEN, &file);
    if (rc)
        return rc;
    free(k->template_path);
    k->template_path = relative_to_config(c, file);
    free(file);
    FILE *f = fopen(k->template_path, "rb");
    if (!f)
        return config_fail(c, v, path, "cannot open %s: %s", k->template_path, strerror(errno));
    char *buf = xmalloc(MAX_FILE_SIZE + 1);
    size_t n = fread(buf, 1, MAX_FILE_SIZE + 1, f);
    fclose(f);
    struct k8s_error err;
    k8s_error_clear(&err);
    if (n > MAX_FILE_SIZE)
        rc = config_fail(c, v, path, "%s is larger than %u bytes", k->template_path, MAX_FILE_SIZE);
    else if (k8s_pod_template_parse(buf, n, &k->template, &err) != K8S_OK)
        rc = config_fail(c, v, path, "%s: %s%s%s", k->template_path, err.message,
                         err.detail[0] ? ": " : "", err.detail);
    free(buf);
    return rc;
}

static enum config_status get_kvs(struct config_ctx *c, yaml_node_t *node, const char *path,
                                  struct kube_kv **out, size_t *len)
{
    size_t n = 0;
    enum config_status rc = config_get_map(c, node, path, "a mapping of strings", &n);
    if (rc)
        return rc;
    *out = xcalloc(n ? n : 1, sizeof **out);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &node->data.mapping.pairs.start[i];
        yaml_node_t *k = config_node_at(c, p->key), *v = config_node_at(c, p->value);
        char sub[600];
        *len = i + 1;
        if (!k || !v || (rc = config_get_string(c, k, path, 317, &(*out)[i].key)))
            return rc ? rc : config_fail(c, node, path, "keys must be strings");
        snprintf(sub, sizeof sub, "%s.%s", path, (*out)[i].key);
        if ((rc = config_get_string(c, v, sub, 63, &(*out)[i].value)))
            return rc;
    }
    return CONFIG_OK;
}

static const char *const tol_keys[] = {"key", "operator", "value", "effect", "tolerationSeconds"};

static enum config_status tol_field(struct config_ctx *c, size_t i, yaml_node_t *v,
                                    const char *path, void *obj)
{
    struct kube_toleration *t = obj;
    char **dst[] = {&t->key, &t->operator, & t->value, &t->effect};
    if (i < 4)
        return config_get_string(c, v, path, 317, dst[i]);
    uint32_t s = 0;
    enum config_status rc = config_get_uint(c, v, path, 0, 86400 * 365, &s);
    t->has_seconds = true;
    t->seconds = s;
    return rc;
}

static enum config_status get_tolerations(struct config_ctx *c, yaml_node_t *node, const char *path,
                                          struct kube_pool_config *k)
{
    size_t n = 0;
    enum config_status rc = config_get_list(c, node, path, "a list of tolerations", &n);
    if (rc)
        return rc;
    k->tolerations = xcalloc(n ? n : 1, sizeof *k->tolerations);
    for (size_t i = 0; i < n; i++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        yaml_node_t *item = config_node_at(c, node->data.sequence.items.start[i]);
        k->tolerations_len = i + 1;
        if (!item)
            return config_fail(c, node, sub, "missing item");
        if ((rc = config_walk_map(c, item, sub, tol_keys, 5, tol_field, &k->tolerations[i])))
            return rc;
    }
    return CONFIG_OK;
}

static const char *const kube_pool_keys[] = {"namespace",         "template",
                                             "template_inline",   "port",
                                             "node_selector",     "tolerations",
                                             "create_qps",        "create_burst",
                                             "max_creating",      "delete_grace_seconds",
                                             "node_lost_seconds", "connect_key_secret"};

static enum config_status kube_pool_uint(struct config_ctx *c, size_t i, yaml_node_t *v,
                                         const char *path, struct kube_pool_config *k)
{
    uint32_t u = 0;
    enum config_status rc;
    switch (i) {
    case 3:
        rc = config_get_uint(c, v, path, 1, 65535, &u);
        k->port = (uint16_t)u;
        return rc;
    case 7:
        return config_get_uint(c, v, path, 1, 10000, &k->create_burst);
    case 8:
        return config_get_uint(c, v, path, 1, 10000, &k->max_creating);
    case 9:
        rc = config_get_uint(c, v, path, 0, 86400, &u);
        k->delete_grace_s = u;
        return rc;
    default:
        return config_get_uint(c, v, path, 0, 86400, &k->node_lost_s);
    }
}

static enum config_status kube_pool_field(struct config_ctx *c, size_t i, yaml_node_t *v,
                                          const char *path, void *obj)
{
    struct kube_pool_config *k = obj;
    switch (i) {
    case 0: {
        enum config_status rc = config_get_string(c, v, path, 63, &k->namespace);
        if (rc == CONFIG_OK &&
            (!k->namespace[0] ||
             strspn(k->namespace, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(k->namespace)))
            return config_fail(c, v, path, "must be a namespace name ([a-z0-9-], at most 63)");
        return rc;
    }
    case 1:
        if (k->template)
            return config_fail(c, v, path, "give template or template_inline, not both");
        return load_template(c, v, path, k);
    case 2:
        if (k->template)
            return config_fail(c, v, path, "give template or template_inline, not both");
        if (!(k->template = yaml_to_json(c, v, path, 0)))
            return CONFIG_ERR_INVALID;
        if (!cJSON_IsObject(k->template))
            return config_fail(c, v, path, "must be a Pod object");
        return CONFIG_OK;
    case 4:
        return get_kvs(c, v, path, &k->node_selector, &k->node_selector_len);
    case 5:
        return get_tolerations(c, v, path, k);
    case 6:
        return get_double(c, v, path, 0.01, 10000, &k->create_qps);
    case 11:
        return config_get_string(c, v, path, 253, &k->connect_key_secret);
    default:
        return kube_pool_uint(c, i, v, path, k);
    }
}

enum config_status config_kubernetes_connection(struct config_ctx *c, yaml_node_t *node,
                                                const char *path, struct kube_connection *k)
{
    return config_walk_map(c, node, path, conn_keys, 10, conn_field, k);
}

static enum config_status kube_parse(struct config_ctx *c, yaml_node_t *node, const char *path,
                                     struct config_pool *p)
{
    return config_walk_map(c, node, path, kube_pool_keys, 12, kube_pool_field, &p->kube);
}

static enum config_status kube_check(struct config_ctx *c, yaml_node_t *node, const char *path,
                                     struct config_pool *p)
{
    size_t n = strlen(p->name);
    if (!p->kube.template)
        return config_fail(c, node, path,
                           "kubernetes.template or kubernetes.template_inline is required");
    if (!isalnum((unsigned char)p->name[0]) || !isalnum((unsigned char)p->name[n - 1]))
        return config_fail(c, node, path,
                           "a kubernetes pool's name must start and end with a letter or digit "
                           "(it is a label value)");
    if (!p->kube.namespace)
        p->kube.namespace = xstrdup("default");
    return CONFIG_OK;
}

static void kube_defaults(struct config_pool *p)
{
    kube_pool_config_defaults(&p->kube);
}

static void kube_free(struct config_pool *p)
{
    kube_pool_config_free(&p->kube);
}

const struct config_provider_block config_kubernetes_block = {
    .name = "kubernetes",
    .kind = CONFIG_PROVIDER_KUBERNETES,
    .parse = kube_parse,
    .check = kube_check,
    .defaults = kube_defaults,
    .free = kube_free,
};
