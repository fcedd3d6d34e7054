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
 *     listen: "127.0.0.1:8080"          # HOST:PORT, port 0 = pick a free one; a host
 *                                       # name is resolved here, at load time
 *     health_listen: "127.0.0.1:8081"   # optional second port: /healthz, /readyz,
 *                                       # /metrics only, with its own connection slots
 *     tls:                              # optional: the listen port speaks TLS only
 *       cert_file: server.crt           # PEM, certificate then chain; loaded and
 *       key_file: server.key            # checked at load time (config_tls.c)
 *       client_ca_file: clients-ca.crt  # optional: client certificates required
 *       min_version: "1.2"              # or "1.3"; reloaded on SIGHUP or change
 *     health_tls: {...}                 # the same for health_listen
 *     limits:
 *       max_header_bytes: 16384
 *       max_body_bytes: 65536
 *       max_connections: 1024
 *       max_connections_per_address: 256
 *       request_timeout_ms: 10000        # also: a new connection's first request
 *       idle_timeout_ms: 60000           # keep-alive after a complete request
 *       max_output_bytes: 67108864       # unsent output of all connections
 *     auth:                              # optional; without it the API is open
 *       tokens_file: tokens.txt          # see src/auth/auth.h; reloaded on change
 *       open_probes: true                # /healthz, /readyz without a token
 *       open_metrics: false              # /metrics without a token (else role read)
 *       claim_rate: 0                    # claims/s per caller (0 = unlimited)
 *       claim_burst: 0                   # bucket size (0 = claim_rate)
 *       max_waiters_per_caller: 0        # waiting claims per caller (0 = unlimited)
 *     connect_tokens:
 *       key_file: connect.key            # HMAC key (32-256 bytes); without it a
 *                                        # random key per start (local pools only)
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
 *                                        # + interval_ms: 1000, timeout_ms: 1000,
 *                                        # failure_threshold: 3 (Ready pods keep
 *                                        # being probed; that many failures in a
 *                                        # row and the pod is replaced)
 *           stop_grace_seconds: 5
 *           env: {NAME: value}           # the backend's whole environment, with
 *                                        # PATH, PREWARM_PORT, PREWARM_POD, PREWARM_POOL and
 *                                        # PREWARM_CONNECT_KEY added by prewarmd
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
 * Files named in the config (tokens_file, key_file) are taken relative to the
 * config file's directory unless absolute.
 *
 * Out of memory aborts (oom.h): no load fails for lack of memory.
 *
 * Ownership: config_load_* allocate one struct config that the caller frees
 * with config_free(); every string inside it belongs to it. The parser keeps
 * no global state and never prints.
 */
#ifndef PREWARM_CONFIG_H
#define PREWARM_CONFIG_H

#include <stdbool.h>
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
    char *probe_path;           /* HTTP probe path, "/" by default */
    uint32_t probe_interval_ms; /* between probes of a Ready pod [1000] */
    uint32_t probe_timeout_ms;  /* one probe attempt [1000] */
    uint32_t probe_failures;    /* failures in a row that end a Ready pod [3] */
    uint32_t stop_grace_ms;
    char **env; /* "NAME=value" entries, NULL-terminated (NULL when none) */
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
    uint32_t max_per_address;
    uint32_t request_timeout_ms;
    uint32_t idle_timeout_ms;
    uint32_t max_output_bytes;
};

/* A listener's TLS (cert_file NULL: plaintext). */
struct config_tls {
    char *cert_file;      /* PEM chain, leaf first */
    char *key_file;       /* PEM private key */
    char *client_ca_file; /* NULL: no client certificate asked */
    int min_version;      /* 12 or 13; 0 means 12 */
};

struct config_auth {
    char *tokens_file; /* NULL: no authentication */
    bool open_probes;  /* [true] */
    bool open_metrics; /* [false] */
    uint32_t claim_rate, claim_burst, max_waiters;
};

struct config {
    char *path;        /* as given to config_load_file */
    char *listen_host; /* "127.0.0.1" by default */
    uint16_t listen_port;
    char *health_host; /* NULL: no health listener */
    uint16_t health_port;
    struct config_tls tls;        /* the API port's TLS (cert_file NULL: none) */
    struct config_tls health_tls; /* the health port's */
    struct config_limits limits;
    struct config_auth auth;
    char *connect_key_file; /* NULL: a random key per start */
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

/* Resolves a host name or literal to one numeric address (the first
 * getaddrinfo answer) in out. Returns 0, or -1 if it does not resolve. */
int config_resolve_host(const char *host, char *out, size_t outlen);

const char *config_status_str(enum config_status status);

#endif
