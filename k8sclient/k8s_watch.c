#include "k8s_watch.h"

#include <stdlib.h>
#include <string.h>

#include "k8s_client_int.h"
#include "k8s_query.h"
#include "k8s_request.h"
#include "k8s_timer.h"

enum wstate { W_IDLE, W_STREAM, W_BACKOFF, W_PAUSED };

struct k8s_watch {
    struct k8s_client *c;
    struct k8s_watch_options o; /* strings owned */
    struct k8s_watch_handlers h;
    void *arg;
    enum wstate state;
    struct k8s_request *req;
    struct k8s_framer framer;
    char *rv;
    struct k8s_timer timer; /* back-off, or idle check while streaming */
    uint64_t started_ms, last_data_ms, last_failure_ms;
    uint64_t backoff_ms;
    bool got_event;
    bool expired;           /* an ERROR 410 event arrived on this stream */
    struct k8s_error err;   /* why the stream was aborted from inside on_data */
    int in_cb;              /* > 0 while a user callback runs */
    bool dead;              /* k8s_watch_free() called inside a callback */
    uint32_t gen, feed_gen; /* stream generation: detects a restart from a callback */
    struct k8s_watch_stats stats;
};

static enum k8s_status connect_now(struct k8s_watch *w);

static void watch_destroy(struct k8s_watch *w)
{
    k8s_timer_stop(&w->c->timers, &w->timer);
    k8s_framer_free(&w->framer);
    free((char *)w->o.path);
    free((char *)w->o.label_selector);
    free((char *)w->o.field_selector);
    free(w->rv);
    free(w);
}

static enum k8s_status set_rv(struct k8s_watch *w, const char *rv)
{
    char *copy = strdup(rv ? rv : "");
    if (!copy)
        return K8S_ENOMEM;
    free(w->rv);
    w->rv = copy;
    return K8S_OK;
}

static void stop_stream(struct k8s_watch *w)
{
    k8s_timer_stop(&w->c->timers, &w->timer);
    struct k8s_request *r = w->req;
    w->req = NULL; /* its cancel callback sees a stale request and returns */
    if (r)
        k8s_request_cancel(r);
}

/* ---- back-off ---- */

static void backoff_fired(struct k8s_timer *t)
{
    struct k8s_watch *w = t->data;
    w->state = W_IDLE;
    if (connect_now(w) != K8S_OK) {
        w->state = W_BACKOFF;
        k8s_timer_start(&w->c->timers, &w->timer, k8s_now_ms() + w->o.backoff_max_ms);
    }
}

static void backoff(struct k8s_watch *w, int retry_after_s)
{
    uint64_t now = k8s_now_ms();
    if (w->backoff_ms == 0 || now - w->last_failure_ms > (uint64_t)w->o.backoff_reset_ms)
        w->backoff_ms = (uint64_t)w->o.backoff_initial_ms;
    uint64_t delay = w->backoff_ms + k8s_client_random(w->c) % (w->backoff_ms + 1);
    if (retry_after_s > 0 && delay < (uint64_t)retry_after_s * 1000u)
        delay = (uint64_t)retry_after_s * 1000u;
    w->backoff_ms *= 2;
    if (w->backoff_ms > (uint64_t)w->o.backoff_max_ms)
        w->backoff_ms = (uint64_t)w->o.backoff_max_ms;
    w->last_failure_ms = now;
    w->state = W_BACKOFF;
    w->timer.cb = backoff_fired;
    k8s_timer_start(&w->c->timers, &w->timer, now + delay);
}

/* ---- user callbacks (the watch may be freed inside any of them) ---- */

static bool call_error(struct k8s_watch *w, const struct k8s_error *err)
{
    w->stats.failures++;
    if (w->h.on_error) {
        w->in_cb++;
        w->h.on_error(w->arg, err);
        w->in_cb--;
    }
    return !w->dead;
}

static void call_expired(struct k8s_watch *w, const struct k8s_error *err)
{
    w->stats.expired++;
    w->state = W_PAUSED;
    w->in_cb++;
    w->h.on_expired(w->arg, err);
    w->in_cb--;
}

/* Frees a watch that k8s_watch_free() marked from inside a callback. */
static void reap(struct k8s_watch *w)
{
    if (w->dead && w->in_cb == 0)
        watch_destroy(w);
}

/* Returns false when the watch was freed from inside a callback. */
static bool fail(struct k8s_watch *w, const struct k8s_error *err)
{
    if (!call_error(w, err))
        return false;
    if (w->state == W_IDLE) /* a callback may have restarted us */
        backoff(w, err ? err->retry_after_seconds : -1);
    return true;
}

