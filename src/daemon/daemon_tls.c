/*
 * daemon_tls: the listeners' TLS contexts (http_tls.h) and their reload.
 *
 * The config already loaded the files once (config_tls.c); they are loaded
 * again here for the contexts the listeners use. A reload (SIGHUP, or a
 * change of a file seen by the 2 s poll, as for the tokens file) builds a new
 * context: new connections get the new certificate, open ones keep theirs.
 * A reload that fails keeps the previous certificate and is logged.
 */
#include <stdio.h>

#include "config.h"
#include "daemon_internal.h"
#include "http_tls.h"

#define TLS_POLL_NS 2000000000ull /* how often the files are checked for changes */

static int open_one(const struct config_tls *c, const char *what, struct http_tls **out, char *err,
                    size_t errlen)
{
    char why[400];
    *out = NULL;
    if (!c->cert_file)
        return 0;
    struct http_tls_settings s = {c->cert_file, c->key_file, c->client_ca_file, c->min_version};
    if (http_tls_new(&s, out, why, sizeof why) == HTTP_TLS_OK)
        return 0;
    snprintf(err, errlen, "%s: %s", what, why);
    return -1;
}

static void reload_one(struct daemon *d, struct http_tls *tls, const char *what, bool force)
{
    char err[512], serial[128];
    if (!tls)
        return;
    int rc = http_tls_reload(tls, force, err, sizeof err);
    if (rc < 0) {
        LOG_ERROR(d->log, "TLS reload failed, the previous certificate stays in force",
                  LOG_STR("listener", what), LOG_STR("error", err));
    } else if (rc > 0) {
        http_tls_serial(tls, serial, sizeof serial);
        LOG_INFO(d->log, "TLS certificate reloaded", LOG_STR("listener", what),
                 LOG_STR("serial", serial));
    }
}

static void tls_poll(struct loop *loop, struct loop_timer *t)
{
    daemon_tls_reload(t->data, false);
    loop_timer_start(loop, t, loop_now(loop) + TLS_POLL_NS);
}

int daemon_tls_new(struct daemon *d, char *err, size_t errlen)
{
    if (open_one(&d->cfg->tls, "tls", &d->tls, err, errlen) ||
        open_one(&d->cfg->health_tls, "health_tls", &d->health_tls, err, errlen))
        return -1;
    if (d->tls || d->health_tls) {
        loop_timer_init(&d->tls_poll, tls_poll, d);
        loop_timer_start(d->loop, &d->tls_poll, loop_now(d->loop) + TLS_POLL_NS);
    }
    return 0;
}

void daemon_tls_reload(struct daemon *d, bool force)
{
    reload_one(d, d->tls, "listen", force);
    reload_one(d, d->health_tls, "health_listen", force);
}

void daemon_tls_free(struct daemon *d)
{
    if (d->tls || d->health_tls)
        loop_timer_stop(d->loop, &d->tls_poll);
    http_tls_free(d->tls);
    http_tls_free(d->health_tls);
    d->tls = d->health_tls = NULL;
}
