/* config_yaml: the schema walker (see config_yaml.h). */
#include "config_yaml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oom.h"

enum config_status config_fail(struct config_ctx *c, const yaml_node_t *node, const char *path,
                               const char *fmt, ...)
{
    int n = snprintf(c->err, c->errlen, "%s:%zu:%zu: %s: ", c->name,
                     node ? node->start_mark.line + 1 : 1, node ? node->start_mark.column + 1 : 1,
                     *path ? path : "(top level)");
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return CONFIG_ERR_INVALID;
}

yaml_node_t *config_node_at(struct config_ctx *c, int index)
{
    return yaml_document_get_node(c->doc, index);
}

/* Marks a node visited; a node reached twice came through an alias. */
enum config_status config_visit(struct config_ctx *c, yaml_node_t *node, const char *path)
{
    size_t i = (size_t)(node - c->doc->nodes.start);
    if (i >= c->nnodes)
        return config_fail(c, node, path, "internal error: node out of range");
    if (c->seen[i])
        return config_fail(c, node, path, "YAML aliases are not supported");
    c->seen[i] = 1;
    return CONFIG_OK;
}

static enum config_status get_collection(struct config_ctx *c, yaml_node_t *node, const char *path,
                                         yaml_node_type_t type, const char *what, size_t *n)
{
    enum config_status rc = config_visit(c, node, path);
    if (rc)
        return rc;
    if (node->type != type)
        return config_fail(c, node, path, "must be %s", what);
    if (type == YAML_SEQUENCE_NODE)
        *n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    else
        *n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    return CONFIG_OK;
}

enum config_status config_get_list(struct config_ctx *c, yaml_node_t *node, const char *path,
                                   const char *what, size_t *n)
{
    return get_collection(c, node, path, YAML_SEQUENCE_NODE, what, n);
}

enum config_status config_get_map(struct config_ctx *c, yaml_node_t *node, const char *path,
                                  const char *what, size_t *n)
{
    return get_collection(c, node, path, YAML_MAPPING_NODE, what, n);
}

const char *config_scalar(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

static int is_plain_null(const yaml_node_t *node)
{
    if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *s = config_scalar(node);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

enum config_status config_get_string(struct config_ctx *c, yaml_node_t *node, const char *path,
                                     size_t maxlen, char **out)
{
    enum config_status rc = config_visit(c, node, path);
    if (rc)
        return rc;
    if (node->type != YAML_SCALAR_NODE || is_plain_null(node))
        return config_fail(c, node, path, "must be a string");
    if (node->data.scalar.length > maxlen ||
        strlen(config_scalar(node)) != node->data.scalar.length)
        return config_fail(c, node, path, "must be a string of at most %zu bytes without NUL",
                           maxlen);
    free(*out);
    *out = xstrdup(config_scalar(node));
    return CONFIG_OK;
}

enum config_status config_get_uint(struct config_ctx *c, yaml_node_t *node, const char *path,
                                   uint32_t min, uint32_t max, uint32_t *out)
{
    enum config_status rc = config_visit(c, node, path);
    if (rc)
        return rc;
    const char *s = node->type == YAML_SCALAR_NODE ? config_scalar(node) : "";
    int ok = node->type == YAML_SCALAR_NODE && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
             *s && strlen(s) <= 10 && strspn(s, "0123456789") == strlen(s);
    unsigned long long v = ok ? strtoull(s, NULL, 10) : 0;
    if (!ok || v < min || v > max)
        return config_fail(c, node, path, "must be an integer between %u and %u", min, max);
    *out = (uint32_t)v;
    return CONFIG_OK;
}

/* Walks a mapping whose keys must be among keys[0..nkeys); duplicates and
 * unknown keys are errors. */
enum config_status config_walk_map(struct config_ctx *c, yaml_node_t *node, const char *path,
                                   const char *const *keys, size_t nkeys, config_field_fn *fn,
                                   void *obj)
{
    enum config_status rc = config_visit(c, node, path);
    if (rc)
        return rc;
    if (node->type != YAML_MAPPING_NODE)
        return config_fail(c, node, path, "must be a mapping");
    uint64_t present = 0;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = config_node_at(c, p->key), *v = config_node_at(c, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE)
            return config_fail(c, k ? k : node, path, "keys must be strings");
        size_t i = 0;
        while (i < nkeys && strcmp(keys[i], config_scalar(k)))
            i++;
        char sub[512];
        if (snprintf(sub, sizeof sub, "%s%s%.100s", path, *path ? "." : "", config_scalar(k)) < 0)
            return config_fail(c, k, path, "internal error: field name");
        if (i == nkeys || strlen(config_scalar(k)) != k->data.scalar.length)
            return config_fail(c, k, sub, "unknown field");
        if (present & (1ull << i))
            return config_fail(c, k, sub, "duplicate field");
        present |= 1ull << i;
        if ((rc = fn(c, i, v, sub, obj)))
            return rc;
    }
    return CONFIG_OK;
}