/* ---- the stream ---- */

static enum k8s_status on_error_event(struct k8s_watch *w, cJSON *object)
{
    k8s_error_from_status_json(object, &w->err);
    w->expired = k8s_error_is_expired(&w->err);
    return K8S_EHTTP; /* ends this stream; done() decides what follows */
}

static enum k8s_status on_line(void *arg, const char *line, size_t len)
{
    struct k8s_watch *w = arg;
    struct k8s_event ev;
    if (k8s_event_decode(line, len, &ev) != K8S_OK) {
        k8s_error_set(&w->err, K8S_EPROTO, "malformed watch event");
        return K8S_EPROTO;
    }
    enum k8s_status st = K8S_OK;
    if (ev.type == K8S_EVENT_ERROR) {
        st = on_error_event(w, ev.object);
    } else if (ev.resource_version && set_rv(w, ev.resource_version) != K8S_OK) {
        st = k8s_error_set(&w->err, K8S_ENOMEM, "out of memory");
    } else if (ev.type == K8S_EVENT_BOOKMARK) {
        w->got_event = true; /* client-go counts it for the very-short rule */
        w->stats.bookmarks++;
    } else {
        w->got_event = true;
        w->stats.events++;
        w->in_cb++;
        w->h.on_event(w->arg, ev.type, ev.object);
        w->in_cb--;
        if (w->dead || w->gen != w->feed_gen)
            st = K8S_ECANCELED; /* freed or restarted from the callback */
    }
    k8s_event_free(&ev);
    return st;
}

static enum k8s_status on_data(void *arg, const char *data, size_t len)
{
    struct k8s_watch *w = arg;
    w->last_data_ms = k8s_now_ms();
    w->feed_gen = w->gen;
    w->in_cb++;
    enum k8s_status st = k8s_framer_feed(&w->framer, data, len, on_line, w);
    w->in_cb--;
    if (w->dead && w->in_cb == 0) {
        watch_destroy(w); /* its request is a zombie now: no more calls */
        return K8S_ECANCELED;
    }
    if (st == K8S_ETOOBIG)
        k8s_error_set(&w->err, st, "watch event over the size limit");
    return st;
}

static bool very_short(const struct k8s_watch *w)
{
    return !w->got_event && k8s_now_ms() - w->started_ms < 1000;
}

static void stream_done(void *arg, const struct k8s_response *resp)
{
    struct k8s_watch *w = arg;
    if (resp->status == K8S_ECANCELED && (w->dead || w->req == NULL))
        return; /* we cancelled it (stop, restart, free) */
    w->req = NULL;
    k8s_timer_stop(&w->c->timers, &w->timer);
    w->state = W_IDLE;
    if (resp->status == K8S_ECANCELED)
        return; /* the client is being freed */
    struct k8s_error err;
    if (w->err.status != K8S_OK) /* set inside on_data: ERROR event, bad line */
        err = w->err;
    else if (resp->error)
        err = *resp->error;
    else
        k8s_error_clear(&err);
    if (w->expired || k8s_error_is_expired(resp->error)) {
        call_expired(w, &err);
        reap(w);
    } else if (resp->status == K8S_OK && !very_short(w)) {
        if (connect_now(w) != K8S_OK)
            backoff(w, -1);
    } else {
        if (resp->status == K8S_OK)
            k8s_error_set(&err, K8S_EPROTO, "watch closed within 1 s without events");
        fail(w, &err);
        reap(w);
    }
}

static void idle_check(struct k8s_timer *t)
{
    struct k8s_watch *w = t->data;
    uint64_t due = w->last_data_ms + (uint64_t)w->o.idle_timeout_ms;
    if (k8s_now_ms() < due) {
        k8s_timer_start(&w->c->timers, t, due);
        return;
    }
    stop_stream(w);
    w->state = W_IDLE;
    struct k8s_error err;
    k8s_error_set(&err, K8S_ETIMEOUT, "watch idle for %ld ms", w->o.idle_timeout_ms);
    fail(w, &err);
    reap(w);
}

static char *build_query(struct k8s_watch *w)
{
    struct k8s_query q;
    k8s_query_init(&q);
    int span = w->o.timeout_max_s - w->o.timeout_min_s;
    long timeout =
        w->o.timeout_min_s + (span > 0 ? (long)(k8s_client_random(w->c) % (uint64_t)span) : 0);
    k8s_query_add_bool(&q, "watch", true);
    k8s_query_add_bool(&q, "allowWatchBookmarks", true);
    k8s_query_add_int(&q, "timeoutSeconds", timeout);
    if (w->rv[0])
        k8s_query_add(&q, "resourceVersion", w->rv);
    if (w->o.label_selector)
        k8s_query_add(&q, "labelSelector", w->o.label_selector);
    if (w->o.field_selector)
        k8s_query_add(&q, "fieldSelector", w->o.field_selector);
    char *s = k8s_query_take(&q);
    k8s_query_free(&q);
    return s;
}

