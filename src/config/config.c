/* config: YAML configuration parsing and validation (see config.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_yaml.h"
#include "oom.h"

#define MAX_POOLS     256
#define MAX_NAME_LEN  63
#define MAX_FILE_SIZE (1u << 20)

/* ---- pools ---- */

/* Every provider's block; a new provider adds its entry here (and its
 * config_<name>.c). The first is the default provider. */
static const struct config_provider_block *const provider_blocks[] = {
    &config_local_block,
    &config_kubernetes_block,
};
#define NBLOCKS (sizeof provider_blocks / sizeof provider_blocks[0])

#define NPOOL_KEYS 11
#define SIZING_KEY 10
static const char *const pool_keys[NPOOL_KEYS] = {"name",
                                                  "provider",
                                                  "min_idle",
                                                  "max_idle",
                                                  "max_total",
                                                  "session_ttl_seconds",
                                                  "session_ttl_max_seconds",
                                                  "idle_timeout_seconds",
                                                  "max_waiters",
                                                  "start_timeout_seconds",
                                                  "sizing"};

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

/* A pool while it is read: which provider blocks were given, and where. */
struct pool_read {
    struct config_pool *p;
    yaml_node_t *blocks[NBLOCKS];
    const char *block_paths[NBLOCKS];
    char paths[NBLOCKS][96];
    yaml_node_t *sizing; /* read last: it checks against the pool's sizes */
    char sizing_path[96];
};

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= MAX_NAME_LEN &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static enum config_status get_provider(struct config_ctx *c, yaml_node_t *v, const char *path,
                                       struct config_pool *p)
{
    char *prov = NULL;
    enum config_status rc = config_get_string(c, v, path, 32, &prov);
    size_t i = 0;
    while (rc == CONFIG_OK && i < NBLOCKS && strcmp(prov, provider_blocks[i]->name))
        i++;
    if (rc == CONFIG_OK && i < NBLOCKS)
        p->provider = provider_blocks[i]->kind;
    else if (rc == CONFIG_OK)
        rc = config_fail(c, v, path, "must be local or kubernetes");
    free(prov);
    return rc;
}

static enum config_status pool_field(struct config_ctx *c, size_t i, yaml_node_t *v,
                                     const char *path, void *obj)
{
    struct pool_read *pr = obj;
    struct config_pool *p = pr->p;
    enum config_status rc;
    if (i == 0) {
        rc = config_get_string(c, v, path, 256, &p->name);
        if (rc == CONFIG_OK && !valid_name(p->name))
            return config_fail(c, v, path, "must be 1 to %d characters from [A-Za-z0-9_.-]",
                               MAX_NAME_LEN);
        return rc;
    }
    if (i == 1)
        return get_provider(c, v, path, p);
    if (i == SIZING_KEY) {
        pr->sizing = v;
        snprintf(pr->sizing_path, sizeof pr->sizing_path, "%s", path);
        return CONFIG_OK;
    }
    if (i >= NPOOL_KEYS) { /* a provider block: parsed once the provider is known */
        size_t b = i - NPOOL_KEYS;
        pr->blocks[b] = v;
        snprintf(pr->paths[b], sizeof pr->paths[b], "%s", path);
        return CONFIG_OK;
    }
    const struct uint_field *f = &pool_uints[i - 2];
    return config_get_uint(c, v, path, f->min, f->max, (uint32_t *)((char *)p + f->offset));
}

static void pool_defaults(struct config_pool *p)
{
    p->provider = provider_blocks[0]->kind;
    p->min_idle = 1;
    p->max_idle = UINT32_MAX; /* unset: becomes max(min_idle, ...) below */
    p->max_total = 10;
    p->session_ttl_s = 300;
    p->session_ttl_max_s = 3600;
    p->idle_timeout_s = 0;
    p->max_waiters = 1000;
    p->start_timeout_s = 30;
    for (size_t i = 0; i < NBLOCKS; i++)
        provider_blocks[i]->defaults(p);
}

static enum config_status check_sizes(struct config_ctx *c, yaml_node_t *node, const char *path,
                                      struct config_pool *p)
{
    if (p->max_idle == UINT32_MAX)
        p->max_idle = p->min_idle > p->max_total ? p->min_idle : p->max_total;
    if (p->max_idle < p->min_idle)
        return config_fail(c, node, path, "max_idle (%u) must be >= min_idle (%u)", p->max_idle,
                           p->min_idle);
    if (p->max_total < p->max_idle)
        return config_fail(c, node, path, "max_total (%u) must be >= max_idle (%u)", p->max_total,
                           p->max_idle);
    if (p->session_ttl_max_s < p->session_ttl_s)
        return config_fail(c, node, path, "session_ttl_max_seconds must be >= session_ttl_seconds");
    return CONFIG_OK;
}

/* Parses the block of the pool's provider; a block for another provider is
 * an error. Then the provider's own checks. */
static enum config_status read_blocks(struct config_ctx *c, yaml_node_t *node, const char *path,
                                      struct pool_read *pr)
{
    enum config_status rc;
    for (size_t i = 0; i < NBLOCKS; i++) {
        const struct config_provider_block *b = provider_blocks[i];
        if (pr->blocks[i] && b->kind != pr->p->provider)
            return config_fail(c, pr->blocks[i], pr->paths[i], "only for provider %s", b->name);
        if (pr->blocks[i] && (rc = b->parse(c, pr->blocks[i], pr->paths[i], pr->p)))
            return rc;
    }
    for (size_t i = 0; i < NBLOCKS; i++)
        if (provider_blocks[i]->kind == pr->p->provider)
            return provider_blocks[i]->check(c, node, path, pr->p);
    return CONFIG_OK;
}

