/*
 * options: prewarmd's command line.
 *
 * One table lists every option with its argument and its help line; the
 * parser and --help both read it, so the help describes every option the
 * parser accepts. Long options take their value as the next argument or
 * after '=' (--listen=127.0.0.1:0); short forms (-c FILE) take the next one.
 *
 * --version prints prewarm's version, the commit and build it came from,
 * and the versions of the libraries it runs with (read at run time, so they
 * name the shared libraries actually loaded).
 *
 * Ownership: struct options points into argv; nothing is allocated.
 */
#ifndef PREWARM_OPTIONS_H
#define PREWARM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "log.h"

enum options_action {
    OPTIONS_RUN = 0, /* serve until SIGTERM/SIGINT */
    OPTIONS_CHECK,   /* validate the configuration and exit */
    OPTIONS_HELP,
    OPTIONS_VERSION,
};

struct options {
    enum options_action action;
    const char *config;       /* --config FILE */
    const char *listen;       /* --listen HOST:PORT, NULL = the configuration's */
    enum log_level log_level; /* --log-level [info]; --quiet is warn */
};

/* Fills o from argv. Returns 0, or -1 with one line in err (the offending
 * argument named), truncated to errlen. --help and --version need nothing
 * else; running and --check need --config. */
int options_parse(int argc, char *const *argv, struct options *o, char *err, size_t errlen);

/* The --help text. */
void options_help(FILE *out);

/* The --version text: first line "prewarmd VERSION (...)". */
void options_version(FILE *out);

#endif
