/* k8s_kubeconfig: kubeconfig YAML loading and merging (see k8s_kubeconfig.h). */
#include "k8s_kubeconfig.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#define MAX_DEPTH      64
#define MAX_NODES      (1u << 20)
#define MAX_FILE_BYTES (16u * 1024 * 1024)

/* --- a small YAML node tree built from libyaml events --- */

enum node_type { N_SCALAR, N_MAP, N_SEQ };

struct node {
    enum node_type type;
    char *value; /* scalar text */
    bool plain;  /* unquoted scalar (null/bool/number resolution applies) */
    unsigned line, col;
    struct node **items; /* map: key, value, key, value ...; seq: items */
    size_t n, cap;
};

struct doc {
    yaml_parser_t parser;
    const char *file;
    size_t nodes;
    struct k8s_error *err;
};

static void node_free(struct node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        node_free(n->items[i]);
    free(n->items);
    free(n->value);
    free(n);
}

static enum k8s_status doc_error(struct doc *d, unsigned line, unsigned col, const char *field,
                                 enum k8s_status st, const char *what)
{
    k8s_error_set(d->err, st, "%s:%u:%u: %s: %s", d->file, line, col, field, what);
    k8s_error_set_detail(d->err, "%s:%u:%u: %s", d->file, line, col, field);
    return st;
}

static enum k8s_status yaml_failure(struct doc *d)
{
    yaml_parser_t *p = &d->parser;
    if (p->error == YAML_MEMORY_ERROR)
        return k8s_error_set(d->err, K8S_ENOMEM, "out of memory parsing %s", d->file);
    yaml_mark_t m =
        p->problem_mark.line || p->problem_mark.column ? p->problem_mark : p->context_mark;
    char what[160];
    snprintf(what, sizeof(what), "invalid YAML: %s%s%s", p->problem ? p->problem : "syntax error",
             p->context ? " " : "", p->context ? p->context : "");
    return doc_error(d, (unsigned)m.line + 1, (unsigned)m.column + 1, "(document)", K8S_ECONFIG,
                     what);
}

static struct node *node_new(struct doc *d, enum node_type t, const yaml_event_t *ev)
{
    if (++d->nodes > MAX_NODES)
        return NULL;
    struct node *n = calloc(1, sizeof(*n));
    if (n) {
        n->type = t;
        n->line = (unsigned)ev->start_mark.line + 1;
        n->col = (unsigned)ev->start_mark.column + 1;
    }
    return n;
}

static bool node_push(struct node *parent, struct node *child)
{
    if (parent->n == parent->cap) {
        size_t ncap = parent->cap ? parent->cap * 2 : 8;
        struct node **items = realloc(parent->items, ncap * sizeof(*items));
        if (!items)
            return false;
        parent->items = items;
        parent->cap = ncap;
    }
    parent->items[parent->n++] = child;
    return true;
}

static enum k8s_status build(struct doc *d, yaml_event_t *ev, int depth, struct node **out);

/* Reads children until the matching end event. */
static enum k8s_status build_children(struct doc *d, struct node *n, yaml_event_type_t end,
                                      int depth)
{
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&d->parser, &ev))
            return yaml_failure(d);
        if (ev.type == end) {
            yaml_event_delete(&ev);
            return K8S_OK;
        }
        struct node *child = NULL;
        enum k8s_status st = build(d, &ev, depth + 1, &child);
        yaml_event_delete(&ev);
        if (st != K8S_OK)
            return st;
        if (!node_push(n, child)) {
            node_free(child);
            return k8s_error_set(d->err, K8S_ENOMEM, "out of memory parsing %s", d->file);
        }
    }
}

