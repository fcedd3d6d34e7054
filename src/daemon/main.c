/*
 * prewarmd: keeps pools of warm backends and binds sessions to them.
 *
 *     prewarmd --config FILE [--listen HOST:PORT] [--quiet]
 *     prewarmd --config FILE --check | --help | --version
 *
 * The command line is options.h's. Loads the config (errors name file:line:col), builds the daemon
 * on one loop, listens, and prints "prewarmd listening on http://HOST:PORT" on stdout once the port
 * is bound (with --listen 127.0.0.1:0 the kernel picks the port; tests read it from that line).
 * SIGINT/SIGTERM: stop accepting, answer waiters, stop every child (SIGTERM, SIGKILL after the
 * grace period), then free everything. Lifecycle lines go to stderr (--quiet: only errors and
 * start/stop).
 *
 * Descriptors: every local pod holds one (its pidfd) and every connection
 * one, so the soft RLIMIT_NOFILE (1024 on a stock Debian) would cap a pool
 * near a thousand pods; prewarmd raises its soft limit to the hard limit at
 * start (children inherit it).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "options.h"

#define SHUTDOWN_SLACK_NS 2000000000ull

/* --check: the configuration loaded and validated; one summary line. */
static int check(const struct config *cfg)
{
    printf("%s: valid: listen %s:%u, %zu pool%s:", cfg->path, cfg->listen_host, cfg->listen_port,
           cfg->npools, cfg->npools == 1 ? "" : "s");
    for (size_t i = 0; i < cfg->npools; i++)
        printf(" %s (%s)", cfg->pools[i].name,
               cfg->pools[i].provider == CONFIG_PROVIDER_LOCAL ? "local" : "kubernetes");
    printf("\n");
    return 0;
}

/* Parses argv; answers --help and --version. Returns -1 to run, else the
 * exit status. */
static int command_line(int argc, char **argv, struct options *o)
{
    char err[256];
    if (options_parse(argc, argv, o, err, sizeof err)) {
        fprintf(stderr, "prewarmd: %s\n", err);
        return 2;
    }
    if (o->action == OPTIONS_HELP)
        options_help(stdout);
    else if (o->action == OPTIONS_VERSION)
        options_version(stdout);
    else
        return -1;
    return 0;
}

static void on_signal(struct loop *loop, int signo, void *data)
{
    struct daemon *d = data;
    (void)loop;
    log_line("signal %d: shutting down", signo);
    daemon_shutdown(d);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            perror("prewarmd: raising the descriptor limit");
    }
}

/* Runs until a signal, then until pods and connections are gone (or the
 * longest stop grace period plus slack has passed). */
static void run(struct loop *loop, struct daemon *d)
{
    while (!daemon_stopping(d))
        loop_run_once(loop, -1);
    uint64_t deadline = loop_now(loop) + daemon_stop_grace_ns(d) + SHUTDOWN_SLACK_NS;
    while (!daemon_drained(d) && loop_now(loop) < deadline)
        loop_run_once(loop, 50);
}

static int start(struct loop *loop, const struct config *cfg, const struct options *o,
                 struct daemon **d)
{
    char err[512], host[256];
    uint16_t port = cfg->listen_port, bound = 0;
    snprintf(host, sizeof host, "%s", cfg->listen_host);
    if (o->listen && config_parse_listen(o->listen, host, sizeof host, &port)) {
        fprintf(stderr, "prewarmd: --listen %s: must be HOST:PORT\n", o->listen);
        return -1;
    }
    if (daemon_new(loop, cfg, !o->quiet, d, err, sizeof err)) {
        fprintf(stderr, "prewarmd: %s\n", err);
        return -1;
    }
    if (daemon_listen(*d, host, port, &bound)) {
        perror("prewarmd: listen");
        return -1;
    }
    if (loop_signal_watch(loop, SIGINT, on_signal, *d) ||
        loop_signal_watch(loop, SIGTERM, on_signal, *d)) {
        perror("prewarmd: signals");
        return -1;
    }
    printf("prewarmd listening on http://%s%s%s:%u\n", strchr(host, ':') ? "[" : "", host,
           strchr(host, ':') ? "]" : "", bound);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    struct options o = {0};
    struct config *cfg = NULL;
    struct daemon *d = NULL;
    char err[512];
    int rc = command_line(argc, argv, &o);
    if (rc >= 0)
        return rc;
    rc = 1;
    if (config_load_file(o.config, &cfg, err, sizeof err) != CONFIG_OK) {
        fprintf(stderr, "prewarmd: %s\n", err);
        return 1;
    }
    if (o.action == OPTIONS_CHECK) {
        rc = check(cfg);
        config_free(cfg);
        return rc;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    struct loop *loop = loop_new();
    if (!loop) {
        perror("prewarmd: loop");
        goto out;
    }
    bool started = start(loop, cfg, &o, &d) == 0;
    if (started) {
        run(loop, d);
        rc = daemon_exit_status(d);
    }
    daemon_free(d);
    if (started)
        log_line(rc ? "stopped (exit status %d)" : "stopped", rc);
out:
    loop_free(loop);
    config_free(cfg);
    return rc;
}
