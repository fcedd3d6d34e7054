/* The `tls:` and `health_tls:` blocks: files are loaded at config load, and
 * every problem is an error naming file:line:col and the field. Uses the
 * certificates CTest's fixture makes (PREWARM_TEST_CERTS). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static struct config *cfg;
static char err[1024], name[600];

#define POOLS "pools:\n  - name: p\n    local: {command: [x]}\n"

/* Loads text as if it were DIR/t.yaml (relative paths are the certs'). */
static enum config_status load(const char *text)
{
    const char *dir = getenv("PREWARM_TEST_CERTS");
    cr_assert(dir && *dir, "PREWARM_TEST_CERTS is not set (run through ctest)");
    snprintf(name, sizeof name, "%s/t.yaml", dir);
    config_free(cfg);
    cfg = NULL;
    return config_load_string(name, text, strlen(text), &cfg, err, sizeof err);
}

static void teardown(void)
{
    config_free(cfg);
    cfg = NULL;
}

TestSuite(config_tls, .fini = teardown);

Test(config_tls, both_listeners_take_a_tls_block)
{
    cr_assert_eq(load("tls: {cert_file: chain.crt, key_file: server1.key,\n"
                      "      client_ca_file: client-ca.crt, min_version: \"1.3\"}\n"
                      "health_listen: \"127.0.0.1:0\"\n"
                      "health_tls: {cert_file: server2.crt, key_file: server2.key}\n" POOLS),
                 CONFIG_OK, "%s", err);
    cr_assert(strstr(cfg->tls.cert_file, "/chain.crt"));
    cr_assert(strstr(cfg->tls.client_ca_file, "/client-ca.crt"));
    cr_assert_eq(cfg->tls.min_version, 13);
    cr_assert(strstr(cfg->health_tls.key_file, "/server2.key"));
    cr_assert_null(cfg->health_tls.client_ca_file);
    cr_assert_eq(cfg->health_tls.min_version, 0);
}

Test(config_tls, without_a_block_the_listeners_are_plaintext)
{
    cr_assert_eq(load(POOLS), CONFIG_OK, "%s", err);
    cr_assert_null(cfg->tls.cert_file);
    cr_assert_null(cfg->health_tls.cert_file);
}

/* The error must start with the file, line, column and field, and say what. */
static void expect_error(const char *text, const char *where, const char *what)
{
    char want[700];
    cr_assert_eq(load(text), CONFIG_ERR_INVALID, "%s", err);
    cr_assert_null(cfg);
    snprintf(want, sizeof want, "%s:%s: ", name, where);
    cr_assert(strncmp(err, want, strlen(want)) == 0, "want %s, got %s", want, err);
    cr_assert(strstr(err, what), "want %s in %s", what, err);
}

Test(config_tls, bad_blocks_name_file_line_and_field)
{
    expect_error("tls: {cert_file: server1.crt}\n" POOLS, "1:6: tls",
                 "cert_file and key_file are both required");
    expect_error("tls:\n  cert_file: nope.crt\n  key_file: server1.key\n" POOLS,
                 "2:14: tls.cert_file", "No such file");
    expect_error("tls:\n  cert_file: server1.crt\n  key_file: wrong.key\n" POOLS,
                 "3:13: tls.key_file", "does not match the certificate");
    expect_error("tls:\n  cert_file: server1.crt\n  key_file: server1.key\n"
                 "  client_ca_file: server1.key\n" POOLS,
                 "4:19: tls.client_ca_file", "client CA");
    expect_error("tls: {cert_file: a, key_file: b, min_version: \"1.1\"}\n" POOLS,
                 "1:47: tls.min_version", "must be \"1.2\" or \"1.3\"");
    expect_error("health_tls: {cert_file: server1.crt, key_file: server1.key, ciphers: x}\n" POOLS,
                 "1:61: health_tls.ciphers", "unknown field");
    expect_error("tls:\n  cert_file: server1.key\n  key_file: server1.key\n" POOLS,
                 "2:14: tls.cert_file", "cannot load certificate chain");
}
