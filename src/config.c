/* config: YAML configuration parsing and validation (see config.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_POOLS     256
#define MAX_ARGS      64
#define MAX_ARG_LEN   4096
#define MAX_NAME_LEN  63
#define MAX_PATH_LEN  1024
#define MAX_FILE_SIZE (1u << 20)

/* Parsing context: one per load; nothing global. */
struct ctx {
    const char *name; /* file name used in messages */
    yaml_document_t *doc;
    unsigned char *seen; /* one byte per node: refuses aliases */
    size_t nnodes;
    char *err;
    size_t errlen;
};

/* Called for each known key of a mapping; index is the key's index in the
 * table handed to walk_map. */
typedef enum config_status field_fn(struct ctx *c, size_t index, yaml_node_t *value,
                                    const char *path, void *obj);

static enum config_status fail(struct ctx *c, const yaml_node_t *node, const char *path,
                               const char *fmt, ...)
{
    int n = snprintf(c->err, c->errlen, "%s:%zu:%zu: %s: ", c->name,
                     node ? node->start_mark.line + 1 : 1, node ? node->start_mark.column + 1 : 1,
                     path);
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return CONFIG_ERR_INVALID;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort(); /* the service aborts on out-of-memory */
    return d;
}

static yaml_node_t *node_at(struct ctx *c, int index)
{
    return yaml_document_get_node(c->doc, index);
}

/* Marks a node visited; a node reached twice came through an alias. */
static enum config_status visit(struct ctx *c, yaml_node_t *node, const char *path)
{
    size_t i = (size_t)(node - c->doc->nodes.start);
    if (i >= c->nnodes)
        return fail(c, node, path, "internal error: node out of range");
    if (c->seen[i])
        return fail(c, node, path, "YAML aliases are not supported");
    c->seen[i] = 1;
    return CONFIG_OK;
}

static const char *scalar(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

static int is_plain_null(const yaml_node_t *node)
{
    if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *s = scalar(node);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static enum config_status get_string(struct ctx *c, yaml_node_t *node, const char *path,
                                     size_t maxlen, char **out)
{
    enum config_status rc = visit(c, node, path);
    if (rc)
        return rc;
    if (node->type != YAML_SCALAR_NODE || is_plain_null(node))
        return fail(c, node, path, "must be a string");
    if (node->data.scalar.length > maxlen || strlen(scalar(node)) != node->data.scalar.length)
        return fail(c, node, path, "must be a string of at most %zu bytes without NUL", maxlen);
    free(*out);
    *out = xstrdup(scalar(node));
    return CONFIG_OK;
}

static enum config_status get_uint(struct ctx *c, yaml_node_t *node, const char *path, uint32_t min,
                                   uint32_t max, uint32_t *out)
{
    enum config_status rc = visit(c, node, path);
    if (rc)
        return rc;
    const char *s = node->type == YAML_SCALAR_NODE ? scalar(node) : "";
    int ok = node->type == YAML_SCALAR_NODE && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
             *s && strlen(s) <= 10 && strspn(s, "0123456789") == strlen(s);
    unsigned long long v = ok ? strtoull(s, NULL, 10) : 0;
    if (!ok || v < min || v > max)
        return fail(c, node, path, "must be an integer between %u and %u", min, max);
    *out = (uint32_t)v;
    return CONFIG_OK;
}

/* Walks a mapping whose keys must be among keys[0..nkeys); duplicates and
 * unknown keys are errors. */
static enum config_status walk_map(struct ctx *c, yaml_node_t *node, const char *path,
                                   const char *const *keys, size_t nkeys, field_fn *fn, void *obj)
{
    enum config_status rc = visit(c, node, path);
    if (rc)
        return rc;
    if (node->type != YAML_MAPPING_NODE)
        return fail(c, node, path, "must be a mapping");
    uint64_t present = 0;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE)
            return fail(c, k ? k : node, path, "keys must be strings");
        size_t i = 0;
        while (i < nkeys && strcmp(keys[i], scalar(k)))
            i++;
        char sub[512];
        if (snprintf(sub, sizeof sub, "%s%s%.100s", path, *path ? "." : "", scalar(k)) < 0)
            return fail(c, k, path, "internal error: field name");
        if (i == nkeys || strlen(scalar(k)) != k->data.scalar.length)
            return fail(c, k, sub, "unknown field");
        if (present & (1ull << i))
            return fail(c, k, sub, "duplicate field");
        present |= 1ull << i;
        if ((rc = fn(c, i, v, sub, obj)))
            return rc;
    }
    return CONFIG_OK;
}

/* ---- limits ---- */

static const char *const limit_keys[] = {"max_header_bytes", "max_body_bytes", "max_connections"};

