/* daemon: wiring of loop, pool core, providers, HTTP and API (see daemon.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "connect_token.h"
#include "daemon_internal.h"
#include "http_server.h"
#include "log.h"
#include "oom.h"
#include "version.h"

void daemon_update_reached(struct daemon_pool *dp)
{
    struct pool_counts counts;
    if (dp->reached_min_idle)
        return;
    pool_get_counts(dp->pool, &counts);
    /* A pool full of sessions (a takeover finds many bound pods) is as warm
     * as max_total lets it be: it must not keep a serving leader unready. */
    dp->reached_min_idle =
        counts.by_state[POOL_POD_READY] >= dp->cfg->min_idle || counts.live >= dp->cfg->max_total;
}

bool daemon_recovered(const struct daemon *d)
{
    for (size_t i = 0; i < d->npools; i++)
        if (!d->pools[i].recovered)
            return false;
    return true;
}

bool daemon_pool_serving(const struct daemon_pool *dp)
{
    const struct provider *p = dp->provider;
    return dp->recovered && (!p->ops->serving || p->ops->serving(p));
}

int daemon_bind_durable(struct daemon_pool *dp, const struct pool_session_info *s)
{
    struct provider *p = dp->provider;
    if (!p->ops->bind_durable || p->ops->bind_durable(p, s) == 0)
        return 0;
    LOG_ERROR(dp->d->log, "session could not be made durable; refused",
              LOG_STR("pool", dp->cfg->name), LOG_STR("session", s->id));
    pool_set_release(dp->d->set, s->id, loop_now(dp->d->loop));
    daemon_wake(dp->d);
    return -1;
}

void daemon_event(struct daemon *d, enum log_level level, const char *kind, const char *pool,
                  const char *pod, const char *detail)
{
    events_add(&d->events, (int64_t)loop_clock_ns() + d->wall_offset_ns, level, kind, pool, pod,
               detail);
}

static struct daemon_pool *pool_of(struct daemon *d, const struct pool *pool)
{
    for (size_t i = 0; i < d->npools; i++)
        if (d->pools[i].pool == pool)
            return &d->pools[i];
    return NULL;
}

/* ---- actions ---- */

static void pod_gone_now(struct daemon_pool *dp, const char *pod)
{
    struct pool_pod_obs obs = {.name = pod};
    pool_observe(dp->pool, POOL_OBS_GONE, &obs, loop_now(dp->d->loop));
}

static void create_pods(struct daemon_pool *dp, uint32_t count)
{
    if (dp->d->shutting_down)
        return;
    enum provider_status rc = dp->provider->ops->create_pods(dp->provider, count);
    if (rc == PROVIDER_OK)
        return;
    LOG_ERROR(dp->d->log, "pods could not be created", LOG_STR("pool", dp->cfg->name),
              LOG_UINT("count", count), LOG_STR("error", provider_status_str(rc)));
    dp->create_failures += count;
    daemon_event(dp->d, LOG_LEVEL_ERROR, "pod_create_failed", dp->cfg->name, NULL,
                 provider_status_str(rc));
    pool_pods_create_failed(dp->pool, count, loop_now(dp->d->loop));
}

static void delete_pod(struct daemon_pool *dp, const char *pod)
{
    enum provider_status rc = dp->provider->ops->delete_pod(dp->provider, pod);
    if (rc == PROVIDER_ERR_UNKNOWN)
        pod_gone_now(dp, pod); /* the provider no longer has it */
    else if (rc != PROVIDER_OK)
        LOG_WARN(dp->d->log, "deleting a pod failed", LOG_STR("pool", dp->cfg->name),
                 LOG_STR("pod", pod), LOG_STR("error", provider_status_str(rc)));
}

static void record_binding(struct daemon_pool *dp, const struct pool_session_info *s)
{
    enum provider_status rc = dp->provider->ops->record_binding(dp->provider, s);
    if (rc == PROVIDER_OK)
        return;
    LOG_WARN(dp->d->log, "recording a binding failed", LOG_STR("pool", dp->cfg->name),
             LOG_STR("pod", s->pod), LOG_STR("session", s->id),
             LOG_STR("error", provider_status_str(rc)));
    if (rc == PROVIDER_ERR_UNKNOWN)
        pod_gone_now(dp, s->pod); /* its session ends as pod_died */
}