/* Builds the node that starts with *ev (which the caller deletes). */
static enum k8s_status build(struct doc *d, yaml_event_t *ev, int depth, struct node **out)
{
    unsigned line = (unsigned)ev->start_mark.line + 1, col = (unsigned)ev->start_mark.column + 1;
    if (depth > MAX_DEPTH)
        return doc_error(d, line, col, "(document)", K8S_ECONFIG, "nesting too deep");
    if (ev->type == YAML_ALIAS_EVENT)
        return doc_error(d, line, col, "(document)", K8S_ECONFIG, "YAML aliases are not supported");
    enum node_type t = ev->type == YAML_SCALAR_EVENT          ? N_SCALAR
                       : ev->type == YAML_MAPPING_START_EVENT ? N_MAP
                                                              : N_SEQ;
    if (t == N_SEQ && ev->type != YAML_SEQUENCE_START_EVENT)
        return doc_error(d, line, col, "(document)", K8S_ECONFIG, "unexpected YAML event");
    struct node *n = node_new(d, t, ev);
    if (!n)
        return d->nodes > MAX_NODES
                   ? doc_error(d, line, col, "(document)", K8S_ECONFIG, "too many YAML nodes")
                   : k8s_error_set(d->err, K8S_ENOMEM, "out of memory parsing %s", d->file);
    enum k8s_status st = K8S_OK;
    if (t == N_SCALAR) {
        n->value = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (!n->value)
            st = k8s_error_set(d->err, K8S_ENOMEM, "out of memory parsing %s", d->file);
    } else {
        st = build_children(d, n, t == N_MAP ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT,
                            depth);
    }
    if (st != K8S_OK) {
        node_free(n);
        return st;
    }
    *out = n;
    return K8S_OK;
}

/* Parses the first document; *root is NULL for an empty stream. */
static enum k8s_status parse_doc(struct doc *d, const char *data, size_t len, struct node **root)
{
    *root = NULL;
    if (!yaml_parser_initialize(&d->parser))
        return k8s_error_set(d->err, K8S_ENOMEM, "out of memory parsing %s", d->file);
    yaml_parser_set_input_string(&d->parser, (const unsigned char *)data, len);
    enum k8s_status st = K8S_OK;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&d->parser, &ev)) {
            st = yaml_failure(d);
            break;
        }
        yaml_event_type_t type = ev.type;
        if (type == YAML_SCALAR_EVENT || type == YAML_MAPPING_START_EVENT ||
            type == YAML_SEQUENCE_START_EVENT || type == YAML_ALIAS_EVENT)
            st = build(d, &ev, 0, root);
        yaml_event_delete(&ev);
        /* Stop after the first document's root (later documents are ignored). */
        if (st != K8S_OK || *root || type == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&d->parser);
    return st;
}

/* --- walking the tree into the model --- */

struct walk {
    struct doc *d;
    const char *dir; /* directory of the file, NULL = leave relative paths alone */
};

static bool is_null(const struct node *n)
{
    if (!n)
        return true;
    if (n->type != N_SCALAR || !n->plain)
        return false;
    const char *v = n->value;
    return !v[0] || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
           strcmp(v, "NULL") == 0;
}

static enum k8s_status field_error(struct walk *w, const struct node *n, const char *field,
                                   const char *what)
{
    return doc_error(w->d, n ? n->line : 0, n ? n->col : 0, field, K8S_ECONFIG, what);
}

static enum k8s_status oom(struct walk *w)
{
    return k8s_error_set(w->d->err, K8S_ENOMEM, "out of memory loading %s", w->d->file);
}

static enum k8s_status get_string(struct walk *w, const struct node *n, const char *field,
                                  char **out)
{
    if (is_null(n))
        return K8S_OK;
    if (n->type != N_SCALAR)
        return field_error(w, n, field, "expected a string");
    free(*out);
    *out = strdup(n->value);
    return *out ? K8S_OK : oom(w);
}

static enum k8s_status get_bool(struct walk *w, const struct node *n, const char *field, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES",  "on",   "On",   "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No",
                                     "NO",    "off",   "Off",   "OFF"};
    if (is_null(n))
        return K8S_OK;
    if (n->type == N_SCALAR && n->plain) {
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
            if (strcmp(n->value, yes[i]) == 0 || strcmp(n->value, no[i]) == 0) {
                *out = strcmp(n->value, yes[i]) == 0;
                return K8S_OK;
            }
        }
    }
    return field_error(w, n, field, "expected a boolean (true or false)");
}

/* Makes *path absolute against the file's directory (client-go ResolvePaths). */
static enum k8s_status resolve(struct walk *w, char **path)
{
    if (!*path || !(*path)[0] || (*path)[0] == '/' || !w->dir)
        return K8S_OK;
    char *abs = NULL;
    if (asprintf(&abs, "%s/%s", w->dir, *path) < 0)
        return oom(w);
    free(*path);
    *path = abs;
    return K8S_OK;
}

