/* daemon: wiring of loop, pool core, provider, HTTP and API (see daemon.h). */
#include "daemon.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "api.h"
#include "http_server.h"
#include "provider_local.h"

void daemon_log(const struct daemon *d, const char *fmt, ...)
{
    (void)d;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "prewarmd: %s\n", line);
}

int64_t daemon_wall_ns(const struct daemon *d, uint64_t mono_ns)
{
    return (int64_t)mono_ns + d->wall_offset_ns;
}

struct daemon_pool *daemon_find_pool(struct daemon *d, const char *name, size_t len)
{
    for (size_t i = 0; i < d->npools; i++) {
        const char *n = d->pools[i].cfg->name;
        if (strlen(n) == len && !memcmp(n, name, len))
            return &d->pools[i];
    }
    return NULL;
}

struct daemon_pool *daemon_pool_of(struct daemon *d, const struct pool *pool)
{
    for (size_t i = 0; i < d->npools; i++)
        if (d->pools[i].pool == pool)
            return &d->pools[i];
    return NULL;
}

bool daemon_ready(const struct daemon *d)
{
    for (size_t i = 0; i < d->npools; i++)
        if (!d->pools[i].reached_min_idle)
            return false;
    return true;
}

static void update_reached(struct daemon_pool *dp)
{
    struct pool_counts counts;
    if (dp->reached_min_idle)
        return;
    pool_get_counts(dp->pool, &counts);
    dp->reached_min_idle = counts.by_state[POOL_POD_READY] >= dp->cfg->min_idle;
}

/* ---- actions ---- */

static void on_delete_pod(struct daemon *d, struct daemon_pool *dp, const char *pod)
{
    enum provider_status rc = d->provider->ops->delete_pod(d->provider, dp->index, pod);
    if (rc == PROVIDER_ERR_UNKNOWN) {
        /* The provider no longer has it: tell the core it is gone. */
        struct pool_pod_obs obs = {.name = pod};
        pool_observe(dp->pool, POOL_OBS_GONE, &obs, loop_now(d->loop));
    }
}

static void handle_action(struct daemon *d, const struct pool_action *a)
{
    struct daemon_pool *dp = daemon_pool_of(d, a->pool);
    if (!dp)
        return;
    switch (a->kind) {
    case POOL_ACT_CREATE_PODS:
        if (!d->shutting_down)
            d->provider->ops->create_pods(d->provider, dp->index, a->count);
        break;
    case POOL_ACT_DELETE_POD:
        on_delete_pod(d, dp, a->pod);
        break;
    case POOL_ACT_RECORD_BINDING:
        d->provider->ops->record_binding(d->provider, dp->index, a->pod, a->session.id);
        break;
    case POOL_ACT_WAITER_BOUND:
        api_waiter_bound(d->api, a->waiter_data, &a->session, a->outcome);
        break;
    case POOL_ACT_WAITER_TIMED_OUT:
        api_waiter_timed_out(d->api, a->waiter_data);
        break;
    case POOL_ACT_SESSION_ENDED:
        if (d->verbose)
            daemon_log(d, "session %s ended (%s) pool=%s pod=%s", a->session.id,
                       pool_end_reason_str(a->reason), a->pool_name, a->pod);
        break;
    }
}

static void arm_tick(struct daemon *d)
{
    uint64_t when = pool_set_next_deadline(d->set);
    if (when == UINT64_MAX)
        loop_timer_stop(d->loop, &d->tick);
    else if (!loop_timer_armed(&d->tick) || d->tick.when_ns != when)
        loop_timer_start(d->loop, &d->tick, when);
}

void daemon_drain(struct daemon *d)
{
    if (d->draining)
        return; /* the outer drain picks the new actions up */
    d->draining = true;
    struct pool_action a;
    while (pool_set_next_action(d->set, &a))
        handle_action(d, &a);
    d->draining = false;
    arm_tick(d);
}

static void on_tick(struct loop *loop, struct loop_timer *timer)
{
    struct daemon *d = timer->data;
    pool_set_tick(d->set, loop_now(loop));
    daemon_drain(d);
}

/* ---- provider observations ---- */

static void observe(struct daemon *d, size_t pool, enum pool_obs what, const char *pod,
                    const char *address, const char *node)
{
    struct daemon_pool *dp = &d->pools[pool];
    struct pool_pod_obs obs = {.name = pod, .address = address, .node = node};
    enum pool_status rc = pool_observe(dp->pool, what, &obs, loop_now(d->loop));
    if (rc == POOL_E_FULL || rc == POOL_E_STATE || rc == POOL_E_BUSY)
        daemon_log(d, "pool %s: observation of %s refused: %s", dp->cfg->name, pod,
                   pool_status_str(rc));
    if (what == POOL_OBS_READY)
        update_reached(dp);
    daemon_drain(d);
}

static void ev_starting(void *ctx, size_t pool, const char *pod, const char *address,
                        const char *node)
{
    struct daemon *d = ctx;
    if (d->verbose)
        daemon_log(d, "pod %s starting pool=%s address=%s", pod, d->pools[pool].cfg->name, address);
    observe(d, pool, POOL_OBS_STARTING, pod, address, node);
}