static void waiter_bound(struct daemon_pool *dp, const struct pool_action *a)
{
    struct daemon *d = dp->d;
    if (a->outcome == POOL_CLAIM_BOUND && daemon_bind_durable(dp, &a->session))
        return api_waiter_timed_out(d->api, a->waiter_data);
    api_waiter_bound(d->api, a->waiter_data, &a->session, a->outcome);
}

static void session_ended(struct daemon_pool *dp, const struct pool_action *a)
{
    struct daemon *d = dp->d;
    struct provider *p = dp->provider;
    if (p->ops->session_ended)
        p->ops->session_ended(p, &a->session);
    const char *reason = pool_end_reason_str(a->reason);
    enum log_level level = a->reason == POOL_END_POD_DIED ? LOG_LEVEL_WARN : LOG_LEVEL_INFO;
    LOG_AT(d->log, level, "session ended", LOG_STR("session", a->session.id),
           LOG_STR("reason", reason), LOG_STR("pool", a->pool_name), LOG_STR("pod", a->pod));
    daemon_event(d, level, "session_ended", a->pool_name, a->pod, reason);
}

static void handle_action(struct daemon *d, const struct pool_action *a)
{
    struct daemon_pool *dp = pool_of(d, a->pool);
    if (!dp)
        return;
    switch (a->kind) {
    case POOL_ACT_CREATE_PODS:
        return create_pods(dp, a->count);
    case POOL_ACT_DELETE_POD:
        return delete_pod(dp, a->pod);
    case POOL_ACT_RECORD_BINDING:
        return record_binding(dp, &a->session);
    case POOL_ACT_WAITER_BOUND:
        return waiter_bound(dp, a);
    case POOL_ACT_WAITER_TIMED_OUT:
        return api_waiter_timed_out(d->api, a->waiter_data);
    case POOL_ACT_SESSION_ENDED:
        return session_ended(dp, a);
    }
}

static void arm_tick(struct daemon *d)
{
    if (!daemon_recovered(d))
        return; /* no sizing before every pool is rebuilt */
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
    d->dirty = false;
    struct pool_action a;
    while (pool_set_next_action(d->set, &a))
        handle_action(d, &a);
    d->draining = false;
    pool_set_prepare(d->set); /* the next binds' random bytes, before the loop waits */
    arm_tick(d);
}

void daemon_wake(struct daemon *d)
{
    d->dirty = true;
    uint64_t now = loop_now(d->loop);
    if (!d->draining && (!loop_timer_armed(&d->tick) || d->tick.when_ns > now))
        loop_timer_start(d->loop, &d->tick, now);
}

static void drain_hook(struct loop *loop, void *data)
{
    (void)loop;
    struct daemon *d = data;
    if (d->dirty)
        daemon_drain(d);
}

/* Pods the core gave up on (not Ready within start_timeout) since the last
 * look: logged and shown as events. */
static void report_start_timeouts(struct daemon *d)
{
    for (size_t i = 0; i < d->npools; i++) {
        struct daemon_pool *dp = &d->pools[i];
        struct pool_counters c;
        pool_get_counters(dp->pool, &c);
        if (c.start_timeouts == dp->start_timeouts_seen)
            continue;
        LOG_WARN(d->log, "pods were not Ready in time", LOG_STR("pool", dp->cfg->name),
                 LOG_UINT("count", c.start_timeouts - dp->start_timeouts_seen),
                 LOG_UINT("start_timeout_seconds", dp->cfg->start_timeout_s));
        daemon_event(d, LOG_LEVEL_WARN, "pod_start_timeout", dp->cfg->name, NULL,
                     "not Ready within start_timeout_seconds");
        dp->start_timeouts_seen = c.start_timeouts;
    }
}

static void on_tick(struct loop *loop, struct loop_timer *timer)
{
    struct daemon *d = timer->data;
    pool_set_tick(d->set, loop_now(loop));
    daemon_drain(d);
    report_start_timeouts(d);
}

/* ---- provider observations (ctx: the struct daemon_pool) ---- */

static void observe(struct daemon_pool *dp, enum pool_obs what, const char *pod,
                    const char *address, const char *node)
{
    struct pool_pod_obs obs = {.name = pod, .address = address, .node = node};
    enum pool_status rc = pool_observe(dp->pool, what, &obs, loop_now(dp->d->loop));
    if (rc == POOL_E_FULL || rc == POOL_E_STATE || rc == POOL_E_BUSY)
        LOG_WARN(dp->d->log, "observation refused", LOG_STR("pool", dp->cfg->name),
                 LOG_STR("pod", pod), LOG_STR("error", pool_status_str(rc)));
    if (what == POOL_OBS_READY)
        daemon_update_reached(dp);
    daemon_wake(dp->d);
}

