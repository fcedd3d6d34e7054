/* http_conn: what the protocols need of a connection (see http_conn.h). */
#include "http_conn.h"

#include <stdlib.h>

uint64_t http_conn_now(const struct http_conn *c)
{
    return loop_now(c->env->loop);
}

void http_conn_mark_dirty(struct http_conn *c)
{
    if (c->dirty || c->dead)
        return;
    c->dirty = true;
    c->dirty_next = c->env->dirty;
    c->env->dirty = c;
}

uint64_t http_conn_deadline(const struct http_conn *c)
{
    const struct http_server_config *cfg = &c->env->cfg;
    uint64_t idle = c->last_activity_ns + cfg->idle_timeout_ns;
    if (c->lingering)
        return c->linger_deadline_ns;
    if (!c->proto) /* no request yet: a silent connection goes, as a slow one does */
        return c->accepted_ns + cfg->request_timeout_ns;
    if (buf_size(&c->out) > 0)
        return idle;
    return c->proto->deadline(c, idle);
}

void http_conn_schedule(struct http_conn *c)
{
    if (c->dead)
        return;
    uint64_t d = http_conn_deadline(c);
    if (d == HTTP_NO_DEADLINE)
        return; /* an armed timer fires and re-evaluates */
    if (!loop_timer_armed(&c->timer) || d < c->timer.when_ns)
        loop_timer_start(c->env->loop, &c->timer, d);
}

void http_conn_account_out(struct http_conn *c)
{
    struct http_env *env = c->env;
    env->out_total = env->out_total - c->out_accounted + buf_size(&c->out);
    c->out_accounted = buf_size(&c->out);
    if (env->out_total > env->cfg.max_output_bytes)
        env->out_throttled = true;
}

bool http_conn_may_dispatch(struct http_conn *c)
{
    http_conn_account_out(c);
    size_t out = buf_size(&c->out);
    return out <= HTTP_OUT_HIGH_WATER && (!c->env->out_throttled || out <= HTTP_OUT_LOW_WATER);
}

void http_conn_dispatch(struct http_conn *c, struct http_exchange *ex,
                        const struct http_request *req)
{
    size_t len = 0;
    const char *id = http_request_header(req, "x-request-id", &len);
    http_exchange_set_request_id(ex, id, len);
    if (c->plain_on_tls) {
        c->close_when_done = true;
        http_respond_error(ex, 400, "BadRequest",
                           "this port speaks TLS: send the request over https");
        return;
    }
    c->env->handler(c->env->ctx, ex, req);
}

/* ---- delivery watches ---- */

struct http_watch {
    struct http_watch *next;
    uint64_t end; /* out offset just past the response's last byte */
    bool end_pending;
    http_sent_fn *cb;
    void *data;
};

void http_conn_watch(struct http_conn *c, struct http_exchange *ex, bool end_pending)
{
    if (!ex->sent_cb)
        return;
    struct http_watch *w = xmalloc(sizeof *w);
    *w = (struct http_watch){.end = c->out_sent + buf_size(&c->out),
                             .end_pending = end_pending,
                             .cb = ex->sent_cb,
                             .data = ex->sent_data};
    ex->sent_cb = NULL;
    if (c->watch_tail)
        c->watch_tail->next = w;
    else
        c->watches = w;
    c->watch_tail = w;
}

void http_conn_watch_settle(struct http_conn *c)
{
    for (struct http_watch *w = c->watches; w; w = w->next) {
        if (w->end_pending) {
            w->end = c->out_sent + buf_size(&c->out);
            w->end_pending = false;
        }
    }
}

void http_exchange_lost(struct http_exchange *ex)
{
    http_sent_fn *cb = ex->sent_cb;
    ex->sent_cb = NULL;
    if (cb)
        cb(ex->sent_data, false);
}

void http_conn_watches_report(struct http_conn *c, bool closing)
{
    struct http_watch *w;
    while ((w = c->watches)) {
        bool sent = !w->end_pending && w->end <= c->out_sent;
        if (!sent && !closing)
            break;
        c->watches = w->next;
        if (!c->watches)
            c->watch_tail = NULL;
        w->cb(w->data, sent);
        free(w);
    }
}
