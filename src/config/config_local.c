/*
 * config_local: the "local:" block of a pool (the local-process provider):
 *
 *     local:
 *       command: [prewarm-demo-backend, --port, "{port}", --pod, "{pod}"]
 *       probe: {type: tcp}           # or {type: http, path: /healthz}
 *              # + interval_ms, timeout_ms, failure_threshold (Ready pods)
 *       stop_grace_seconds: 5
 *       env: {NAME: value}           # the backend's environment (see config.h)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_yaml.h"
#include "oom.h"

#define MAX_ARGS    64
#define MAX_ARG_LEN 4096

static enum config_status get_command(struct config_ctx *c, yaml_node_t *node, const char *path,
                                      struct config_local *l)
{
    size_t n = 0;
    enum config_status rc =
        config_get_list(c, node, path, "a list of strings (argv, no shell)", &n);
    if (rc)
        return rc;
    if (n == 0 || n > MAX_ARGS)
        return config_fail(c, node, path, "must have between 1 and %d entries", MAX_ARGS);
    l->command = xcalloc(n + 1, sizeof *l->command);
    for (size_t i = 0; i < n; i++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        yaml_node_t *item = config_node_at(c, node->data.sequence.items.start[i]);
        if (!item)
            return config_fail(c, node, sub, "missing item");
        if ((rc = config_get_string(c, item, sub, MAX_ARG_LEN, &l->command[i])))
            return rc;
        l->command_len = i + 1;
    }
    if (!*l->command[0])
        return config_fail(c, node, path, "command[0] must not be empty");
    return CONFIG_OK;
}

static const char *const probe_keys[] = {"type", "path", "interval_ms", "timeout_ms",
                                         "failure_threshold"};

static enum config_status probe_field(struct config_ctx *c, size_t i, yaml_node_t *v,
                                      const char *path, void *obj)
{
    struct config_local *l = obj;
    if (i == 2)
        return config_get_uint(c, v, path, 10, 3600000, &l->probe_interval_ms);
    if (i == 3)
        return config_get_uint(c, v, path, 10, 600000, &l->probe_timeout_ms);
    if (i == 4)
        return config_get_uint(c, v, path, 1, 100, &l->probe_failures);
    if (i == 1) {
        enum config_status rc = config_get_string(c, v, path, 1024, &l->probe_path);
        if (rc == CONFIG_OK && (l->probe_path[0] != '/' || strpbrk(l->probe_path, " \r\n")))
            return config_fail(c, v, path, "must start with '/' and contain no spaces");
        return rc;
    }
    char *type = NULL;
    enum config_status rc = config_get_string(c, v, path, 16, &type);
    if (rc == CONFIG_OK && !strcmp(type, "tcp"))
        l->probe = CONFIG_PROBE_TCP;
    else if (rc == CONFIG_OK && !strcmp(type, "http"))
        l->probe = CONFIG_PROBE_HTTP;
    else if (rc == CONFIG_OK)
        rc = config_fail(c, v, path, "must be tcp or http");
    free(type);
    return rc;
}

static const char *const local_keys[] = {"command", "probe", "stop_grace_seconds", "env"};

static int valid_env_name(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 128 && !(s[0] >= '0' && s[0] <= '9') &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n &&
           strncmp(s, "PREWARM_", 8) != 0;
}

/* One NAME: value entry of env, stored as "NAME=value" in l->env[i]. */
static enum config_status env_entry(struct config_ctx *c, yaml_node_pair_t *p, const char *path,
                                    struct config_local *l, size_t i)
{
    yaml_node_t *k = config_node_at(c, p->key), *v = config_node_at(c, p->value);
    char *name = NULL, *value = NULL, sub[300];
    enum config_status rc;
    if (!k || !v)
        return config_fail(c, NULL, path, "missing entry");
    snprintf(sub, sizeof sub, "%s.%.100s", path,
             k->type == YAML_SCALAR_NODE ? config_scalar(k) : "?");
    if ((rc = config_get_string(c, k, sub, 128, &name)))
        return rc;
    if (!valid_env_name(name))
        rc = config_fail(c, k, sub, "must be [A-Za-z_][A-Za-z0-9_]*, not starting with PREWARM_");
    for (size_t j = 0; rc == CONFIG_OK && j < i; j++)
        if (!strncmp(l->env[j], name, strlen(name)) && l->env[j][strlen(name)] == '=')
            rc = config_fail(c, k, sub, "duplicate variable");
    if (rc == CONFIG_OK && (rc = config_get_string(c, v, sub, MAX_ARG_LEN, &value)) == CONFIG_OK) {
        size_t len = strlen(name) + strlen(value) + 2;
        l->env[i] = xmalloc(len);
        snprintf(l->env[i], len, "%s=%s", name, value);
    }
    free(name);
    free(value);
    return rc;
}

