/*
 * config_tls: a listener's `tls:` block (the API port's `tls`, the health
 * port's `health_tls`):
 *
 *     tls:
 *       cert_file: server.crt      # PEM: certificate, then its chain
 *       key_file: server.key       # PEM private key of cert_file
 *       client_ca_file: ca.crt     # optional: require client certificates
 *                                  # signed by these CAs
 *       min_version: "1.2"         # "1.2" (default) or "1.3"
 *
 * The files are loaded here, at config load (http_tls_new), so a missing,
 * unreadable or mismatched file is a config error naming its field, never a
 * failure at the first handshake. Paths are relative to the config file.
 */
#include <stdlib.h>
#include <string.h>

#include "config_yaml.h"
#include "http_tls.h"

static const char *const tls_keys[] = {"cert_file", "key_file", "client_ca_file", "min_version"};
#define NTLS_KEYS (sizeof tls_keys / sizeof tls_keys[0])

/* The block's fields and the nodes an error points at. */
struct tls_walk {
    struct config_tls *tls;
    yaml_node_t *nodes[NTLS_KEYS];
};

static enum config_status tls_field(struct config_ctx *c, size_t i, yaml_node_t *v,
                                    const char *path, void *obj)
{
    struct tls_walk *w = obj;
    char *version = NULL;
    enum config_status rc;
    w->nodes[i] = v;
    switch (i) {
    case 0:
        return config_get_file(c, v, path, &w->tls->cert_file);
    case 1:
        return config_get_file(c, v, path, &w->tls->key_file);
    case 2:
        return config_get_file(c, v, path, &w->tls->client_ca_file);
    default:
        rc = config_get_string(c, v, path, 8, &version);
        if (rc == CONFIG_OK && strcmp(version, "1.2") && strcmp(version, "1.3"))
            rc = config_fail(c, v, path, "must be \"1.2\" or \"1.3\"");
        if (rc == CONFIG_OK)
            w->tls->min_version = version[2] == '3' ? 13 : 12;
        free(version);
        return rc;
    }
}

/* Loads the files as the daemon will; an error names the field at fault. */
static enum config_status check_files(struct config_ctx *c, yaml_node_t *block, const char *path,
                                      const struct tls_walk *w)
{
    char err[512], field[160];
    const struct config_tls *t = w->tls;
    struct http_tls_settings s = {t->cert_file, t->key_file, t->client_ca_file, t->min_version};
    struct http_tls *tls = NULL;
    enum http_tls_status st = http_tls_new(&s, &tls, err, sizeof err);
    http_tls_free(tls);
    if (st == HTTP_TLS_OK)
        return CONFIG_OK;
    size_t at = st == HTTP_TLS_ERR_KEY ? 1 : st == HTTP_TLS_ERR_CLIENT_CA ? 2 : 0;
    snprintf(field, sizeof field, "%s.%s", path, tls_keys[at]);
    return config_fail(c, w->nodes[at] ? w->nodes[at] : block, field, "%s", err);
}

enum config_status config_tls_parse(struct config_ctx *c, yaml_node_t *v, const char *path,
                                    struct config_tls *tls)
{
    struct tls_walk w = {.tls = tls};
    enum config_status rc = config_walk_map(c, v, path, tls_keys, NTLS_KEYS, tls_field, &w);
    if (rc)
        return rc;
    if (!tls->cert_file || !tls->key_file)
        return config_fail(c, v, path, "cert_file and key_file are both required");
    return check_files(c, v, path, &w);
}

void config_tls_free(struct config_tls *tls)
{
    free(tls->cert_file);
    free(tls->key_file);
    free(tls->client_ca_file);
    memset(tls, 0, sizeof *tls);
}