static void ev_ready(void *ctx, size_t pool, const char *pod)
{
    struct daemon *d = ctx;
    if (d->verbose)
        daemon_log(d, "pod %s ready pool=%s", pod, d->pools[pool].cfg->name);
    observe(d, pool, POOL_OBS_READY, pod, NULL, NULL);
}

static void ev_gone(void *ctx, size_t pool, const char *pod)
{
    struct daemon *d = ctx;
    if (d->verbose)
        daemon_log(d, "pod %s gone pool=%s", pod, d->pools[pool].cfg->name);
    observe(d, pool, POOL_OBS_GONE, pod, NULL, NULL);
}

static void ev_create_failed(void *ctx, size_t pool, uint32_t count)
{
    struct daemon *d = ctx;
    daemon_log(d, "pool %s: %u pod(s) could not be started (command %s)", d->pools[pool].cfg->name,
               count, d->pools[pool].cfg->local.command[0]);
    pool_pods_create_failed(d->pools[pool].pool, count, loop_now(d->loop));
    daemon_drain(d);
}

/* ---- setup and teardown ---- */

static int add_pools(struct daemon *d, char *err, size_t errlen)
{
    uint8_t seed[POOL_SEED_LEN];
    uint32_t capacity = 1024;
    for (size_t i = 0; i < d->cfg->npools; i++)
        capacity += 2 * d->cfg->pools[i].max_total + d->cfg->pools[i].max_waiters;
    if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
        snprintf(err, errlen, "getrandom: %s", strerror(errno));
        return -1;
    }
    if (pool_set_new(seed, capacity, &d->set) != POOL_OK) {
        snprintf(err, errlen, "cannot create the pool set");
        return -1;
    }
    for (size_t i = 0; i < d->npools; i++) {
        const struct config_pool *c = &d->cfg->pools[i];
        struct pool_config pc = {.name = c->name,
                                 .min_idle = c->min_idle,
                                 .max_idle = c->max_idle,
                                 .max_total = c->max_total,
                                 .max_waiters = c->max_waiters,
                                 .default_ttl_s = c->session_ttl_s,
                                 .max_ttl_s = c->session_ttl_max_s,
                                 .idle_timeout_s = c->idle_timeout_s,
                                 .start_timeout_s = c->start_timeout_s};
        d->pools[i] = (struct daemon_pool){.cfg = c, .index = i};
        enum pool_status rc = pool_set_add(d->set, &pc, &d->pools[i].pool);
        if (rc != POOL_OK) {
            snprintf(err, errlen, "pool %s: %s", c->name, pool_status_str(rc));
            return -1;
        }
        update_reached(&d->pools[i]);
    }
    return 0;
}

static const struct provider_events events_template = {
    .pod_starting = ev_starting,
    .pod_ready = ev_ready,
    .pod_gone = ev_gone,
    .create_failed = ev_create_failed,
};

static void init_clock(struct daemon *d)
{
    struct timespec rt, mono;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    d->wall_offset_ns =
        ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL + ((int64_t)rt.tv_nsec - mono.tv_nsec);
}

int daemon_new(struct loop *loop, const struct config *cfg, bool verbose, struct daemon **out,
               char *err, size_t errlen)
{
    struct daemon *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d)
        abort();
    d->loop = loop;
    d->cfg = cfg;
    d->verbose = verbose;
    d->npools = cfg->npools;
    d->pools = calloc(cfg->npools, sizeof *d->pools);
    if (!d->pools)
        abort();
    init_clock(d);
    loop_timer_init(&d->tick, on_tick, d);
    struct provider_events ev = events_template;
    ev.ctx = d;
    struct http_server_config hc = {.max_header_bytes = cfg->limits.max_header_bytes,
                                    .max_body_bytes = cfg->limits.max_body_bytes,
                                    .max_connections = cfg->limits.max_connections};
    if (!(d->provider = provider_local_new(loop, cfg, &ev)) || !(d->api = api_new(d)) ||
        !(d->http = http_server_new(loop, &hc, api_handle, d->api))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (add_pools(d, err, errlen))
        goto fail;
    *out = d;
    daemon_drain(d); /* the initial CREATE_PODS */
    return 0;
fail:
    daemon_free(d);
    return -1;
}

int daemon_listen(struct daemon *d, const char *host, uint16_t port, uint16_t *bound)
{
    return http_server_listen(d->http, host, port, bound);
}

void daemon_shutdown(struct daemon *d)
{
    if (d->shutting_down)
        return;
    d->shutting_down = true;
    http_server_shutdown(d->http);
    api_shutdown(d->api);
    d->provider->ops->shutdown(d->provider);
    daemon_drain(d);
}

bool daemon_drained(const struct daemon *d)
{
    return d->provider->ops->live_count(d->provider) == 0 &&
           http_server_connection_count(d->http) == 0;
}

void daemon_free(struct daemon *d)
{
    if (!d)
        return;
    /* Closing connections may release sessions (cancelled waiters, answers
     * never delivered); no replacement pods are started for them now. */
    d->shutting_down = true;
    http_server_free(d->http); /* cancels pending exchanges (waiters) */
    api_free(d->api);
    if (d->provider)
        d->provider->ops->free(d->provider);
    loop_timer_stop(d->loop, &d->tick);
    pool_set_free(d->set);
    free(d->pools);
    free(d);
}