typedef enum k8s_status (*entry_fn)(struct walk *w, const char *key, const struct node *value,
                                    const char *field, void *obj);

/* Calls fn for every key of a mapping; null is an empty mapping. */
static enum k8s_status each_key(struct walk *w, const struct node *map, const char *field,
                                entry_fn fn, void *obj)
{
    if (is_null(map))
        return K8S_OK;
    if (map->type != N_MAP)
        return field_error(w, map, field, "expected a mapping");
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const struct node *k = map->items[i];
        if (k->type != N_SCALAR)
            return field_error(w, k, field, "mapping keys must be strings");
        char sub[300];
        snprintf(sub, sizeof(sub), "%.150s%s%.140s", field, field[0] ? "." : "", k->value);
        enum k8s_status st = fn(w, k->value, map->items[i + 1], sub, obj);
        if (st != K8S_OK)
            return st;
    }
    return K8S_OK;
}

static bool key_is(const char *key, const char *name)
{
    return strcmp(key, name) == 0;
}

/* Converts a node to JSON for the exec extension (plain scalars keep their type). */
static cJSON *to_json(const struct node *n)
{
    if (is_null(n))
        return cJSON_CreateNull();
    if (n->type == N_SCALAR) {
        char *end;
        if (n->plain && (strcmp(n->value, "true") == 0 || strcmp(n->value, "false") == 0))
            return cJSON_CreateBool(n->value[0] == 't');
        double v = strtod(n->value, &end);
        if (n->plain && *end == '\0' && end != n->value)
            return cJSON_CreateNumber(v);
        return cJSON_CreateString(n->value);
    }
    cJSON *out = n->type == N_MAP ? cJSON_CreateObject() : cJSON_CreateArray();
    for (size_t i = 0; out && i < n->n; i += n->type == N_MAP ? 2 : 1) {
        cJSON *v = to_json(n->type == N_MAP ? n->items[i + 1] : n->items[i]);
        if (!v || (n->type == N_MAP && n->items[i]->type != N_SCALAR)) {
            cJSON_Delete(v);
            cJSON_Delete(out);
            return NULL;
        }
        if (n->type == N_MAP)
            cJSON_AddItemToObject(out, n->items[i]->value, v);
        else
            cJSON_AddItemToArray(out, v);
    }
    return out;
}

/* --- cluster --- */

static enum k8s_status cluster_ext(struct walk *w, const struct node *seq, const char *field,
                                   struct k8s_kc_cluster *c)
{
    if (is_null(seq))
        return K8S_OK;
    if (seq->type != N_SEQ)
        return field_error(w, seq, field, "expected a list");
    for (size_t i = 0; i < seq->n; i++) {
        const struct node *it = seq->items[i], *name = NULL, *ext = NULL;
        if (it->type != N_MAP)
            continue; /* extensions are tolerated, not validated */
        for (size_t k = 0; k + 1 < it->n; k += 2) {
            if (it->items[k]->type == N_SCALAR && key_is(it->items[k]->value, "name"))
                name = it->items[k + 1];
            if (it->items[k]->type == N_SCALAR && key_is(it->items[k]->value, "extension"))
                ext = it->items[k + 1];
        }
        if (!name || name->type != N_SCALAR ||
            strcmp(name->value, "client.authentication.k8s.io/exec") != 0 || !ext)
            continue;
        cJSON *j = to_json(ext);
        char *s = j ? cJSON_PrintUnformatted(j) : NULL;
        cJSON_Delete(j);
        if (!s)
            return oom(w);
        free(c->exec_extension_json);
        c->exec_extension_json = s;
    }
    return K8S_OK;
}

static enum k8s_status cluster_field(struct walk *w, const char *key, const struct node *v,
                                     const char *field, void *obj)
{
    struct k8s_kc_cluster *c = obj;
    if (key_is(key, "server"))
        return get_string(w, v, field, &c->server);
    if (key_is(key, "certificate-authority")) {
        enum k8s_status st = get_string(w, v, field, &c->certificate_authority);
        return st == K8S_OK ? resolve(w, &c->certificate_authority) : st;
    }
    if (key_is(key, "certificate-authority-data"))
        return get_string(w, v, field, &c->certificate_authority_data);
    if (key_is(key, "insecure-skip-tls-verify"))
        return get_bool(w, v, field, &c->insecure_skip_tls_verify);
    if (key_is(key, "tls-server-name"))
        return get_string(w, v, field, &c->tls_server_name);
    if (key_is(key, "proxy-url"))
        return get_string(w, v, field, &c->proxy_url);
    if (key_is(key, "extensions"))
        return cluster_ext(w, v, field, c);
    return K8S_OK; /* disable-compression and unknown fields */
}