/* env: a mapping of NAME: value, the backend's environment. */
static enum config_status get_env(struct config_ctx *c, yaml_node_t *node, const char *path,
                                  struct config_local *l)
{
    size_t n = 0;
    enum config_status rc = config_get_map(c, node, path, "a mapping of NAME: value", &n);
    if (rc)
        return rc;
    if (n > MAX_ARGS)
        return config_fail(c, node, path, "at most %d variables", MAX_ARGS);
    l->env = xcalloc(n + 1, sizeof *l->env);
    for (size_t i = 0; i < n && rc == CONFIG_OK; i++)
        rc = env_entry(c, &node->data.mapping.pairs.start[i], path, l, i);
    return rc;
}

static enum config_status local_field(struct config_ctx *c, size_t i, yaml_node_t *v,
                                      const char *path, void *obj)
{
    struct config_local *l = obj;
    if (i == 0)
        return get_command(c, v, path, l);
    if (i == 1)
        return config_walk_map(c, v, path, probe_keys, 5, probe_field, l);
    if (i == 3)
        return get_env(c, v, path, l);
    uint32_t s = 0;
    enum config_status rc = config_get_uint(c, v, path, 0, 3600, &s);
    l->stop_grace_ms = s * 1000;
    return rc;
}

static enum config_status local_parse(struct config_ctx *c, yaml_node_t *node, const char *path,
                                      struct config_pool *p)
{
    return config_walk_map(c, node, path, local_keys, 4, local_field, &p->local);
}

/* A command[0] holding a '/' that is relative is taken from the config
 * file's directory; a bare name is resolved later by the provider. */
static void resolve_command(struct config_ctx *c, struct config_local *l)
{
    char *cmd = l->command[0];
    const char *slash = strrchr(c->name, '/');
    if (cmd[0] == '/' || !strchr(cmd, '/') || !slash)
        return;
    size_t dirlen = (size_t)(slash - c->name) + 1;
    char *full = xmalloc(dirlen + strlen(cmd) + 1);
    memcpy(full, c->name, dirlen);
    memcpy(full + dirlen, cmd, strlen(cmd) + 1);
    free(cmd);
    l->command[0] = full;
}

static enum config_status local_check(struct config_ctx *c, yaml_node_t *node, const char *path,
                                      struct config_pool *p)
{
    if (!p->local.command)
        return config_fail(c, node, path, "local.command is required for provider local");
    if (!p->local.probe_path)
        p->local.probe_path = xstrdup("/");
    resolve_command(c, &p->local);
    return CONFIG_OK;
}

static void local_defaults(struct config_pool *p)
{
    p->local.probe = CONFIG_PROBE_TCP;
    p->local.stop_grace_ms = 5000;
    p->local.probe_interval_ms = 1000;
    p->local.probe_timeout_ms = 1000;
    p->local.probe_failures = 3;
}

static void local_free(struct config_pool *p)
{
    for (size_t j = 0; p->local.command && p->local.command[j]; j++)
        free(p->local.command[j]);
    free(p->local.command);
    free(p->local.probe_path);
    for (size_t j = 0; p->local.env && p->local.env[j]; j++)
        free(p->local.env[j]);
    free(p->local.env);
}

const struct config_provider_block config_local_block = {
    .name = "local",
    .kind = CONFIG_PROVIDER_LOCAL,
    .parse = local_parse,
    .check = local_check,
    .defaults = local_defaults,
    .free = local_free,
};
