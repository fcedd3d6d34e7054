/* prewarmd's command line: parsing, errors that name the argument, and the
 * --help / --version texts. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "version.h"

#define PARSE(o, err, ...)                                                                         \
    options_parse((int)(sizeof((char *[]){"prewarmd", __VA_ARGS__}) / sizeof(char *)),             \
                  (char *[]){"prewarmd", __VA_ARGS__}, (o), (err), sizeof(err))

static char *capture(void (*print)(FILE *))
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    print(f);
    fclose(f);
    return text;
}

Test(options, run_with_config_listen_and_quiet)
{
    struct options o;
    char err[128];
    cr_assert_eq(PARSE(&o, err, "--config", "p.yaml", "--listen=127.0.0.1:0", "-q"), 0);
    cr_assert_eq(o.action, OPTIONS_RUN);
    cr_assert_str_eq(o.config, "p.yaml");
    cr_assert_str_eq(o.listen, "127.0.0.1:0");
    cr_assert_eq(o.log_level, LOG_LEVEL_WARN);
}

Test(options, short_forms_and_check)
{
    struct options o;
    char err[128];
    cr_assert_eq(PARSE(&o, err, "-c", "a.yaml", "-l", "[::1]:80", "--check"), 0);
    cr_assert_eq(o.action, OPTIONS_CHECK);
    cr_assert_str_eq(o.config, "a.yaml");
    cr_assert_str_eq(o.listen, "[::1]:80");
    cr_assert_eq(o.log_level, LOG_LEVEL_INFO);
}

Test(options, help_and_version_need_no_config_and_win)
{
    struct options o;
    char err[128];
    cr_assert_eq(PARSE(&o, err, "--version"), 0);
    cr_assert_eq(o.action, OPTIONS_VERSION);
    cr_assert_eq(PARSE(&o, err, "-c", "x", "--check", "-h", "-V"), 0);
    cr_assert_eq(o.action, OPTIONS_HELP);
}

Test(options, errors_name_the_argument)
{
    struct options o;
    char err[128];
    cr_assert_eq(PARSE(&o, err, "--config", "p.yaml", "--bogus"), -1);
    cr_assert_str_eq(err, "unknown option '--bogus' (see --help)");
    cr_assert_eq(PARSE(&o, err, "--config", "p.yaml", "--listen"), -1);
    cr_assert_str_eq(err, "--listen needs a value: --listen HOST:PORT");
    cr_assert_eq(PARSE(&o, err, "--quiet"), -1);
    cr_assert_str_eq(err, "--config FILE is required (see --help)");
    cr_assert_eq(PARSE(&o, err, "--config="), -1);
    cr_assert_str_eq(err, "--config: empty value");
    cr_assert_eq(PARSE(&o, err, "--config", "p.yaml", "--quiet=yes"), -1);
    cr_assert_str_eq(err, "unknown option '--quiet=yes' (see --help)");
    cr_assert_eq(PARSE(&o, err, "--configx", "p.yaml"), -1);
    cr_assert_eq(PARSE(&o, err, "-cp.yaml"), -1);
}

Test(options, a_long_error_is_truncated_not_overflowed)
{
    struct options o;
    char err[16];
    cr_assert_eq(PARSE(&o, err, "--a-very-long-unknown-option-name"), -1);
    cr_assert_eq(strlen(err), sizeof err - 1);
}

Test(options, help_describes_every_option_within_80_columns)
{
    char *help = capture(options_help);
    const char *described[] = {"-c, --config FILE", "-l, --listen HOST:PORT",
                               "-q, --quiet",       "    --check",
                               "-h, --help",        "-V, --version"};
    for (size_t i = 0; i < sizeof described / sizeof described[0]; i++)
        cr_assert_not_null(strstr(help, described[i]), "--help lacks %s", described[i]);
    cr_assert_not_null(strstr(help, "exit status:"));
    for (char *line = help, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        cr_assert_not_null(nl);
        cr_assert_leq(nl - line, 79, "long --help line: %.*s", (int)(nl - line), line);
    }
    free(help);
}

Test(options, version_names_release_build_and_libraries)
{
    char *v = capture(options_version);
    char first[128];
    snprintf(first, sizeof first, "prewarmd %s (commit ", PREWARM_VERSION);
    cr_assert_eq(strncmp(v, first, strlen(first)), 0, "%s", v);
    cr_assert_not_null(strstr(v, PREWARM_BUILD_TYPE));
    for (const char *lib = "libcurl \0nghttp2 \0cJSON \0libyaml \0"; *lib; lib += strlen(lib) + 1)
        cr_assert_not_null(strstr(v, lib), "--version lacks %s", lib);
    free(v);
}

Test(options, log_level)
{
    struct options o;
    char err[128];
    cr_assert_eq(PARSE(&o, err, "-c", "a.yaml", "--log-level", "debug"), 0);
    cr_assert_eq(o.log_level, LOG_LEVEL_DEBUG);
    cr_assert_eq(PARSE(&o, err, "-c", "a.yaml", "--log-level=error"), 0);
    cr_assert_eq(o.log_level, LOG_LEVEL_ERROR);
    cr_assert_eq(PARSE(&o, err, "-c", "a.yaml", "--log-level", "loud"), -1);
    cr_assert(strstr(err, "--log-level loud: must be debug, info, warn or error"), "%s", err);
}
