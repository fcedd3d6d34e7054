/*
 * config: the daemon's YAML configuration, parsed and validated in one go.
 *
 * The file is read with libyaml's document API and walked against a fixed
 * schema; the schema's depth is bounded, unknown fields are errors and YAML
 * aliases are refused (an alias could make a small file expand into a large
 * amount of work). Every error names the file, line, column and field:
 *
 *     prewarm.yaml:12:7: pools[0].min_idle: must be an integer between 0 and 100000
 *
 * Schema (all fields but `pools` are optional; defaults in config.c):
 *
 *     listen: "127.0.0.1:8080"          # HOST:PORT, port 0 = pick a free one
 *     limits:
 *       max_header_bytes: 16384
 *       max_body_bytes: 65536
 *       max_connections: 1024
 *     pools:
 *       - name: demo                     # [A-Za-z0-9_.-]{1,63}, unique
 *         provider: local                # local | kubernetes
 *         min_idle: 3
 *         max_idle: 5                    # >= min_idle
 *         max_total: 10                  # >= max_idle
 *         session_ttl_seconds: 300       # default TTL of a claim
 *         session_ttl_max_seconds: 3600  # cap on a claim's ttl_seconds
 *         idle_timeout_seconds: 120      # session ends without keepalive (0 = off)
 *         max_waiters: 1000
 *         start_timeout_seconds: 30      # a pod not Ready by then is replaced
 *         sizing:                        # how many idle pods (config_sizing.c)
 *           policy: predictive           # fixed (default) | percent | schedule | predictive
 *           target_miss_ratio: 0.001
 *         local:                       # the provider's block (config_local.c)
 *           command: [prewarm-demo-backend, --port, "{port}", --pod, "{pod}"]
 *           probe: {type: tcp}           # or {type: http, path: /healthz}
 *           stop_grace_seconds: 5
 *         kubernetes: {...}              # provider kubernetes (config_kubernetes.c,
 *     kubernetes: {...}                  #   kube_config.h); top level: the API
 *                                        #   connection shared by those pools
 *
 * Command resolution: command[0] without a '/' names a program that is looked
 * up first next to the prewarmd executable, then on PATH (done by the local
 * provider at spawn time); a command[0] with a '/' that is relative is taken
 * relative to the directory of the config file (resolved here, at load time).
 *
 * Provider blocks: each provider has one block key in a pool ("local:"),
 * parsed by its config_<provider>.c through the walker in config_yaml.h and
 * listed in config.c's provider_blocks[]; a block for a provider other than
 * the pool's is an error. Adding a provider = its settings struct below, a
 * member in struct config_pool, its block file and one table entry.
 *
 * Out of memory aborts (oom.h): no load fails for lack of memory.
 *
 * Ownership: config_load_* allocate one struct config that the caller frees
 * with config_free(); every string inside it belongs to it. The parser keeps
 * no global state and never prints.
 */
#ifndef PREWARM_CONFIG_H
#define PREWARM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "kube_config.h"
#include "pool.h" /* struct pool_sizing_config */

enum config_status {
    CONFIG_OK = 0,
    CONFIG_ERR_IO,      /* the file could not be read */
    CONFIG_ERR_SYNTAX,  /* not well-formed YAML */
    CONFIG_ERR_INVALID, /* well-formed, but breaks the schema */
};

enum config_provider {
    CONFIG_PROVIDER_LOCAL = 0,
    CONFIG_PROVIDER_KUBERNETES,
};

enum config_probe {
    CONFIG_PROBE_TCP = 0,
    CONFIG_PROBE_HTTP,
};

struct config_local {
    char **command;     /* argv template, NULL-terminated; "{port}", "{pod}" */
    size_t command_len; /* number of entries before the NULL */
    enum config_probe probe;
    char *probe_path; /* HTTP probe path, "/" by default */
    uint32_t stop_grace_ms;
};

struct config_pool {
    char *name;
    enum config_provider provider;
    uint32_t min_idle;
    uint32_t max_idle;
    uint32_t max_total;
    uint32_t session_ttl_s;
    uint32_t session_ttl_max_s;
    uint32_t idle_timeout_s;
    uint32_t max_waiters;
    uint32_t start_timeout_s;
    struct pool_sizing_config sizing; /* the "sizing:" block (config_sizing.c) */
    struct config_local local;
    struct kube_pool_config kube; /* provider kubernetes (kube.conn: the top level's) */
};

struct config_limits {
    uint32_t max_header_bytes;
    uint32_t max_body_bytes;
    uint32_t max_connections;
};

struct config {
    char *path;        /* as given to config_load_file */
    char *listen_host; /* "127.0.0.1" by default */
    uint16_t listen_port;
    struct config_limits limits;
    struct config_pool *pools;
    size_t npools;
    struct kube_connection kubernetes; /* defaults when the block is absent */
};

/* Reads and validates path. On failure *out is NULL and err holds one line
 * (file:line:col: field: problem), truncated to errlen. */
enum config_status config_load_file(const char *path, struct config **out, char *err,
                                    size_t errlen);

/* Same, from memory; name is used in messages and to resolve relative
 * commands (its directory). */
enum config_status config_load_string(const char *name, const char *text, size_t len,
                                      struct config **out, char *err, size_t errlen);

void config_free(struct config *cfg);

/* Parses "HOST:PORT" (port 0..65535; "[::1]:80" for IPv6). Returns 0, or -1.
 * host receives at most hostlen-1 bytes. */
int config_parse_listen(const char *text, char *host, size_t hostlen, uint16_t *port);

const char *config_status_str(enum config_status status);

#endif
