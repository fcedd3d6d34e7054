/* Tests of src/config: good configs parse with defaults, bad ones give
 * file:line:col: field: message. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

static struct config *cfg;
static char err[512];

static enum config_status load(const char *text)
{
    config_free(cfg);
    cfg = NULL;
    return config_load_string("t.yaml", text, strlen(text), &cfg, err, sizeof err);
}

static void teardown(void)
{
    config_free(cfg);
    cfg = NULL;
}

TestSuite(config, .fini = teardown);

#define MINIMAL "pools:\n  - name: p\n    local: {command: [x]}\n"

Test(config, minimal_gets_defaults)
{
    cr_assert_eq(load(MINIMAL), CONFIG_OK, "%s", err);
    cr_assert_str_eq(cfg->listen_host, "127.0.0.1");
    cr_assert_eq(cfg->listen_port, 8080);
    cr_assert_eq(cfg->npools, 1);
    cr_assert_str_eq(cfg->pools[0].name, "p");
    cr_assert_eq(cfg->pools[0].min_idle, 1);
    cr_assert_eq(cfg->pools[0].max_total, 10);
    cr_assert_eq(cfg->pools[0].max_idle, 10);
    cr_assert_eq(cfg->pools[0].local.probe, CONFIG_PROBE_TCP);
    cr_assert_str_eq(cfg->pools[0].local.probe_path, "/");
    cr_assert_eq(cfg->pools[0].local.command_len, 1);
    cr_assert_null(cfg->pools[0].local.command[1]);
}

Test(config, full_file)
{
    const char *text =
        "listen: \"0.0.0.0:0\"\n"
        "limits: {max_header_bytes: 8192, max_body_bytes: 2048, max_connections: 7}\n"
        "pools:\n"
        "  - name: a.b-c_d\n"
        "    provider: local\n"
        "    min_idle: 3\n"
        "    max_idle: 4\n"
        "    max_total: 9\n"
        "    session_ttl_seconds: 60\n"
        "    session_ttl_max_seconds: 120\n"
        "    idle_timeout_seconds: 30\n"
        "    max_waiters: 5\n"
        "    start_timeout_seconds: 10\n"
        "    local:\n"
        "      command: [prewarm-demo-backend, --port, \"{port}\", --pod, \"{pod}\"]\n"
        "      probe: {type: http, path: /healthz}\n"
        "      stop_grace_seconds: 2\n"
        "  - name: second\n"
        "    local: {command: [bin/x]}\n";
    cr_assert_eq(load(text), CONFIG_OK, "%s", err);
    cr_assert_str_eq(cfg->listen_host, "0.0.0.0");
    cr_assert_eq(cfg->listen_port, 0);
    cr_assert_eq(cfg->limits.max_header_bytes, 8192);
    cr_assert_eq(cfg->limits.max_body_bytes, 2048);
    cr_assert_eq(cfg->limits.max_connections, 7);
    struct config_pool *p = &cfg->pools[0];
    cr_assert_eq(p->min_idle, 3);
    cr_assert_eq(p->max_idle, 4);
    cr_assert_eq(p->max_total, 9);
    cr_assert_eq(p->session_ttl_s, 60);
    cr_assert_eq(p->session_ttl_max_s, 120);
    cr_assert_eq(p->idle_timeout_s, 30);
    cr_assert_eq(p->max_waiters, 5);
    cr_assert_eq(p->start_timeout_s, 10);
    cr_assert_eq(p->local.command_len, 5);
    cr_assert_str_eq(p->local.command[2], "{port}");
    cr_assert_eq(p->local.probe, CONFIG_PROBE_HTTP);
    cr_assert_str_eq(p->local.probe_path, "/healthz");
    cr_assert_eq(p->local.stop_grace_ms, 2000);
    cr_assert_eq(cfg->npools, 2);
    /* A relative command with a '/' is taken from the config's directory;
     * "t.yaml" has none, so it stays as written. */
    cr_assert_str_eq(cfg->pools[1].local.command[0], "bin/x");
}

Test(config, relative_command_resolved_against_config_dir)
{
    const char *text = "pools: [{name: p, local: {command: [bin/x, y]}}]\n";
    cr_assert_eq(
        config_load_string("/etc/prewarm/p.yaml", text, strlen(text), &cfg, err, sizeof err),
        CONFIG_OK, "%s", err);
    cr_assert_str_eq(cfg->pools[0].local.command[0], "/etc/prewarm/bin/x");
    cr_assert_str_eq(cfg->pools[0].local.command[1], "y");
}

struct bad_case {
    const char *text;
    const char *error; /* exact message */
};