static void ev_starting(void *ctx, const char *pod, const char *address, const char *node)
{
    struct daemon_pool *dp = ctx;
    LOG_INFO(dp->d->log, "pod starting", LOG_STR("pool", dp->cfg->name), LOG_STR("pod", pod),
             LOG_STR("address", address));
    observe(dp, POOL_OBS_STARTING, pod, address, node);
}

static void ev_ready(void *ctx, const char *pod)
{
    struct daemon_pool *dp = ctx;
    LOG_INFO(dp->d->log, "pod ready", LOG_STR("pool", dp->cfg->name), LOG_STR("pod", pod));
    observe(dp, POOL_OBS_READY, pod, NULL, NULL);
}

struct pod_lookup {
    const char *name;
    enum pool_pod_state state;
};

static int find_pod(void *ctx, const struct pool_pod_info *pod)
{
    struct pod_lookup *l = ctx;
    if (strcmp(pod->name, l->name) != 0)
        return 0;
    l->state = pod->state;
    return 1;
}

/* A pod that vanished while idle (not deleted by prewarm) is worth an event. */
static void ev_gone(void *ctx, const char *pod)
{
    struct daemon_pool *dp = ctx;
    struct pod_lookup l = {.name = pod, .state = POOL_POD_GONE};
    LOG_INFO(dp->d->log, "pod gone", LOG_STR("pool", dp->cfg->name), LOG_STR("pod", pod));
    pool_foreach_pod(dp->pool, find_pod, &l);
    if (l.state == POOL_POD_READY)
        daemon_event(dp->d, LOG_LEVEL_WARN, "pod_died_idle", dp->cfg->name, pod,
                     "gone while idle and Ready");
    observe(dp, POOL_OBS_GONE, pod, NULL, NULL);
}

static void ev_create_failed(void *ctx, uint32_t count, const char *why)
{
    struct daemon_pool *dp = ctx;
    LOG_ERROR(dp->d->log, "pods could not be started", LOG_STR("pool", dp->cfg->name),
              LOG_UINT("count", count), LOG_STR("error", why));
    dp->create_failures += count;
    daemon_event(dp->d, LOG_LEVEL_ERROR, "pod_create_failed", dp->cfg->name, NULL, why);
    pool_pods_create_failed(dp->pool, count, loop_now(dp->d->loop));
    daemon_wake(dp->d);
}

/* Recovery: a pod that outlived the previous prewarmd. */
static int ev_restored(void *ctx, const char *pod, bool ready, const char *address,
                       const char *node, const struct provider_session *s)
{
    struct daemon_pool *dp = ctx;
    struct daemon *d = dp->d;
    struct pool_pod_obs obs = {.name = pod, .address = address, .node = node};
    struct pool_restore_session rs;
    if (s) {
        int64_t claimed = s->claimed_at_ns - d->wall_offset_ns;
        int64_t expires = s->expires_at_ns - d->wall_offset_ns;
        rs = (struct pool_restore_session){.id = s->id,
                                           .key = s->key,
                                           .request_id = s->request_id,
                                           .owner = s->owner,
                                           .claimed_at = claimed > 0 ? (uint64_t)claimed : 0,
                                           .expires_at = expires > 0 ? (uint64_t)expires : 0};
    }
    enum pool_status rc = pool_restore(dp->pool, ready ? POOL_OBS_READY : POOL_OBS_STARTING, &obs,
                                       s ? &rs : NULL, loop_now(d->loop));
    if (rc != POOL_OK)
        LOG_WARN(d->log, "pod not restored", LOG_STR("pool", dp->cfg->name), LOG_STR("pod", pod),
                 LOG_STR("error", pool_status_str(rc)));
    else if (ready)
        daemon_update_reached(dp);
    return rc == POOL_OK ? 0 : -1;
}

static void ev_recovered(void *ctx)
{
    struct daemon_pool *dp = ctx;
    if (!dp->recovered)
        LOG_INFO(dp->d->log, "pool rebuilt from the pods found", LOG_STR("pool", dp->cfg->name));
    dp->recovered = true;
    daemon_wake(dp->d); /* arms the first tick once every pool is rebuilt */
}

