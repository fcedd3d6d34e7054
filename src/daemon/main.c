/*
 * prewarmd: keeps pools of warm backends and binds sessions to them.
 *
 *     prewarmd --config FILE [--listen HOST:PORT] [--log-level LEVEL] [--quiet]
 *     prewarmd --config FILE --check | --help | --version
 *
 * The command line is options.h's. Loads the config (errors name file:line:col), builds the daemon
 * on one loop, listens, and prints "prewarmd listening on http://HOST:PORT"
 * ("https://" when the port has a tls: block) on stdout once the port
 * is bound (with --listen 127.0.0.1:0 the kernel picks the port; tests read it from that line).
 * Then "prewarmd health on http://HOST:PORT" when health_listen is set. Lifecycle lines go to
 * stderr as JSON lines (log.h) at --log-level and above (info by default; --quiet is warn);
 * PUT /v1/log/level changes the level while running.
 *
 * Signals:
 *   SIGINT, SIGTERM  graceful stop: stop accepting, answer waiters 503, stop
 *                    every pod (SIGTERM, SIGKILL after the grace period), free
 *                    everything, exit 0.
 *   SIGHUP           reload what can change at run time: the auth tokens
 *                    file and the TLS certificates and keys (both also
 *                    re-read by themselves when they change); logs the
 *                    outcome. Sessions, pools, listeners and the connect key
 *                    stay (a new key would invalidate every live token).
 *   SIGUSR1, SIGUSR2 ignored (logged), so a stray signal cannot kill it.
 *   SIGPIPE          ignored (a peer that leaves is an I/O error).
 *   SIGQUIT, SIGKILL immediate death: sessions are lost with the process;
 *                    local backends die with it (the demo backend asks for
 *                    PR_SET_PDEATHSIG), Kubernetes pods stay and are adopted.
 *
 * Descriptors: every local pod holds one (its pidfd) and every connection
 * one, so the soft RLIMIT_NOFILE (1024 on a stock Debian) would cap a pool
 * near a thousand pods; prewarmd raises its soft limit to the hard limit at
 * start (children inherit it).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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
    if (signo == SIGHUP) {
        LOG_INFO(daemon_log(d), "SIGHUP: reloading");
        daemon_reload(d);
    } else if (signo == SIGUSR1 || signo == SIGUSR2) {
        LOG_INFO(daemon_log(d), "signal ignored", LOG_INT("signal", signo));
    } else {
        LOG_INFO(daemon_log(d), "shutting down", LOG_INT("signal", signo));
        daemon_shutdown(d);
    }
}

static int watch_signals(struct loop *loop, struct daemon *d)
{
    static const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        if (loop_signal_watch(loop, signals[i], on_signal, d))
            return -1;
    return 0;
}

/* "HOST:PORT" as a URL authority ("[::1]:80" for IPv6). */
static void authority(char *out, size_t len, const char *host, unsigned port)
{
    bool v6 = strchr(host, ':') != NULL;
    snprintf(out, len, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

static int listen_health(struct daemon *d, const struct config *cfg)
{
    char where[300];
    uint16_t bound = 0;
    if (!cfg->health_host)
        return 0;
    authority(where, sizeof where, cfg->health_host, cfg->health_port);
    if (daemon_listen_health(d, cfg->health_host, cfg->health_port, &bound)) {
        fprintf(stderr, "prewarmd: health_listen on %s: %s\n", where, strerror(errno));
        return -1;
    }
    authority(where, sizeof where, cfg->health_host, bound);
    printf("prewarmd health on %s://%s\n", cfg->health_tls.cert_file ? "https" : "http", where);
    return 0;
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
                 struct log *log, struct daemon **d)
{
    char err[512], name[256], host[64], where[300];
    uint16_t port = cfg->listen_port, bound = 0;
    snprintf(host, sizeof host, "%s", cfg->listen_host);
    if (o->listen && (config_parse_listen(o->listen, name, sizeof name, &port) ||
                      config_resolve_host(name, host, sizeof host))) {
        fprintf(stderr, "prewarmd: --listen %s: must be HOST:PORT with a host that resolves\n",
                o->listen);
        return -1;
    }
    if (daemon_new(loop, cfg, log, d, err, sizeof err)) {
        fprintf(stderr, "prewarmd: %s\n", err);
        return -1;
    }
    authority(where, sizeof where, host, port);
    if (daemon_listen(*d, host, port, &bound)) {
        fprintf(stderr, "prewarmd: listen on %s: %s\n", where, strerror(errno));
        return -1;
    }
    if (watch_signals(loop, *d)) {
        perror("prewarmd: signals");
        return -1;
    }
    authority(where, sizeof where, host, bound);
    printf("prewarmd listening on %s://%s\n", cfg->tls.cert_file ? "https" : "http", where);
    if (listen_health(*d, cfg))
        return -1;
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
    struct log log = log_init(STDERR_FILENO, o.log_level);
    struct loop *loop = loop_new();
    if (!loop) {
        perror("prewarmd: loop");
        goto out;
    }
    bool started = start(loop, cfg, &o, &log, &d) == 0;
    if (started) {
        run(loop, d);
        rc = daemon_exit_status(d);
    }
    daemon_free(d);
    if (started)
        LOG_INFO(&log, "stopped", LOG_INT("exit_status", rc));
out:
    loop_free(loop);
    config_free(cfg);
    return rc;
}