/* --- user and exec --- */

static enum k8s_status string_list(struct walk *w, const struct node *seq, const char *field,
                                   char ***out, size_t *n)
{
    if (is_null(seq))
        return K8S_OK;
    if (seq->type != N_SEQ)
        return field_error(w, seq, field, "expected a list of strings");
    for (size_t i = 0; i < *n; i++) /* a repeated key replaces the earlier list */
        free((*out)[i]);
    free(*out);
    *n = 0;
    *out = calloc(seq->n ? seq->n : 1, sizeof(char *));
    if (!*out)
        return oom(w);
    for (size_t i = 0; i < seq->n; i++) {
        char sub[300];
        snprintf(sub, sizeof(sub), "%s[%zu]", field, i);
        const struct node *it = seq->items[i];
        if (it->type != N_SCALAR)
            return field_error(w, it, sub, "expected a string");
        if (!((*out)[i] = strdup(it->value)))
            return oom(w);
        *n = i + 1;
    }
    return K8S_OK;
}

static enum k8s_status env_field(struct walk *w, const char *key, const struct node *v,
                                 const char *field, void *obj)
{
    struct k8s_exec_env *e = obj;
    if (key_is(key, "name"))
        return get_string(w, v, field, &e->name);
    if (key_is(key, "value"))
        return get_string(w, v, field, &e->value);
    return K8S_OK;
}

static enum k8s_status env_list(struct walk *w, const struct node *seq, const char *field,
                                struct k8s_exec_config *x)
{
    if (is_null(seq))
        return K8S_OK;
    if (seq->type != N_SEQ)
        return field_error(w, seq, field, "expected a list of {name, value}");
    for (size_t i = 0; i < x->nenv; i++) { /* a repeated key replaces the earlier list */
        free(x->env[i].name);
        free(x->env[i].value);
    }
    free(x->env);
    x->nenv = 0;
    x->env = calloc(seq->n ? seq->n : 1, sizeof(*x->env));
    if (!x->env)
        return oom(w);
    for (size_t i = 0; i < seq->n; i++) {
        char sub[300];
        snprintf(sub, sizeof(sub), "%s[%zu]", field, i);
        x->nenv = i + 1;
        enum k8s_status st = each_key(w, seq->items[i], sub, env_field, &x->env[i]);
        if (st != K8S_OK)
            return st;
        if (!x->env[i].name || !x->env[i].name[0])
            return field_error(w, seq->items[i], sub, "env variable name must be specified");
        if (!x->env[i].value && !(x->env[i].value = strdup("")))
            return oom(w);
    }
    return K8S_OK;
}

static enum k8s_status interactive_mode(struct walk *w, const struct node *v, const char *field,
                                        struct k8s_exec_config *x)
{
    char *s = NULL;
    enum k8s_status st = get_string(w, v, field, &s);
    if (st != K8S_OK || !s)
        return st;
    if (key_is(s, "Never"))
        x->interactive_mode = K8S_EXEC_INTERACTIVE_NEVER;
    else if (key_is(s, "IfAvailable"))
        x->interactive_mode = K8S_EXEC_INTERACTIVE_IF_AVAILABLE;
    else if (key_is(s, "Always"))
        x->interactive_mode = K8S_EXEC_INTERACTIVE_ALWAYS;
    else {
        char what[200];
        snprintf(what, sizeof(what), "invalid interactiveMode: \"%.100s\"", s);
        st = field_error(w, v, field, what);
    }
    free(s);
    return st;
}

