/*
 * config_server: the server's own top-level fields (see config.h):
 *
 *     listen: "127.0.0.1:8080"           # host names resolve here, at load time
 *     health_listen: "127.0.0.1:8081"
 *     tls, health_tls: {cert_file, key_file, client_ca_file, min_version}
 *                                        # config_tls.c
 *     limits: {max_header_bytes, max_body_bytes, max_connections,
 *              max_connections_per_address, request_timeout_ms,
 *              idle_timeout_ms, max_output_bytes}
 *     auth: {tokens_file, open_probes, open_metrics, claim_rate, claim_burst,
 *            max_waiters_per_caller}
 *     connect_tokens: {key_file}
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config_yaml.h"
#include "oom.h"

#define MAX_PATH_LEN 1024

enum config_status config_get_bool(struct config_ctx *c, yaml_node_t *node, const char *path,
                                   bool *out)
{
    enum config_status rc = config_visit(c, node, path);
    if (rc)
        return rc;
    const char *s = node->type == YAML_SCALAR_NODE ? config_scalar(node) : "";
    if (strcmp(s, "true") && strcmp(s, "false"))
        return config_fail(c, node, path, "must be true or false");
    *out = s[0] == 't';
    return CONFIG_OK;
}

enum config_status config_get_file(struct config_ctx *c, yaml_node_t *node, const char *path,
                                   char **out)
{
    char *text = NULL;
    enum config_status rc = config_get_string(c, node, path, MAX_PATH_LEN, &text);
    if (rc == CONFIG_OK && !*text)
        rc = config_fail(c, node, path, "must not be empty");
    const char *slash = strrchr(c->name, '/');
    if (rc == CONFIG_OK) {
        size_t dir = text[0] == '/' || !slash ? 0 : (size_t)(slash - c->name) + 1;
        free(*out);
        *out = xmalloc(dir + strlen(text) + 1);
        memcpy(*out, c->name, dir);
        memcpy(*out + dir, text, strlen(text) + 1);
    }
    free(text);
    return rc;
}

int config_resolve_host(const char *host, char *out, size_t outlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return -1;
    const void *addr = res->ai_family == AF_INET
                           ? (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr
                           : (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr;
    int rc = inet_ntop(res->ai_family, addr, out, (socklen_t)outlen) ? 0 : -1;
    freeaddrinfo(res);
    return rc;
}

/* HOST:PORT with the host resolved now: a name that does not resolve is a
 * config error naming the field, not a failure at start. */
static enum config_status get_listen(struct config_ctx *c, yaml_node_t *v, const char *path,
                                     char **host, uint16_t *port)
{
    char *text = NULL, name[256], numeric[INET6_ADDRSTRLEN];
    enum config_status rc = config_get_string(c, v, path, 300, &text);
    if (rc == CONFIG_OK && config_parse_listen(text, name, sizeof name, port))
        rc = config_fail(c, v, path, "must be HOST:PORT with a port between 0 and 65535");
    else if (rc == CONFIG_OK && config_resolve_host(name, numeric, sizeof numeric))
        rc = config_fail(c, v, path, "cannot resolve host \"%s\" to an address", name);
    if (rc == CONFIG_OK) {
        free(*host);
        *host = xstrdup(numeric);
    }
    free(text);
    return rc;
}

struct uint_field {
    const char *key;
    size_t offset;
    uint32_t min, max;
};

static const struct uint_field limit_fields[] = {
    {"max_header_bytes", offsetof(struct config_limits, max_header_bytes), 1024, 1u << 20},
    {"max_body_bytes", offsetof(struct config_limits, max_body_bytes), 1024, 64u << 20},
    {"max_connections", offsetof(struct config_limits, max_connections), 1, 1000000},
    {"max_connections_per_address", offsetof(struct config_limits, max_per_address), 1, 1000000},
    {"request_timeout_ms", offsetof(struct config_limits, request_timeout_ms), 100, 3600000},
    {"idle_timeout_ms", offsetof(struct config_limits, idle_timeout_ms), 100, 86400000},
    {"max_output_bytes", offsetof(struct config_limits, max_output_bytes), 1u << 20, 1u << 31},
};
#define NLIMITS (sizeof limit_fields / sizeof limit_fields[0])

static enum config_status limit_field(struct config_ctx *c, size_t i, yaml_node_t *v,
                                      const char *path, void *obj)
{
    const struct uint_field *f = &limit_fields[i];
    return config_get_uint(c, v, path, f->min, f->max, (uint32_t *)((char *)obj + f->offset));
}

static const char *const auth_keys[] = {"tokens_file", "open_probes", "open_metrics",
                                        "claim_rate",  "claim_burst", "max_waiters_per_caller"};

static enum config_status auth_field(struct config_ctx *c, size_t i, yaml_node_t *v,
                                     const char *path, void *obj)
{
    struct config_auth *a = obj;
    switch (i) {
    case 0:
        return config_get_file(c, v, path, &a->tokens_file);
    case 1:
        return config_get_bool(c, v, path, &a->open_probes);
    case 2:
        return config_get_bool(c, v, path, &a->open_metrics);
    case 3:
        return config_get_uint(c, v, path, 0, 1000000, &a->claim_rate);
    case 4:
        return config_get_uint(c, v, path, 0, 10000000, &a->claim_burst);
    default:
        return config_get_uint(c, v, path, 0, 1000000, &a->max_waiters);
    }
}

static const char *const connect_keys[] = {"key_file"};

static enum config_status connect_field(struct config_ctx *c, size_t i, yaml_node_t *v,
                                        const char *path, void *obj)
{
    (void)i;
    return config_get_file(c, v, path, &((struct config *)obj)->connect_key_file);
}

enum config_status config_server_field(struct config_ctx *c, const char *key, yaml_node_t *v,
                                       const char *path, struct config *cfg)
{
    if (!strcmp(key, "listen"))
        return get_listen(c, v, path, &cfg->listen_host, &cfg->listen_port);
    if (!strcmp(key, "health_listen"))
        return get_listen(c, v, path, &cfg->health_host, &cfg->health_port);
    if (!strcmp(key, "limits")) {
        const char *keys[NLIMITS];
        for (size_t i = 0; i < NLIMITS; i++)
            keys[i] = limit_fields[i].key;
        return config_walk_map(c, v, path, keys, NLIMITS, limit_field, &cfg->limits);
    }
    if (!strcmp(key, "tls"))
        return config_tls_parse(c, v, path, &cfg->tls);
    if (!strcmp(key, "health_tls"))
        return config_tls_parse(c, v, path, &cfg->health_tls);
    if (!strcmp(key, "auth"))
        return config_walk_map(c, v, path, auth_keys, 6, auth_field, &cfg->auth);
    return config_walk_map(c, v, path, connect_keys, 1, connect_field, cfg);
}

void config_server_defaults(struct config *cfg)
{
    cfg->listen_host = xstrdup("127.0.0.1");
    cfg->listen_port = 8080;
    cfg->limits = (struct config_limits){.max_header_bytes = 16384,
                                         .max_body_bytes = 65536,
                                         .max_connections = 1024,
                                         .max_per_address = 256,
                                         .request_timeout_ms = 10000,
                                         .idle_timeout_ms = 60000,
                                         .max_output_bytes = 64u << 20};
    cfg->auth.open_probes = true;
}

void config_server_free(struct config *cfg)
{
    free(cfg->listen_host);
    free(cfg->health_host);
    free(cfg->auth.tokens_file);
    free(cfg->connect_key_file);
    config_tls_free(&cfg->tls);
    config_tls_free(&cfg->health_tls);
}