static const struct provider_events events_template = {
    .pod_starting = ev_starting,
    .pod_ready = ev_ready,
    .pod_gone = ev_gone,
    .create_failed = ev_create_failed,
    .pod_restored = ev_restored,
    .recovered = ev_recovered,
};

/* ---- setup and teardown ---- */

static struct pool_config pool_limits(const struct config_pool *c)
{
    return (struct pool_config){.name = c->name,
                                .min_idle = c->min_idle,
                                .max_idle = c->max_idle,
                                .max_total = c->max_total,
                                .max_waiters = c->max_waiters,
                                .default_ttl_s = c->session_ttl_s,
                                .max_ttl_s = c->session_ttl_max_s,
                                .idle_timeout_s = c->idle_timeout_s,
                                .start_timeout_s = c->start_timeout_s,
                                .sizing = c->sizing};
}

static int new_pool_set(struct daemon *d, char *err, size_t errlen)
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
    pool_set_wall_clock(d->set, d->wall_offset_ns); /* schedules are in UTC */
    return 0;
}

/* Pool i: its core pool, then its provider (which may start pods at once). */
static int add_pool(struct daemon *d, size_t i, char *err, size_t errlen)
{
    struct daemon_pool *dp = &d->pools[i];
    *dp = (struct daemon_pool){.d = d, .cfg = &d->cfg->pools[i], .index = i};
    metrics_histogram_init(&dp->bind, metrics_latency_bounds, METRICS_LATENCY_BOUNDS);
    metrics_histogram_init(&dp->claim, metrics_latency_bounds, METRICS_LATENCY_BOUNDS);
    dp->limits = pool_limits(dp->cfg);
    enum pool_status rc = pool_set_add(d->set, &dp->limits, &dp->pool);
    if (rc != POOL_OK) {
        snprintf(err, errlen, "pool %s: %s", dp->cfg->name, pool_status_str(rc));
        return -1;
    }
    daemon_update_reached(dp);
    struct provider_events ev = events_template;
    ev.ctx = dp;
    if (provider_new(d->loop, dp->cfg, &ev, d->shared, &dp->provider, err, errlen))
        return -1;
    /* A provider with a serving gate rebuilds its pool first (recovered). */
    if (!dp->provider->ops->serving)
        dp->recovered = true;
    return 0;
}

/* This replica stopped leading: answer nothing more, stop, exit non-zero. */
static void leadership_lost(void *ctx)
{
    struct daemon *d = ctx;
    char detail[64];
    snprintf(detail, sizeof detail, "term %llu",
             (unsigned long long)provider_shared_epoch(d->shared));
    daemon_event(d, LOG_LEVEL_ERROR, "leader_lost", NULL, NULL, detail);
    d->exit_status = DAEMON_EXIT_LOST_LEADER;
    daemon_shutdown(d);
}

/* This replica leads (term epoch): its pools start rebuilding. */
static void leadership_acquired(void *ctx, uint64_t epoch)
{
    char detail[64];
    snprintf(detail, sizeof detail, "term %llu", (unsigned long long)epoch);
    daemon_event(ctx, LOG_LEVEL_INFO, "leader_acquired", NULL, NULL, detail);
}

static int new_shared(struct daemon *d, char *err, size_t errlen)
{
    struct provider_shared_events ev = {
        .ctx = d, .lost = leadership_lost, .acquired = leadership_acquired};
    d->shared = provider_shared_new(d->loop, d->cfg, &ev, err, errlen);
    return d->shared ? 0 : -1;
}

static void init_clock(struct daemon *d)
{
    struct timespec rt, mono;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    d->wall_offset_ns =
        ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL + ((int64_t)rt.tv_nsec - mono.tv_nsec);
}

/* ---- security: tokens file, connect key ---- */

#define AUTH_POLL_NS 2000000000ull /* how often the tokens file is checked for changes */

static void log_reload(struct daemon *d, int rc, const char *err)
{
    if (rc < 0)
        LOG_ERROR(d->log, "reload failed, the previous tokens stay in force",
                  LOG_STR("error", err));
    else if (rc > 0)
        LOG_INFO(d->log, "tokens reloaded", LOG_UINT("tokens", auth_token_count(d->auth)),
                 LOG_STR("file", d->cfg->auth.tokens_file));
}