static enum k8s_status exec_field(struct walk *w, const char *key, const struct node *v,
                                  const char *field, void *obj)
{
    struct k8s_exec_config *x = obj;
    if (key_is(key, "command"))
        return get_string(w, v, field, &x->command);
    if (key_is(key, "apiVersion"))
        return get_string(w, v, field, &x->api_version);
    if (key_is(key, "args"))
        return string_list(w, v, field, &x->args, &x->nargs);
    if (key_is(key, "env"))
        return env_list(w, v, field, x);
    if (key_is(key, "installHint"))
        return get_string(w, v, field, &x->install_hint);
    if (key_is(key, "provideClusterInfo"))
        return get_bool(w, v, field, &x->provide_cluster_info);
    if (key_is(key, "interactiveMode"))
        return interactive_mode(w, v, field, x);
    return K8S_OK;
}

static enum k8s_status auth_provider_field(struct walk *w, const char *key, const struct node *v,
                                           const char *field, void *obj)
{
    return key_is(key, "name") ? get_string(w, v, field, obj) : K8S_OK;
}

/* A file path field: string, then made absolute. */
static enum k8s_status path_field(struct walk *w, const struct node *v, const char *field,
                                  char **out)
{
    enum k8s_status st = get_string(w, v, field, out);
    return st == K8S_OK ? resolve(w, out) : st;
}

static enum k8s_status user_field(struct walk *w, const char *key, const struct node *v,
                                  const char *field, void *obj)
{
    struct k8s_kc_user *u = obj;
    if (key_is(key, "client-certificate"))
        return path_field(w, v, field, &u->client_certificate);
    if (key_is(key, "client-certificate-data"))
        return get_string(w, v, field, &u->client_certificate_data);
    if (key_is(key, "client-key"))
        return path_field(w, v, field, &u->client_key);
    if (key_is(key, "client-key-data"))
        return get_string(w, v, field, &u->client_key_data);
    if (key_is(key, "token"))
        return get_string(w, v, field, &u->token);
    if (key_is(key, "tokenFile"))
        return path_field(w, v, field, &u->token_file);
    if (key_is(key, "username"))
        return get_string(w, v, field, &u->username);
    if (key_is(key, "password"))
        return get_string(w, v, field, &u->password);
    if (key_is(key, "auth-provider"))
        return each_key(w, v, field, auth_provider_field, &u->auth_provider);
    if (key_is(key, "exec") && !is_null(v)) {
        u->has_exec = true;
        u->exec_mark = (struct k8s_kc_mark){w->d->file, v->line, v->col};
        enum k8s_status st = each_key(w, v, field, exec_field, &u->exec);
        /* Only a command with a path separator is resolved (client-go). */
        if (st == K8S_OK && u->exec.command && strchr(u->exec.command, '/'))
            st = resolve(w, &u->exec.command);
        return st;
    }
    return K8S_OK;
}

static enum k8s_status context_field(struct walk *w, const char *key, const struct node *v,
                                     const char *field, void *obj)
{
    struct k8s_kc_context *c = obj;
    if (key_is(key, "cluster"))
        return get_string(w, v, field, &c->cluster);
    if (key_is(key, "user"))
        return get_string(w, v, field, &c->user);
    if (key_is(key, "namespace"))
        return get_string(w, v, field, &c->namespace);
    return K8S_OK;
}

/* --- entry lifetimes --- */

static void cluster_free(void *p)
{
    struct k8s_kc_cluster *c = p;
    free(c->name);
    free(c->server);
    free(c->certificate_authority);
    free(c->certificate_authority_data);
    free(c->tls_server_name);
    free(c->proxy_url);
    free(c->exec_extension_json);
}

static void user_free(void *p)
{
    struct k8s_kc_user *u = p;
    free(u->name);
    free(u->client_certificate);
    free(u->client_certificate_data);
    free(u->client_key);
    free(u->client_key_data);
    free(u->token);
    free(u->token_file);
    free(u->username);
    free(u->password);
    free(u->auth_provider);
    k8s_exec_config_free(&u->exec);
}

static void context_free(void *p)
{
    struct k8s_kc_context *c = p;
    free(c->name);
    free(c->cluster);
    free(c->user);
    free(c->namespace);
}

void k8s_kubeconfig_init(struct k8s_kubeconfig *kc)
{
    memset(kc, 0, sizeof(*kc));
}