static const struct bad_case bad_cases[] = {
    {"pools:\n  - name: p\n    min_idle: -1\n    local: {command: [x]}\n",
     "t.yaml:3:15: pools[0].min_idle: must be an integer between 0 and 100000"},
    {"pools:\n  - name: p\n    min_idle: 100001\n",
     "t.yaml:3:15: pools[0].min_idle: must be an integer between 0 and 100000"},
    {"pools:\n  - name: p\n    min_idle: \"3\"\n",
     "t.yaml:3:15: pools[0].min_idle: must be an integer between 0 and 100000"},
    {"pools:\n  - name: p\n    colour: red\n", "t.yaml:3:5: pools[0].colour: unknown field"},
    {"listen: x\npools: []\n",
     "t.yaml:1:9: listen: must be HOST:PORT with a port between 0 and 65535"},
    {"limits: {max_body_bytes: 0}\n",
     "t.yaml:1:26: limits.max_body_bytes: must be an integer between 1024 and 67108864"},
    {"listen: \"h:70000\"\n",
     "t.yaml:1:9: listen: must be HOST:PORT with a port between 0 and 65535"},
    {"pools: []\n", "t.yaml:1:8: pools: must have between 1 and 256 pools"},
    {"limits: {}\n", "t.yaml:1:1: pools: is required"},
    {"", "t.yaml:1:1: pools: is required (the file is empty)"},
    {"- a\n", "t.yaml:1:1: (top level): must be a mapping"},
    {"pools:\n  - name: p\n    name: q\n", "t.yaml:3:5: pools[0].name: duplicate field"},
    {"pools:\n  - name: \"a b\"\n",
     "t.yaml:2:11: pools[0].name: must be 1 to 63 characters from [A-Za-z0-9_.-]"},
    {"pools:\n  - name: p\n    provider: kubernetes\n",
     "t.yaml:2:5: pools[0]: kubernetes.template or kubernetes.template_inline is required"},
    {"pools:\n  - name: p\n    provider: docker\n",
     "t.yaml:3:15: pools[0].provider: must be local or kubernetes"},
    {"pools:\n  - name: p\n", "t.yaml:2:5: pools[0]: local.command is required for provider local"},
    {"pools:\n  - min_idle: 1\n", "t.yaml:2:5: pools[0]: name is required"},
    {"pools:\n  - name: p\n    min_idle: 5\n    max_idle: 2\n    local: {command: [x]}\n",
     "t.yaml:2:5: pools[0]: max_idle (2) must be >= min_idle (5)"},
    {"pools:\n  - name: p\n    max_idle: 5\n    max_total: 2\n    local: {command: [x]}\n",
     "t.yaml:2:5: pools[0]: max_total (2) must be >= max_idle (5)"},
    {"pools:\n  - name: p\n    local: {command: x}\n",
     "t.yaml:3:22: pools[0].local.command: must be a list of strings (argv, no shell)"},
    {"pools:\n  - name: p\n    local: {command: []}\n",
     "t.yaml:3:22: pools[0].local.command: must have between 1 and 64 entries"},
    {"pools:\n  - name: p\n    local: {command: [x, [y]]}\n",
     "t.yaml:3:26: pools[0].local.command[1]: must be a string"},
    {"pools:\n  - name: p\n    local: {command: [x], probe: {type: udp}}\n",
     "t.yaml:3:41: pools[0].local.probe.type: must be tcp or http"},
    {"pools:\n  - name: p\n    local: {command: [x], probe: {type: http, path: x}}\n",
     "t.yaml:3:53: pools[0].local.probe.path: must start with '/' and contain no spaces"},
    {"pools:\n  - &a {name: p, local: {command: [x]}}\n  - *a\n",
     "t.yaml:2:5: pools[1]: YAML aliases are not supported"},
    {"pools:\n  - {name: p, local: {command: [x]}}\n  - {name: p, local: {command: [x]}}\n",
     "t.yaml:3:5: pools[1]: duplicate pool name \"p\""},
    {"pools:\n  - name: p\n    session_ttl_seconds: 100\n    session_ttl_max_seconds: 50\n"
     "    local: {command: [x]}\n",
     "t.yaml:2:5: pools[0]: session_ttl_max_seconds must be >= session_ttl_seconds"},
};

Test(config, bad_configs_name_file_line_column_and_field)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        cr_expect_eq(load(bad_cases[i].text), CONFIG_ERR_INVALID, "case %zu: %s", i, err);
        cr_expect_null(cfg);
        cr_expect_str_eq(err, bad_cases[i].error, "case %zu: got %s", i, err);
    }
}

Test(config, syntax_error_has_position)
{
    cr_assert_eq(load("pools: [\n  - a\n"), CONFIG_ERR_SYNTAX);
    cr_assert(strncmp(err, "t.yaml:", 7) == 0, "%s", err);
    cr_assert(strstr(err, ": syntax: "), "%s", err);
}

Test(config, missing_file_is_io_error)
{
    cr_assert_eq(config_load_file("/nonexistent/prewarm.yaml", &cfg, err, sizeof err),
                 CONFIG_ERR_IO);
    cr_assert(strstr(err, "/nonexistent/prewarm.yaml: cannot open"), "%s", err);
}

Test(config, repo_demo_config_is_valid)
{
    cr_assert_eq(config_load_file(PREWARM_SOURCE_DIR "/prewarm.yaml", &cfg, err, sizeof err),
                 CONFIG_OK, "%s", err);
    cr_assert_str_eq(cfg->pools[0].name, "demo");
    cr_assert_eq(cfg->pools[0].min_idle, 3);
    cr_assert_eq(cfg->pools[0].max_total, 10);
}

Test(config, parse_listen)
{
    char host[64];
    uint16_t port = 1;
    cr_assert_eq(config_parse_listen("127.0.0.1:0", host, sizeof host, &port), 0);
    cr_assert_str_eq(host, "127.0.0.1");
    cr_assert_eq(port, 0);
    cr_assert_eq(config_parse_listen("[::1]:8080", host, sizeof host, &port), 0);
    cr_assert_str_eq(host, "::1");
    cr_assert_eq(port, 8080);
    cr_assert_eq(config_parse_listen("nohost", host, sizeof host, &port), -1);
    cr_assert_eq(config_parse_listen(":80", host, sizeof host, &port), -1);
    cr_assert_eq(config_parse_listen("h:", host, sizeof host, &port), -1);
    cr_assert_eq(config_parse_listen("h:65536", host, sizeof host, &port), -1);
    cr_assert_eq(config_parse_listen("h:8a", host, sizeof host, &port), -1);
}