static enum config_status limit_field(struct ctx *c, size_t i, yaml_node_t *v, const char *path,
                                      void *obj)
{
    struct config_limits *l = obj;
    if (i == 0)
        return get_uint(c, v, path, 1024, 1u << 20, &l->max_header_bytes);
    if (i == 1)
        return get_uint(c, v, path, 1024, 64u << 20, &l->max_body_bytes);
    return get_uint(c, v, path, 1, 1000000, &l->max_connections);
}

/* ---- local provider section ---- */

static enum config_status get_command(struct ctx *c, yaml_node_t *node, const char *path,
                                      struct config_local *l)
{
    enum config_status rc = visit(c, node, path);
    if (rc)
        return rc;
    if (node->type != YAML_SEQUENCE_NODE)
        return fail(c, node, path, "must be a list of strings (argv, no shell)");
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (n == 0 || n > MAX_ARGS)
        return fail(c, node, path, "must have between 1 and %d entries", MAX_ARGS);
    l->command = calloc(n + 1, sizeof *l->command);
    if (!l->command)
        abort();
    for (size_t i = 0; i < n; i++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        yaml_node_t *item = node_at(c, node->data.sequence.items.start[i]);
        if (!item)
            return fail(c, node, sub, "missing item");
        if ((rc = get_string(c, item, sub, MAX_ARG_LEN, &l->command[i])))
            return rc;
        l->command_len = i + 1;
    }
    if (!*l->command[0])
        return fail(c, node, path, "command[0] must not be empty");
    return CONFIG_OK;
}

static const char *const probe_keys[] = {"type", "path"};

static enum config_status probe_field(struct ctx *c, size_t i, yaml_node_t *v, const char *path,
                                      void *obj)
{
    struct config_local *l = obj;
    if (i == 1) {
        enum config_status rc = get_string(c, v, path, 1024, &l->probe_path);
        if (rc == CONFIG_OK && (l->probe_path[0] != '/' || strpbrk(l->probe_path, " \r\n")))
            return fail(c, v, path, "must start with '/' and contain no spaces");
        return rc;
    }
    char *type = NULL;
    enum config_status rc = get_string(c, v, path, 16, &type);
    if (rc == CONFIG_OK && !strcmp(type, "tcp"))
        l->probe = CONFIG_PROBE_TCP;
    else if (rc == CONFIG_OK && !strcmp(type, "http"))
        l->probe = CONFIG_PROBE_HTTP;
    else if (rc == CONFIG_OK)
        rc = fail(c, v, path, "must be tcp or http");
    free(type);
    return rc;
}

static const char *const local_keys[] = {"command", "probe", "stop_grace_seconds"};

static enum config_status local_field(struct ctx *c, size_t i, yaml_node_t *v, const char *path,
                                      void *obj)
{
    struct config_local *l = obj;
    if (i == 0)
        return get_command(c, v, path, l);
    if (i == 1)
        return walk_map(c, v, path, probe_keys, 2, probe_field, l);
    uint32_t s = 0;
    enum config_status rc = get_uint(c, v, path, 0, 3600, &s);
    l->stop_grace_ms = s * 1000;
    return rc;
}

/* ---- pools ---- */

static const char *const pool_keys[] = {"name",
                                        "provider",
                                        "min_idle",
                                        "max_idle",
                                        "max_total",
                                        "session_ttl_seconds",
                                        "session_ttl_max_seconds",
                                        "idle_timeout_seconds",
                                        "max_waiters",
                                        "start_timeout_seconds",
                                        "local"};

struct uint_field {
    size_t offset;
    uint32_t min, max;
};

/* Indexed like pool_keys, from "min_idle" (2) to "start_timeout_seconds" (9). */
static const struct uint_field pool_uints[] = {
    {offsetof(struct config_pool, min_idle), 0, 100000},
    {offsetof(struct config_pool, max_idle), 0, 100000},
    {offsetof(struct config_pool, max_total), 1, 100000},
    {offsetof(struct config_pool, session_ttl_s), 1, 30 * 86400},
    {offsetof(struct config_pool, session_ttl_max_s), 1, 30 * 86400},
    {offsetof(struct config_pool, idle_timeout_s), 0, 30 * 86400},
    {offsetof(struct config_pool, max_waiters), 0, 1000000},
    {offsetof(struct config_pool, start_timeout_s), 1, 3600},
};

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= MAX_NAME_LEN &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static enum config_status pool_field(struct ctx *c, size_t i, yaml_node_t *v, const char *path,
                                     void *obj)
{
    struct config_pool *p = obj;
    enum config_status rc;
    if (i == 0) {
        rc = get_string(c, v, path, 256, &p->name);
        if (rc == CONFIG_OK && !valid_name(p->name))
            return fail(c, v, path, "must be 1 to %d characters from [A-Za-z0-9_.-]", MAX_NAME_LEN);
        return rc;
    }
    if (i == 1) {
        char *prov = NULL;
        rc = get_string(c, v, path, 32, &prov);
        if (rc == CONFIG_OK && strcmp(prov, "local"))
            rc = !strcmp(prov, "kubernetes")
                     ? fail(c, v, path, "provider kubernetes is not built yet (use local)")
                     : fail(c, v, path, "must be local or kubernetes");
        free(prov);
        return rc;
    }
    if (i == 10)
        return walk_map(c, v, path, local_keys, 3, local_field, &p->local);
    const struct uint_field *f = &pool_uints[i - 2];
    return get_uint(c, v, path, f->min, f->max, (uint32_t *)((char *)p + f->offset));
}