void k8s_kubeconfig_free(struct k8s_kubeconfig *kc)
{
    for (size_t i = 0; i < kc->nclusters; i++)
        cluster_free(&kc->clusters[i]);
    for (size_t i = 0; i < kc->nusers; i++)
        user_free(&kc->users[i]);
    for (size_t i = 0; i < kc->ncontexts; i++)
        context_free(&kc->contexts[i]);
    free(kc->clusters);
    free(kc->users);
    free(kc->contexts);
    free(kc->current_context);
    for (size_t i = 0; i < kc->nfiles; i++)
        free(kc->files[i]);
    free(kc->files);
    k8s_kubeconfig_init(kc);
}

/* --- named lists: clusters[], users[], contexts[] --- */

struct list_spec {
    const char *payload; /* "cluster", "user", "context" */
    size_t size;         /* element size; every element starts with `char *name` */
    size_t mark_off;
    entry_fn fn;
    void (*free_fn)(void *);
};

static const struct list_spec cluster_spec = {"cluster", sizeof(struct k8s_kc_cluster),
                                              offsetof(struct k8s_kc_cluster, mark), cluster_field,
                                              cluster_free};
static const struct list_spec user_spec = {
    "user", sizeof(struct k8s_kc_user), offsetof(struct k8s_kc_user, mark), user_field, user_free};
static const struct list_spec context_spec = {"context", sizeof(struct k8s_kc_context),
                                              offsetof(struct k8s_kc_context, mark), context_field,
                                              context_free};

static enum k8s_status named_entry(struct walk *w, const struct list_spec *spec,
                                   const struct node *it, const char *field, void *elem)
{
    if (it->type != N_MAP) {
        char what[80];
        snprintf(what, sizeof(what), "expected a mapping with name and %s", spec->payload);
        return field_error(w, it, field, what);
    }
    const struct node *payload = NULL;
    for (size_t k = 0; k + 1 < it->n; k += 2) {
        const struct node *key = it->items[k];
        char sub[300];
        if (key->type != N_SCALAR)
            return field_error(w, key, field, "mapping keys must be strings");
        snprintf(sub, sizeof(sub), "%.150s.%.140s", field, key->value);
        if (key_is(key->value, "name")) {
            enum k8s_status st = get_string(w, it->items[k + 1], sub, (char **)elem);
            if (st != K8S_OK)
                return st;
        } else if (key_is(key->value, spec->payload)) {
            payload = it->items[k + 1];
        }
    }
    if (!*(char **)elem)
        return field_error(w, it, field, "name is required");
    char sub[300];
    snprintf(sub, sizeof(sub), "%.150s.%.140s", field, spec->payload);
    return each_key(w, payload, sub, spec->fn, elem);
}

static bool has_name(const char *arr, size_t n, size_t size, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(*(char *const *)(arr + i * size), name) == 0)
            return true;
    }
    return false;
}

/* Parses a list into (*arr, *n); a name given twice in one file is an error. */
static enum k8s_status named_list(struct walk *w, const struct list_spec *spec,
                                  const struct node *seq, const char *field, char **arr, size_t *n)
{
    if (is_null(seq))
        return K8S_OK;
    if (seq->type != N_SEQ)
        return field_error(w, seq, field, "expected a list");
    for (size_t i = 0; i < seq->n; i++) {
        char sub[300];
        snprintf(sub, sizeof(sub), "%s[%zu]", field, i);
        char *grown = realloc(*arr, (*n + 1) * spec->size);
        if (!grown)
            return oom(w);
        *arr = grown;
        char *elem = grown + *n * spec->size;
        memset(elem, 0, spec->size);
        struct k8s_kc_mark *mark = (struct k8s_kc_mark *)(elem + spec->mark_off);
        *mark = (struct k8s_kc_mark){w->d->file, seq->items[i]->line, seq->items[i]->col};
        enum k8s_status st = named_entry(w, spec, seq->items[i], sub, elem);
        if (st == K8S_OK && has_name(*arr, *n, spec->size, *(char **)elem)) {
            /* client-go refuses the whole file (clientcmd/api/v1 conversion). */
            char what[300];
            snprintf(what, sizeof(what), "duplicate name \"%.200s\" in list", *(char **)elem);
            st = field_error(w, seq->items[i], sub, what);
        }
        if (st != K8S_OK) {
            spec->free_fn(elem);
            return st;
        }
        (*n)++;
    }
    return K8S_OK;
}

/* --- top level and merging --- */