static enum config_status read_pool(struct config_ctx *c, yaml_node_t *item, const char *path,
                                    struct config_pool *p)
{
    const char *keys[NPOOL_KEYS + NBLOCKS];
    struct pool_read pr = {.p = p};
    memcpy(keys, pool_keys, sizeof pool_keys);
    for (size_t i = 0; i < NBLOCKS; i++)
        keys[NPOOL_KEYS + i] = provider_blocks[i]->name;
    enum config_status rc =
        config_walk_map(c, item, path, keys, NPOOL_KEYS + NBLOCKS, pool_field, &pr);
    if (rc)
        return rc;
    if (!p->name)
        return config_fail(c, item, path, "name is required");
    if ((rc = read_blocks(c, item, path, &pr)) || (rc = check_sizes(c, item, path, p)))
        return rc;
    return pr.sizing ? config_sizing_parse(c, pr.sizing, pr.sizing_path, p) : CONFIG_OK;
}

static enum config_status get_pools(struct config_ctx *c, yaml_node_t *node, struct config *cfg)
{
    size_t n = 0;
    enum config_status rc = config_get_list(c, node, "pools", "a list", &n);
    if (rc)
        return rc;
    if (n == 0 || n > MAX_POOLS)
        return config_fail(c, node, "pools", "must have between 1 and %d pools", MAX_POOLS);
    cfg->pools = xcalloc(n, sizeof *cfg->pools);
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "pools[%zu]", i);
        yaml_node_t *item = config_node_at(c, node->data.sequence.items.start[i]);
        struct config_pool *p = &cfg->pools[i];
        pool_defaults(p);
        cfg->npools = i + 1;
        if (!item)
            return config_fail(c, node, path, "missing item");
        if ((rc = read_pool(c, item, path, p)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(cfg->pools[j].name, p->name))
                return config_fail(c, item, path, "duplicate pool name \"%s\"", p->name);
    }
    return CONFIG_OK;
}

/* ---- top level ---- */

static const char *const top_keys[] = {"pools",          "listen", "health_listen",
                                       "limits",         "tls",    "health_tls",
                                       "connect_tokens", "auth",   "kubernetes"};
#define NTOP_KEYS (sizeof top_keys / sizeof top_keys[0])

static enum config_status top_field(struct config_ctx *c, size_t i, yaml_node_t *v,
                                    const char *path, void *obj)
{
    struct config *cfg = obj;
    if (i == 0)
        return get_pools(c, v, cfg);
    if (i == NTOP_KEYS - 1)
        return config_kubernetes_connection(c, v, path, &cfg->kubernetes);
    return config_server_field(c, top_keys[i], v, path, cfg); /* config_server.c */
}

static enum config_status load_root(struct config_ctx *c, struct config *cfg)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    if (!root)
        return config_fail(c, NULL, "pools", "is required (the file is empty)");
    enum config_status rc = config_walk_map(c, root, "", top_keys, NTOP_KEYS, top_field, cfg);
    if (rc == CONFIG_OK && !cfg->pools)
        rc = config_fail(c, root, "pools", "is required");
    for (size_t i = 0; rc == CONFIG_OK && i < cfg->npools; i++)
        cfg->pools[i].kube.conn = &cfg->kubernetes;
    return rc;
}

static enum config_status syntax_error(struct config_ctx *c, const yaml_parser_t *parser)
{
    snprintf(c->err, c->errlen, "%s:%zu:%zu: syntax: %s%s%s", c->name,
             parser->problem_mark.line + 1, parser->problem_mark.column + 1,
             parser->problem ? parser->problem : "malformed YAML", parser->context ? " " : "",
             parser->context ? parser->context : "");
    return CONFIG_ERR_SYNTAX;
}

static struct config *config_new(const char *name)
{
    struct config *cfg = xcalloc(1, sizeof *cfg);
    cfg->path = xstrdup(name);
    config_server_defaults(cfg);
    kube_connection_defaults(&cfg->kubernetes);
    return cfg;
}

enum config_status config_load_string(const char *name, const char *text, size_t len,
                                      struct config **out, char *err, size_t errlen)
{
    struct config_ctx c = {.name = name, .err = err, .errlen = errlen};
    yaml_parser_t parser;
    yaml_document_t doc;
    enum config_status rc;
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (!yaml_parser_initialize(&parser))
        oom_abort(); /* its only failure */
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = syntax_error(&c, &parser);
        yaml_parser_delete(&parser);
        return rc;
    }
    c.doc = &doc;
    c.nnodes = (size_t)(doc.nodes.top - doc.nodes.start);
    c.seen = xcalloc(c.nnodes + 1, 1);
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
    char *buf = xmalloc(MAX_FILE_SIZE + 1);
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
        for (size_t j = 0; j < NBLOCKS; j++)
            provider_blocks[j]->free(p);
    }
    free(cfg->pools);
    kube_connection_free(&cfg->kubernetes);
    config_server_free(cfg);
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
    }
    return "unknown";
}