static void pool_defaults(struct config_pool *p)
{
    p->provider = CONFIG_PROVIDER_LOCAL;
    p->min_idle = 1;
    p->max_idle = UINT32_MAX; /* unset: becomes max(min_idle, ...) below */
    p->max_total = 10;
    p->session_ttl_s = 300;
    p->session_ttl_max_s = 3600;
    p->idle_timeout_s = 0;
    p->max_waiters = 1000;
    p->start_timeout_s = 30;
    p->local.probe = CONFIG_PROBE_TCP;
    p->local.stop_grace_ms = 5000;
}

/* A command[0] holding a '/' that is relative is taken from the config
 * file's directory; a bare name is resolved later by the provider. */
static void resolve_command(struct ctx *c, struct config_local *l)
{
    char *cmd = l->command[0];
    const char *slash = strrchr(c->name, '/');
    if (cmd[0] == '/' || !strchr(cmd, '/') || !slash)
        return;
    size_t dirlen = (size_t)(slash - c->name) + 1;
    char *full = malloc(dirlen + strlen(cmd) + 1);
    if (!full)
        abort();
    memcpy(full, c->name, dirlen);
    memcpy(full + dirlen, cmd, strlen(cmd) + 1);
    free(cmd);
    l->command[0] = full;
}

static enum config_status check_pool(struct ctx *c, yaml_node_t *node, const char *path,
                                     struct config_pool *p)
{
    if (!p->name)
        return fail(c, node, path, "name is required");
    if (!p->local.command)
        return fail(c, node, path, "local.command is required for provider local");
    if (p->max_idle == UINT32_MAX)
        p->max_idle = p->min_idle > p->max_total ? p->min_idle : p->max_total;
    if (p->max_idle < p->min_idle)
        return fail(c, node, path, "max_idle (%u) must be >= min_idle (%u)", p->max_idle,
                    p->min_idle);
    if (p->max_total < p->max_idle)
        return fail(c, node, path, "max_total (%u) must be >= max_idle (%u)", p->max_total,
                    p->max_idle);
    if (p->session_ttl_max_s < p->session_ttl_s)
        return fail(c, node, path, "session_ttl_max_seconds must be >= session_ttl_seconds");
    if (!p->local.probe_path)
        p->local.probe_path = xstrdup("/");
    resolve_command(c, &p->local);
    return CONFIG_OK;
}

static enum config_status get_pools(struct ctx *c, yaml_node_t *node, struct config *cfg)
{
    enum config_status rc = visit(c, node, "pools");
    if (rc)
        return rc;
    if (node->type != YAML_SEQUENCE_NODE)
        return fail(c, node, "pools", "must be a list");
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (n == 0 || n > MAX_POOLS)
        return fail(c, node, "pools", "must have between 1 and %d pools", MAX_POOLS);
    cfg->pools = calloc(n, sizeof *cfg->pools);
    if (!cfg->pools)
        abort();
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "pools[%zu]", i);
        yaml_node_t *item = node_at(c, node->data.sequence.items.start[i]);
        struct config_pool *p = &cfg->pools[i];
        pool_defaults(p);
        cfg->npools = i + 1;
        if (!item)
            return fail(c, node, path, "missing item");
        if ((rc = walk_map(c, item, path, pool_keys, 11, pool_field, p)))
            return rc;
        if ((rc = check_pool(c, item, path, p)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(cfg->pools[j].name, p->name))
                return fail(c, item, path, "duplicate pool name \"%s\"", p->name);
    }
    return CONFIG_OK;
}

/* ---- top level ---- */

static const char *const top_keys[] = {"listen", "limits", "pools"};

static enum config_status top_field(struct ctx *c, size_t i, yaml_node_t *v, const char *path,
                                    void *obj)
{
    struct config *cfg = obj;
    if (i == 1)
        return walk_map(c, v, path, limit_keys, 3, limit_field, &cfg->limits);
    if (i == 2)
        return get_pools(c, v, cfg);
    char *text = NULL;
    enum config_status rc = get_string(c, v, path, 300, &text);
    char host[256];
    if (rc == CONFIG_OK && config_parse_listen(text, host, sizeof host, &cfg->listen_port) == 0) {
        free(cfg->listen_host);
        cfg->listen_host = xstrdup(host);
    } else if (rc == CONFIG_OK) {
        rc = fail(c, v, path, "must be HOST:PORT with a port between 0 and 65535");
    }
    free(text);
    return rc;
}