static enum k8s_status top_field(struct walk *w, const char *key, const struct node *v,
                                 const char *field, void *obj)
{
    struct k8s_kubeconfig *kc = obj;
    if (key_is(key, "clusters"))
        return named_list(w, &cluster_spec, v, field, (char **)&kc->clusters, &kc->nclusters);
    if (key_is(key, "users"))
        return named_list(w, &user_spec, v, field, (char **)&kc->users, &kc->nusers);
    if (key_is(key, "contexts"))
        return named_list(w, &context_spec, v, field, (char **)&kc->contexts, &kc->ncontexts);
    if (key_is(key, "current-context"))
        return get_string(w, v, field, &kc->current_context);
    return K8S_OK; /* apiVersion, kind, preferences, extensions, unknown */
}

/*
 * Moves the entries of src that dst lacks to the end of dst, whose capacity
 * the caller reserved (first definition wins); frees the others.
 */
static void merge_list(const struct list_spec *spec, char *dst, size_t *dn, char *src, size_t sn)
{
    for (size_t i = 0; i < sn; i++) {
        char *elem = src + i * spec->size;
        if (has_name(dst, *dn, spec->size, *(char **)elem)) {
            spec->free_fn(elem);
            continue;
        }
        memcpy(dst + *dn * spec->size, elem, spec->size);
        (*dn)++;
    }
}

static enum k8s_status merge(struct k8s_kubeconfig *kc, struct k8s_kubeconfig *tmp, char *file)
{
    char **files = realloc(kc->files, (kc->nfiles + 1) * sizeof(char *));
    if (!files)
        return K8S_ENOMEM;
    kc->files = files;
    /* Reserve first so that the moves below cannot fail half-way. */
    char *c = realloc(kc->clusters, (kc->nclusters + tmp->nclusters + 1) * cluster_spec.size);
    if (c)
        kc->clusters = (struct k8s_kc_cluster *)c;
    char *u = c ? realloc(kc->users, (kc->nusers + tmp->nusers + 1) * user_spec.size) : NULL;
    if (u)
        kc->users = (struct k8s_kc_user *)u;
    char *x =
        u ? realloc(kc->contexts, (kc->ncontexts + tmp->ncontexts + 1) * context_spec.size) : NULL;
    if (!x)
        return K8S_ENOMEM;
    kc->contexts = (struct k8s_kc_context *)x;
    merge_list(&cluster_spec, (char *)kc->clusters, &kc->nclusters, (char *)tmp->clusters,
               tmp->nclusters);
    merge_list(&user_spec, (char *)kc->users, &kc->nusers, (char *)tmp->users, tmp->nusers);
    merge_list(&context_spec, (char *)kc->contexts, &kc->ncontexts, (char *)tmp->contexts,
               tmp->ncontexts);
    tmp->nclusters = tmp->nusers = tmp->ncontexts = 0;
    if (!kc->current_context && tmp->current_context && tmp->current_context[0]) {
        kc->current_context = tmp->current_context;
        kc->current_context_file = file;
        tmp->current_context = NULL;
    }
    kc->files[kc->nfiles++] = file;
    return K8S_OK;
}

/* Absolute directory of a file (client-go resolves against filepath.Abs of the file). */
static char *dir_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    char *dir = slash ? strndup(file, slash == file ? 1 : (size_t)(slash - file)) : strdup(".");
    if (!dir || dir[0] == '/')
        return dir;
    char *cwd = getcwd(NULL, 0);
    char *abs = NULL;
    if (cwd && asprintf(&abs, "%s/%s", cwd, dir) < 0)
        abs = NULL;
    free(cwd);
    free(dir);
    return abs;
}

