#include "options.h"

#include <string.h>

#include <cJSON.h>
#include <curl/curl.h>
#include <nghttp2/nghttp2.h>
#include <yaml.h>

#include "version.h"

enum option_id {
    OPT_CONFIG,
    OPT_LISTEN,
    OPT_LOG_LEVEL,
    OPT_QUIET,
    OPT_CHECK,
    OPT_HELP,
    OPT_VERSION
};

struct option_spec {
    enum option_id id;
    char short_name; /* 0: long form only */
    const char *long_name;
    const char *arg; /* NULL: a flag */
    const char *help;
};

static const struct option_spec option_table[] = {
    {OPT_CONFIG, 'c', "config", "FILE",
     "the YAML configuration (required to run or check);\n"
     "errors name file:line:column: field"},
    {OPT_LISTEN, 'l', "listen", "HOST:PORT",
     "listen here, not at the configuration's `listen:`\n"
     "([::1]:8080 for IPv6; port 0: any free port)"},
    {OPT_LOG_LEVEL, 0, "log-level", "LEVEL",
     "log lines (JSON) at LEVEL and above: debug, info\n"
     "(the default), warn, error; PUT /v1/log/level\n"
     "changes it while running"},
    {OPT_QUIET, 'q', "quiet", NULL, "same as --log-level warn: no pool lifecycle lines"},
    {OPT_CHECK, 0, "check", NULL,
     "load and check the configuration, print a summary\n"
     "on stdout, and exit"},
    {OPT_HELP, 'h', "help", NULL, "print this help and exit"},
    {OPT_VERSION, 'V', "version", NULL, "print version, build and library versions; exit"},
};

#define OPTION_COUNT (sizeof option_table / sizeof option_table[0])

/* The table entry argv's word names, with *inline_value set for --name=value. */
static const struct option_spec *option_find(const char *word, const char **inline_value)
{
    *inline_value = NULL;
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const struct option_spec *s = &option_table[i];
        if (word[0] == '-' && word[1] == s->short_name && s->short_name && !word[2])
            return s;
        if (strncmp(word, "--", 2) != 0)
            continue;
        size_t n = strlen(s->long_name);
        if (strncmp(word + 2, s->long_name, n) != 0)
            continue;
        if (!word[2 + n])
            return s;
        if (word[2 + n] == '=' && s->arg) {
            *inline_value = word + 3 + n;
            return s;
        }
    }
    return NULL;
}

static void option_apply(struct options *o, enum option_id id, const char *value)
{
    switch (id) {
    case OPT_CONFIG:
        o->config = value;
        break;
    case OPT_LISTEN:
        o->listen = value;
        break;
    case OPT_LOG_LEVEL:
        break; /* parsed (and checked) by options_parse */
    case OPT_QUIET:
        o->log_level = LOG_LEVEL_WARN;
        break;
    case OPT_CHECK:
        o->action = OPTIONS_CHECK;
        break;
    case OPT_HELP:
        o->action = OPTIONS_HELP;
        break;
    case OPT_VERSION:
        o->action = OPTIONS_VERSION;
        break;
    }
}

int options_parse(int argc, char *const *argv, struct options *o, char *err, size_t errlen)
{
    *o = (struct options){.log_level = LOG_LEVEL_INFO};
    bool help = false, version = false;
    for (int i = 1; i < argc; i++) {
        const char *value;
        const struct option_spec *s = option_find(argv[i], &value);
        if (!s) {
            snprintf(err, errlen, "unknown option '%s' (see --help)", argv[i]);
            return -1;
        }
        if (s->arg && !value) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "--%s needs a value: --%s %s", s->long_name, s->long_name,
                         s->arg);
                return -1;
            }
            value = argv[++i];
        }
        if (s->arg && !*value) {
            snprintf(err, errlen, "--%s: empty value", s->long_name);
            return -1;
        }
        if (s->id == OPT_LOG_LEVEL && !log_level_parse(value, strlen(value), &o->log_level)) {
            snprintf(err, errlen, "--log-level %s: must be debug, info, warn or error", value);
            return -1;
        }
        help |= s->id == OPT_HELP;
        version |= s->id == OPT_VERSION;
        option_apply(o, s->id, value);
    }
    o->action = help ? OPTIONS_HELP : version ? OPTIONS_VERSION : o->action;
    if ((o->action == OPTIONS_RUN || o->action == OPTIONS_CHECK) && !o->config) {
        snprintf(err, errlen, "--config FILE is required (see --help)");
        return -1;
    }
    return 0;
}

#define HELP_COLUMN 28

/* "  -c, --config FILE         help", help lines after the first indented. */
static void option_help_line(FILE *out, const struct option_spec *s)
{
    char left[64];
    int n = snprintf(left, sizeof left, "  %c%c%c --%s%s%s", s->short_name ? '-' : ' ',
                     s->short_name ? s->short_name : ' ', s->short_name ? ',' : ' ', s->long_name,
                     s->arg ? " " : "", s->arg ? s->arg : "");
    fprintf(out, "%s%*s", left, n < HELP_COLUMN ? HELP_COLUMN - n : 1, "");
    for (const char *p = s->help; *p; p++) {
        fputc(*p, out);
        if (*p == '\n')
            fprintf(out, "%*s", HELP_COLUMN, "");
    }
    fputc('\n', out);
}

void options_help(FILE *out)
{
    fputs("usage: prewarmd --config FILE [--listen HOST:PORT] [--log-level LEVEL]\n"
          "       prewarmd --config FILE --check\n"
          "       prewarmd --help | --version\n"
          "\n"
          "prewarmd keeps pools of warm, ready backends (local child processes or\n"
          "Kubernetes pods) and binds sessions to them from memory. Callers claim over\n"
          "HTTP/1.1 or HTTP/2 cleartext on one port: the JSON API, /metrics, /healthz,\n"
          "/readyz and /dashboard.\n"
          "\n"
          "options:\n",
          out);
    for (size_t i = 0; i < OPTION_COUNT; i++)
        option_help_line(out, &option_table[i]);
    fputs("\n"
          "Once the port is bound, prewarmd prints on stdout:\n"
          "  prewarmd listening on http://HOST:PORT\n"
          "SIGTERM or SIGINT drains: stop accepting, answer waiting claims, stop every\n"
          "backend (SIGTERM, SIGKILL after the pool's grace period), then exit.\n"
          "\n"
          "exit status: 0 after a clean stop or a valid --check; 1 on a configuration or\n"
          "start error; 2 on a command-line error.\n",
          out);
}

void options_version(FILE *out)
{
    const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);
    fprintf(out, "prewarmd %s (commit %s, %s build, %s)\n", PREWARM_VERSION, PREWARM_GIT_COMMIT,
            PREWARM_BUILD_TYPE, PREWARM_COMPILER);
    fprintf(out, "libraries: libcurl %s, nghttp2 %s, cJSON %s, libyaml %s\n", curl->version,
            nghttp2_version(0)->version_str, cJSON_Version(), yaml_get_version_string());
    fputs("license: Apache-2.0\n", out);
}