static enum config_status load_root(struct ctx *c, struct config *cfg)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    if (!root)
        return fail(c, NULL, "pools", "is required (the file is empty)");
    enum config_status rc = walk_map(c, root, "", top_keys, 3, top_field, cfg);
    if (rc == CONFIG_OK && !cfg->pools)
        rc = fail(c, root, "pools", "is required");
    return rc;
}

static enum config_status syntax_error(struct ctx *c, const yaml_parser_t *parser)
{
    snprintf(c->err, c->errlen, "%s:%zu:%zu: syntax: %s%s%s", c->name,
             parser->problem_mark.line + 1, parser->problem_mark.column + 1,
             parser->problem ? parser->problem : "malformed YAML", parser->context ? " " : "",
             parser->context ? parser->context : "");
    return CONFIG_ERR_SYNTAX;
}

static struct config *config_new(const char *name)
{
    struct config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        abort();
    cfg->path = xstrdup(name);
    cfg->listen_host = xstrdup("127.0.0.1");
    cfg->listen_port = 8080;
    cfg->limits.max_header_bytes = 16384;
    cfg->limits.max_body_bytes = 65536;
    cfg->limits.max_connections = 1024;
    return cfg;
}

enum config_status config_load_string(const char *name, const char *text, size_t len,
                                      struct config **out, char *err, size_t errlen)
{
    struct ctx c = {.name = name, .err = err, .errlen = errlen};
    yaml_parser_t parser;
    yaml_document_t doc;
    enum config_status rc;
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (!yaml_parser_initialize(&parser))
        abort();
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = syntax_error(&c, &parser);
        yaml_parser_delete(&parser);
        return rc;
    }
    c.doc = &doc;
    c.nnodes = (size_t)(doc.nodes.top - doc.nodes.start);
    c.seen = calloc(c.nnodes + 1, 1);
    if (!c.seen)
        abort();
    struct config *cfg = config_new(name);
    rc = load_root(&c, cfg);
    free(c.seen);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc) {
        config_free(cfg);
        return rc;
    }
    *out = cfg;
    return CONFIG_OK;
}

enum config_status config_load_file(const char *path, struct config **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return CONFIG_ERR_IO;
    }
    char *buf = malloc(MAX_FILE_SIZE + 1);
    if (!buf)
        abort();
    size_t n = fread(buf, 1, MAX_FILE_SIZE + 1, f);
    int bad = ferror(f);
    fclose(f);
    enum config_status rc = CONFIG_ERR_IO;
    if (bad)
        snprintf(err, errlen, "%s: read error", path);
    else if (n > MAX_FILE_SIZE)
        snprintf(err, errlen, "%s: larger than %u bytes", path, MAX_FILE_SIZE);
    else
        rc = config_load_string(path, buf, n, out, err, errlen);
    free(buf);
    return rc;
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->npools; i++) {
        struct config_pool *p = &cfg->pools[i];
        free(p->name);
        for (size_t j = 0; p->local.command && p->local.command[j]; j++)
            free(p->local.command[j]);
        free(p->local.command);
        free(p->local.probe_path);
    }
    free(cfg->pools);
    free(cfg->listen_host);
    free(cfg->path);
    free(cfg);
}

int config_parse_listen(const char *text, char *host, size_t hostlen, uint16_t *port)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text)
        return -1;
    const char *h = text, *hend = colon;
    if (*h == '[') {
        if (hend[-1] != ']' || hend - h < 3)
            return -1;
        h++;
        hend--;
    }
    const char *p = colon + 1;
    size_t plen = strlen(p);
    if (plen == 0 || plen > 5 || strspn(p, "0123456789") != plen)
        return -1;
    unsigned long port_value = strtoul(p, NULL, 10);
    if (port_value > 65535)
        return -1;
    size_t hl = (size_t)(hend - h);
    if (hl + 1 > hostlen || memchr(h, ' ', hl))
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (uint16_t)port_value;
    return 0;
}

const char *config_status_str(enum config_status status)
{
    switch (status) {
    case CONFIG_OK:
        return "ok";
    case CONFIG_ERR_IO:
        return "cannot read file";
    case CONFIG_ERR_SYNTAX:
        return "syntax error";
    case CONFIG_ERR_INVALID:
        return "invalid configuration";
    case CONFIG_ERR_NOMEM:
        return "out of memory";
    }
    return "unknown";
}
