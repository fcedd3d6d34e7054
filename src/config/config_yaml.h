/*
 * config_yaml: the schema walker shared by the config's parts (config.c for
 * the top level and pools, config_<provider>.c for each provider's block).
 * Internal to src/config.
 *
 * Every getter visits its node (a node reached twice came through a YAML
 * alias: refused), checks type and range, and on error writes one line
 * "file:line:col: path: problem" into the context and returns
 * CONFIG_ERR_INVALID. Strings are copied (the config owns them).
 */
#ifndef PREWARM_CONFIG_YAML_H
#define PREWARM_CONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "config.h"

/* Parsing context: one per load; nothing global. */
struct config_ctx {
    const char *name; /* file name used in messages */
    yaml_document_t *doc;
    unsigned char *seen; /* one byte per node: refuses aliases */
    size_t nnodes;
    char *err;
    size_t errlen;
};

/* Called for each known key of a mapping; index is the key's index in the
 * table handed to walk_map. */
typedef enum config_status config_field_fn(struct config_ctx *c, size_t index, yaml_node_t *value,
                                           const char *path, void *obj);

enum config_status config_fail(struct config_ctx *c, const yaml_node_t *node, const char *path,
                               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
yaml_node_t *config_node_at(struct config_ctx *c, int index);
enum config_status config_visit(struct config_ctx *c, yaml_node_t *node, const char *path);
const char *config_scalar(const yaml_node_t *node);
/* A string of at most maxlen bytes; replaces (frees) *out. */
enum config_status config_get_string(struct config_ctx *c, yaml_node_t *node, const char *path,
                                     size_t maxlen, char **out);
enum config_status config_get_uint(struct config_ctx *c, yaml_node_t *node, const char *path,
                                   uint32_t min, uint32_t max, uint32_t *out);
/* A sequence (config_get_list) or a mapping (config_get_map): anything else
 * fails with "must be <what>"; *n is its number of items or pairs. */
enum config_status config_get_list(struct config_ctx *c, yaml_node_t *node, const char *path,
                                   const char *what, size_t *n);
enum config_status config_get_map(struct config_ctx *c, yaml_node_t *node, const char *path,
                                  const char *what, size_t *n);
/* Walks a mapping whose keys must be among keys[0..nkeys) (nkeys <= 64);
 * duplicates and unknown keys are errors; fn gets each key's index. */
enum config_status config_walk_map(struct config_ctx *c, yaml_node_t *node, const char *path,
                                   const char *const *keys, size_t nkeys, config_field_fn *fn,
                                   void *obj);

/* A provider's block in a pool ("local:", "kubernetes:"): one entry per
 * provider in config.c's table. parse fills the pool from the block's
 * mapping; check runs once the pool is read, for the pool's own provider
 * (required fields, defaults, paths); free releases what parse allocated. */
struct config_provider_block {
    const char *name; /* the provider's name and its block's key */
    enum config_provider kind;
    enum config_status (*parse)(struct config_ctx *c, yaml_node_t *node, const char *path,
                                struct config_pool *p);
    enum config_status (*check)(struct config_ctx *c, yaml_node_t *node, const char *path,
                                struct config_pool *p);
    void (*defaults)(struct config_pool *p);
    void (*free)(struct config_pool *p);
};

extern const struct config_provider_block config_local_block;
extern const struct config_provider_block config_kubernetes_block;

/* The top-level `kubernetes:` block (config_kubernetes.c). */
enum config_status config_kubernetes_connection(struct config_ctx *c, yaml_node_t *node,
                                                const char *path, struct kube_connection *k);

/* The "sizing:" block of a pool (config_sizing.c); read once the pool's
 * sizes are checked. */
enum config_status config_sizing_parse(struct config_ctx *c, yaml_node_t *node, const char *path,
                                       struct config_pool *p);

/* true or false. */
enum config_status config_get_bool(struct config_ctx *c, yaml_node_t *node, const char *path,
                                   bool *out);
/* A file name; a relative one is taken from the config file's directory. */
enum config_status config_get_file(struct config_ctx *c, yaml_node_t *node, const char *path,
                                   char **out);

/* The server's own top-level fields (config_server.c): "listen",
 * "health_listen", "limits", "auth", "connect_tokens"; key names which. */
enum config_status config_server_field(struct config_ctx *c, const char *key, yaml_node_t *v,
                                       const char *path, struct config *cfg);
/* A listener's "tls:" block (config_tls.c): files loaded and checked now. */
enum config_status config_tls_parse(struct config_ctx *c, yaml_node_t *v, const char *path,
                                    struct config_tls *tls);
void config_tls_free(struct config_tls *tls);
/* Their defaults, and what config_free releases of them. */
void config_server_defaults(struct config *cfg);
void config_server_free(struct config *cfg);

#endif