static enum k8s_status connect_now(struct k8s_watch *w)
{
    char *query = build_query(w);
    if (!query)
        return K8S_ENOMEM;
    /* k8s_query_take returns "?a=b&..."; the request wants it without '?'. */
    struct k8s_request_spec spec = {
        .method = "GET",
        .path = w->o.path,
        .query = query[0] == '?' ? query + 1 : query,
        .flags = K8S_REQ_WATCH | K8S_REQ_NO_RETRY,
        .on_data = on_data,
    };
    k8s_framer_reset(&w->framer);
    k8s_error_clear(&w->err);
    w->gen++;
    w->expired = w->got_event = false;
    w->state = W_STREAM;
    enum k8s_status st = k8s_request_start(w->c, &spec, stream_done, w, &w->req);
    free(query);
    if (st != K8S_OK) {
        w->state = W_IDLE;
        return st;
    }
    w->stats.connects++;
    w->started_ms = w->last_data_ms = k8s_now_ms();
    w->timer.cb = idle_check;
    k8s_timer_start(&w->c->timers, &w->timer, w->last_data_ms + (uint64_t)w->o.idle_timeout_ms);
    return K8S_OK;
}

static void apply_defaults(struct k8s_watch_options *o)
{
    if (o->timeout_min_s <= 0 || o->timeout_max_s < o->timeout_min_s) {
        o->timeout_min_s = 300;
        o->timeout_max_s = 600;
    }
    if (o->idle_timeout_ms <= 0)
        o->idle_timeout_ms = (long)o->timeout_max_s * 1000 + 60000;
    if (o->backoff_initial_ms <= 0)
        o->backoff_initial_ms = 800;
    if (o->backoff_max_ms <= 0)
        o->backoff_max_ms = 30000;
    if (o->backoff_reset_ms <= 0)
        o->backoff_reset_ms = 120000;
}

static char *dup_opt(const char *s, bool *oom)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *oom = true;
    return d;
}

enum k8s_status k8s_watch_start(struct k8s_client *c, const struct k8s_watch_options *o,
                                const struct k8s_watch_handlers *h, void *arg,
                                struct k8s_watch **out)
{
    *out = NULL;
    if (!o->path || o->path[0] != '/' || !h->on_event || !h->on_expired)
        return K8S_EINVAL;
    struct k8s_watch *w = calloc(1, sizeof *w);
    if (!w)
        return K8S_ENOMEM;
    bool oom = false;
    w->c = c;
    w->h = *h;
    w->arg = arg;
    w->o = *o;
    w->o.path = dup_opt(o->path, &oom);
    w->o.label_selector = dup_opt(o->label_selector, &oom);
    w->o.field_selector = dup_opt(o->field_selector, &oom);
    apply_defaults(&w->o);
    k8s_framer_init(&w->framer, c->opt.max_watch_line);
    k8s_timer_init(&w->timer, idle_check, w);
    enum k8s_status st = oom ? K8S_ENOMEM : set_rv(w, o->resource_version);
    if (st == K8S_OK)
        st = connect_now(w);
    if (st != K8S_OK) {
        watch_destroy(w);
        return st;
    }
    *out = w;
    k8s__client_sync_timer(c);
    return K8S_OK;
}

enum k8s_status k8s_watch_restart(struct k8s_watch *w, const char *rv)
{
    stop_stream(w);
    w->state = W_IDLE;
    enum k8s_status st = set_rv(w, rv);
    if (st == K8S_OK)
        st = connect_now(w);
    if (st != K8S_OK)
        backoff(w, -1);
    k8s__client_sync_timer(w->c);
    return st;
}

void k8s_watch_free(struct k8s_watch *w)
{
    if (!w || w->dead)
        return;
    w->dead = true;
    stop_stream(w);
    if (w->in_cb == 0)
        watch_destroy(w);
    /* the loop's timer may now be early; a spurious wake-up is harmless */
}

const char *k8s_watch_resource_version(const struct k8s_watch *w)
{
    return w->rv;
}

void k8s_watch_get_stats(const struct k8s_watch *w, struct k8s_watch_stats *out)
{
    *out = w->stats;
}
