#include "k8s_yaml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define MAX_DEPTH 64

static cJSON *convert(yaml_document_t *doc, yaml_node_t *node, int depth);

static bool is_null(const char *s)
{
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static int parse_bool(const char *s)
{
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
        return 1;
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
        return 0;
    return -1;
}

static bool parse_number(const char *s, double *out)
{
    if (!*s || strchr("+-.0123456789", *s) == NULL || !strcmp(s, ".") || !strcmp(s, "-"))
        return false;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end || errno || strpbrk(s, "xXnNiI")) /* no hex, nan or inf */
        return false;
    *out = d;
    return true;
}

static cJSON *scalar(yaml_node_t *node)
{
    const char *s = (const char *)node->data.scalar.value;
    if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return cJSON_CreateString(s);
    double d;
    int b = parse_bool(s);
    if (is_null(s))
        return cJSON_CreateNull();
    if (b >= 0)
        return cJSON_CreateBool(b);
    if (parse_number(s, &d))
        return cJSON_CreateNumber(d);
    return cJSON_CreateString(s);
}

static cJSON *sequence(yaml_document_t *doc, yaml_node_t *node, int depth)
{
    cJSON *arr = cJSON_CreateArray();
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         arr && it < node->data.sequence.items.top; it++) {
        cJSON *v = convert(doc, yaml_document_get_node(doc, *it), depth + 1);
        if (!v || !cJSON_AddItemToArray(arr, v)) {
            cJSON_Delete(v);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

static cJSON *mapping(yaml_document_t *doc, yaml_node_t *node, int depth)
{
    cJSON *obj = cJSON_CreateObject();
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
         obj && p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (!k || k->type != YAML_SCALAR_NODE)
            goto fail;
        cJSON *v = convert(doc, yaml_document_get_node(doc, p->value), depth + 1);
        if (!v)
            goto fail;
        const char *key = (const char *)k->data.scalar.value;
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key); /* last duplicate wins */
        if (!cJSON_AddItemToObject(obj, key, v)) {
            cJSON_Delete(v);
            goto fail;
        }
    }
    return obj;
fail:
    cJSON_Delete(obj);
    return NULL;
}

static cJSON *convert(yaml_document_t *doc, yaml_node_t *node, int depth)
{
    if (!node || depth > MAX_DEPTH)
        return NULL;
    switch (node->type) {
    case YAML_SCALAR_NODE:
        return scalar(node);
    case YAML_SEQUENCE_NODE:
        return sequence(doc, node, depth);
    case YAML_MAPPING_NODE:
        return mapping(doc, node, depth);
    default:
        return NULL;
    }
}

enum k8s_status k8s_yaml_to_json(const char *text, size_t len, cJSON **out, struct k8s_error *err)
{
    *out = NULL;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return k8s_error_set(err, K8S_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    enum k8s_status st = K8S_OK;
    if (!yaml_parser_load(&parser, &doc)) {
        st = k8s_error_set(err, K8S_EINVAL, "%zu:%zu: %s", parser.problem_mark.line + 1,
                           parser.problem_mark.column + 1,
                           parser.problem ? parser.problem : "invalid YAML");
        yaml_parser_delete(&parser);
        return st;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root)
        st = k8s_error_set(err, K8S_EINVAL, "empty document");
    else if (!(*out = convert(&doc, root, 0)))
        st = k8s_error_set(err, K8S_EINVAL, "unsupported YAML (too deep or not convertible)");
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return st;
}