enum k8s_status k8s_kubeconfig_load_buffer(struct k8s_kubeconfig *kc, const char *data, size_t len,
                                           const char *file, struct k8s_error *err)
{
    char *name = strdup(file ? file : "<memory>");
    char *dir = file ? dir_of(file) : NULL;
    struct k8s_kubeconfig tmp;
    k8s_kubeconfig_init(&tmp);
    struct doc d = {.file = name, .err = err};
    struct walk w = {.d = &d, .dir = dir};
    struct node *root = NULL;
    enum k8s_status st = K8S_OK;
    if (!name || (file && !dir)) {
        st = k8s_error_set(err, K8S_ENOMEM, "out of memory");
        goto out;
    }
    st = parse_doc(&d, data, len, &root);
    if (st == K8S_OK && root && !is_null(root) && root->type != N_MAP)
        st = field_error(&w, root, "(document)", "a kubeconfig must be a mapping");
    if (st == K8S_OK && !is_null(root))
        st = each_key(&w, root, "", top_field, &tmp);
    if (st == K8S_OK && merge(kc, &tmp, name) != K8S_OK)
        st = k8s_error_set(err, K8S_ENOMEM, "out of memory");
    if (st == K8S_OK)
        name = NULL; /* now owned by kc->files */
out:
    node_free(root);
    k8s_kubeconfig_free(&tmp);
    free(name);
    free(dir);
    return st;
}

/* Reads a whole file (at most MAX_FILE_BYTES). */
static enum k8s_status read_file(const char *path, char **data, size_t *len, struct k8s_error *err)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return k8s_error_set(err, errno == ENOENT ? K8S_ECONFIG : K8S_EIO, "%s: %s", path,
                             strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    enum k8s_status st = K8S_OK;
    while (buf) {
        if (n == cap) {
            char *g = cap < MAX_FILE_BYTES ? realloc(buf, cap * 2) : NULL;
            if (!g) {
                st = cap < MAX_FILE_BYTES
                         ? k8s_error_set(err, K8S_ENOMEM, "out of memory reading %s", path)
                         : k8s_error_set(err, K8S_ECONFIG, "%s: larger than 16 MiB", path);
                break;
            }
            buf = g;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f))
                st = k8s_error_set(err, K8S_EIO, "%s: read error", path);
            break;
        }
    }
    fclose(f);
    if (!buf)
        return k8s_error_set(err, K8S_ENOMEM, "out of memory reading %s", path);
    if (st != K8S_OK) {
        free(buf);
        return st;
    }
    *data = buf;
    *len = n;
    return K8S_OK;
}

enum k8s_status k8s_kubeconfig_load_file(struct k8s_kubeconfig *kc, const char *path,
                                         struct k8s_error *err)
{
    char *data = NULL;
    size_t len = 0;
    enum k8s_status st = read_file(path, &data, &len, err);
    if (st != K8S_OK)
        return st;
    st = k8s_kubeconfig_load_buffer(kc, data, len, path, err);
    free(data);
    return st;
}

enum k8s_status k8s_kubeconfig_load_paths(struct k8s_kubeconfig *kc, const char *list,
                                          size_t *nloaded, struct k8s_error *err)
{
    size_t loaded = 0;
    enum k8s_status st = K8S_OK;
    for (const char *p = list ? list : ""; *p && st == K8S_OK;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char *path = strndup(p, n);
        if (!path)
            return k8s_error_set(err, K8S_ENOMEM, "out of memory");
        if (n > 0 && access(path, F_OK) == 0) {
            /* The same file twice is read once (client-go deduplicates the list). */
            bool seen = false;
            for (size_t i = 0; i < kc->nfiles; i++)
                seen |= strcmp(kc->files[i], path) == 0;
            if (!seen) {
                st = k8s_kubeconfig_load_file(kc, path, err);
                loaded += st == K8S_OK;
            }
        }
        free(path);
        p += n + (end ? 1 : 0);
    }
    if (nloaded)
        *nloaded = loaded;
    return st;
}

static const void *find(const char *arr, size_t n, size_t size, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(*(char *const *)(arr + i * size), name) == 0)
            return arr + i * size;
    }
    return NULL;
}

const struct k8s_kc_cluster *k8s_kubeconfig_cluster(const struct k8s_kubeconfig *kc,
                                                    const char *name)
{
    return find((const char *)kc->clusters, kc->nclusters, sizeof(*kc->clusters), name);
}

const struct k8s_kc_user *k8s_kubeconfig_user(const struct k8s_kubeconfig *kc, const char *name)
{
    return find((const char *)kc->users, kc->nusers, sizeof(*kc->users), name);
}

const struct k8s_kc_context *k8s_kubeconfig_context(const struct k8s_kubeconfig *kc,
                                                    const char *name)
{
    return find((const char *)kc->contexts, kc->ncontexts, sizeof(*kc->contexts), name);
}