static void auth_poll(struct loop *loop, struct loop_timer *t)
{
    struct daemon *d = t->data;
    char err[512];
    log_reload(d, auth_reload(d->auth, false, loop_now(loop), err, sizeof err), err);
    loop_timer_start(loop, t, loop_now(loop) + AUTH_POLL_NS);
}

void daemon_reload(struct daemon *d)
{
    char err[512];
    if (!d->auth)
        LOG_INFO(d->log, "reload: no tokens file configured; nothing to reload");
    else
        log_reload(d, auth_reload(d->auth, true, loop_now(d->loop), err, sizeof err), err);
    daemon_tls_reload(d, true);
}

/* The connect key from key_file, or 32 random bytes as hex. */
static int load_connect_key(struct daemon *d, char *err, size_t errlen)
{
    uint8_t raw[32];
    if (d->cfg->connect_key_file) {
        d->connect_key_len =
            connect_key_load(d->cfg->connect_key_file, d->connect_key, err, errlen);
        return d->connect_key_len ? 0 : -1;
    }
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        snprintf(err, errlen, "getrandom: %s", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf((char *)d->connect_key + 2 * i, 3, "%02x", raw[i]);
    d->connect_key_len = 2 * sizeof raw;
    return 0;
}

static int load_security(struct daemon *d, char *err, size_t errlen)
{
    const struct config_auth *a = &d->cfg->auth;
    if (load_connect_key(d, err, errlen))
        return -1;
    if (a->tokens_file) {
        struct auth_defaults def = {a->claim_rate, a->claim_burst, a->max_waiters};
        if (auth_new(a->tokens_file, &def, loop_now(d->loop), &d->auth, err, errlen))
            return -1;
        loop_timer_init(&d->auth_poll, auth_poll, d);
        loop_timer_start(d->loop, &d->auth_poll, loop_now(d->loop) + AUTH_POLL_NS);
    }
    struct api_security sec = {.auth = d->auth,
                               .open_probes = a->open_probes,
                               .open_metrics = a->open_metrics,
                               .connect_key = d->connect_key,
                               .connect_key_len = d->connect_key_len};
    api_set_security(d->api, &sec);
    return 0;
}

/* Hands the key to providers that pass it to their backends themselves. */
static void share_connect_key(struct daemon *d)
{
    char key[sizeof d->connect_key + 1];
    memcpy(key, d->connect_key, d->connect_key_len);
    key[d->connect_key_len] = '\0';
    for (size_t i = 0; i < d->npools; i++) {
        struct provider *p = d->pools[i].provider;
        if (p->ops->set_connect_key)
            p->ops->set_connect_key(p, key);
    }
}

static struct http_server_config http_config(const struct config *cfg)
{
    const struct config_limits *l = &cfg->limits;
    return (struct http_server_config){
        .max_header_bytes = l->max_header_bytes,
        .max_body_bytes = l->max_body_bytes,
        .max_connections = l->max_connections,
        .max_per_address = l->max_per_address,
        .max_output_bytes = l->max_output_bytes,
        .request_timeout_ns = (uint64_t)l->request_timeout_ms * 1000000u,
        .idle_timeout_ns = (uint64_t)l->idle_timeout_ms * 1000000u,
    };
}

/* The pool core writes its arrays once when a pool is added, so its records
 * are mapped; the rest of the process (code, libraries, the other modules'
 * buffers) is not, and the first claims to run through it would take its
 * page faults. Lock then unlock every mapping once: the kernel faults all of
 * it in now, and it stays resident (nothing is left locked). Best effort:
 * without the right (RLIMIT_MEMLOCK) the first claims pay those faults. */
#if defined(__SANITIZE_ADDRESS__)
#define PREFAULT_SAFE 0 /* the shadow memory maps terabytes: never lock it */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define PREFAULT_SAFE 0
#endif
#endif
#ifndef PREFAULT_SAFE
#define PREFAULT_SAFE 1
#endif

static void prefault(struct daemon *d)
{
    if (!PREFAULT_SAFE)
        return;
    if (mlockall(MCL_CURRENT) == 0)
        munlockall();
    else
        LOG_INFO(d->log,
                 "pre-faulting the pool core's memory failed; first claims take page faults",
                 LOG_STR("error", strerror(errno)));
}

int daemon_new(struct loop *loop, const struct config *cfg, struct log *log, struct daemon **out,
               char *err, size_t errlen)
{
    struct daemon *d = xcalloc(1, sizeof *d);
    *out = NULL;
    d->svc.ops = &daemon_service_ops;
    d->loop = loop;
    d->cfg = cfg;
    d->log = log;
    d->build = (struct metrics_build){PREWARM_VERSION, PREWARM_GIT_COMMIT};
    daemon_register_metrics(d);
    d->pools = xcalloc(cfg->npools, sizeof *d->pools);
    init_clock(d);
    loop_timer_init(&d->tick, on_tick, d);
    /* Before the HTTP server's flush hook: waiter answers leave this turn. */
    loop_before_sleep(loop, drain_hook, d);
    struct http_server_config hc = http_config(cfg);
    d->api = api_new(&d->svc, log);
    d->http = http_server_new(loop, &hc, api_handle, d->api);
    if (load_security(d, err, errlen) || daemon_tls_new(d, err, errlen) ||
        new_pool_set(d, err, errlen) || new_shared(d, err, errlen))
        goto fail;
    for (; d->npools < cfg->npools; d->npools++)
        if (add_pool(d, d->npools, err, errlen))
            goto fail;
    share_connect_key(d); /* before the first drain starts pods */
    prefault(d);
    *out = d;
    daemon_drain(d); /* the initial CREATE_PODS */
    return 0;
fail:
    daemon_free(d);
    return -1;
}

int daemon_listen(struct daemon *d, const char *host, uint16_t port, uint16_t *bound)
{
    return http_server_listen_tls(d->http, host, port, d->tls, bound);
}

int daemon_listen_health(struct daemon *d, const char *host, uint16_t port, uint16_t *bound)
{
    struct http_server_config hc = http_config(d->cfg);
    hc.max_connections = 64;
    hc.max_per_address = 64;
    if (!d->health)
        d->health = http_server_new(d->loop, &hc, api_handle_health, d->api);
    return http_server_listen_tls(d->health, host, port, d->health_tls, bound);
}

void daemon_shutdown(struct daemon *d)
{
    if (d->shutting_down)
        return;
    d->shutting_down = true;
    http_server_shutdown(d->http);
    if (d->health)
        http_server_shutdown(d->health);
    api_shutdown(d->api);
    for (size_t i = 0; i < d->npools; i++)
        d->pools[i].provider->ops->shutdown(d->pools[i].provider);
    provider_shared_shutdown(d->shared);
    daemon_drain(d);
}

int daemon_exit_status(const struct daemon *d)
{
    return d->exit_status;
}

struct log *daemon_log(const struct daemon *d)
{
    return d->log;
}

bool daemon_stopping(const struct daemon *d)
{
    return d->shutting_down;
}

bool daemon_drained(const struct daemon *d)
{
    for (size_t i = 0; i < d->npools; i++)
        if (d->pools[i].provider->ops->live_count(d->pools[i].provider))
            return false;
    return provider_shared_drained(d->shared) && http_server_connection_count(d->http) == 0 &&
           (!d->health || http_server_connection_count(d->health) == 0);
}

uint64_t daemon_stop_grace_ns(const struct daemon *d)
{
    uint64_t grace = 0;
    for (size_t i = 0; i < d->npools; i++) {
        uint64_t g = d->pools[i].provider->ops->stop_grace_ms(d->pools[i].provider);
        grace = g > grace ? g : grace;
    }
    return grace * 1000000u;
}

void daemon_free(struct daemon *d)
{
    if (!d)
        return;
    /* Closing connections may release sessions (cancelled waiters, answers
     * never delivered); no replacement pods are started for them now. */
    d->shutting_down = true;
    http_server_free(d->http); /* cancels pending exchanges (waiters) */
    http_server_free(d->health);
    api_free(d->api);
    if (d->auth)
        loop_timer_stop(d->loop, &d->auth_poll);
    auth_free(d->auth);
    daemon_tls_free(d); /* after the servers: their connections hold the contexts */
    for (size_t i = 0; i < d->cfg->npools; i++) /* also a pool that failed half-made */
        if (d->pools[i].provider)
            d->pools[i].provider->ops->free(d->pools[i].provider);
    provider_shared_free(d->shared);
    loop_before_sleep_remove(d->loop, drain_hook, d);
    loop_timer_stop(d->loop, &d->tick);
    pool_set_free(d->set);
    free(d->pools);
    free(d);
}
