/* daemon_service: the service interface (service.h) over the pool core. */
#include <stdlib.h>
#include <string.h>

#include "daemon_internal.h"
#include "oom.h"

static struct daemon *of(struct service *s)
{
    return (struct daemon *)s;
}

static size_t svc_pool_count(struct service *s)
{
    return of(s)->npools;
}

static bool svc_find_pool(struct service *s, const char *name, size_t len, size_t *index)
{
    struct daemon *d = of(s);
    for (size_t i = 0; i < d->npools; i++) {
        const char *n = d->pools[i].cfg->name;
        if (strlen(n) == len && !memcmp(n, name, len)) {
            *index = i;
            return true;
        }
    }
    return false;
}

static void svc_pool_info(struct service *s, size_t pool, struct service_pool_info *out)
{
    struct daemon_pool *dp = &of(s)->pools[pool];
    *out = (struct service_pool_info){.name = dp->cfg->name,
                                      .provider = dp->provider->ops->name,
                                      .limits = dp->limits,
                                      .bind = &dp->bind,
                                      .claim = &dp->claim,
                                      .claims_error = dp->claims_error,
                                      .reached_min_idle = dp->reached_min_idle};
    pool_get_counts(dp->pool, &out->counts);
    pool_get_counters(dp->pool, &out->counters);
    pool_get_sizing(dp->pool, loop_now(of(s)->loop), &out->sizing);
}

/* Calls the core, timing the call; drains first if the action queue is full. */
static enum pool_status svc_claim(struct service *s, size_t pool,
                                  const struct pool_claim_request *req,
                                  struct pool_claim_result *res, uint64_t *bind_ns)
{
    struct daemon *d = of(s);
    struct daemon_pool *dp = &d->pools[pool];
    enum pool_status rc = POOL_E_BUSY;
    if (!daemon_pool_serving(dp))
        return POOL_E_BUSY; /* rebuilding after a start, or not the leader */
    for (int attempt = 0; attempt < 2 && rc == POOL_E_BUSY; attempt++) {
        if (attempt)
            daemon_drain(d);
        uint64_t t0 = loop_clock_ns();
        rc = pool_claim(dp->pool, req, loop_now(d->loop), res);
        *bind_ns = loop_clock_ns() - t0;
    }
    if (rc == POOL_OK && res->outcome == POOL_CLAIM_BOUND && daemon_bind_durable(dp, &res->session))
        return POOL_E_BUSY;
    if (rc == POOL_OK && res->outcome != POOL_CLAIM_QUEUED)
        metrics_histogram_observe(&dp->bind, (double)*bind_ns / 1e9);
    daemon_wake(d);
    return rc;
}

static enum pool_status svc_cancel_waiter(struct service *s, size_t pool, uint64_t waiter_id)
{
    struct daemon *d = of(s);
    enum pool_status rc = pool_cancel_waiter(d->pools[pool].pool, waiter_id);
    daemon_wake(d);
    return rc;
}

static enum pool_status svc_release(struct service *s, const char *id)
{
    struct daemon *d = of(s);
    enum pool_status rc = pool_set_release(d->set, id, loop_now(d->loop));
    daemon_wake(d);
    return rc;
}

static enum pool_status svc_keepalive(struct service *s, const char *id,
                                      struct pool_session_info *out)
{
    struct daemon *d = of(s);
    enum pool_status rc = pool_set_keepalive(d->set, id, loop_now(d->loop), out);
    daemon_wake(d);
    return rc;
}

static enum pool_status svc_session(struct service *s, const char *id,
                                    struct pool_session_info *out)
{
    return pool_set_session(of(s)->set, id, out);
}

static bool svc_ready(struct service *s)
{
    struct daemon *d = of(s);
    for (size_t i = 0; i < d->npools; i++)
        if (!d->pools[i].reached_min_idle || !daemon_pool_serving(&d->pools[i]))
            return false;
    return true;
}

static bool svc_stopping(struct service *s)
{
    return of(s)->shutting_down;
}

static uint64_t svc_now(struct service *s)
{
    return loop_now(of(s)->loop);
}

static int64_t svc_wall_ns(struct service *s, uint64_t mono)
{
    return (int64_t)mono + of(s)->wall_offset_ns;
}

static uint64_t svc_epoch(struct service *s)
{
    return provider_shared_epoch(((struct daemon *)s)->shared);
}

static void svc_leader(struct service *s, struct service_leader *out)
{
    struct provider_shared_stats st;
    provider_shared_get_stats(of(s)->shared, &st);
    *out = (struct service_leader){.elected = st.elected, .leading = st.leader, .epoch = st.epoch};
}

static void svc_claim_answered(struct service *s, size_t pool, int status, uint64_t elapsed_ns)
{
    struct daemon_pool *dp = &of(s)->pools[pool];
    if (status == 200 || status == 201)
        metrics_histogram_observe(&dp->claim, (double)elapsed_ns / 1e9);
    else if (status == 400 || status == 422)
        dp->claims_error++;
}

static void svc_collect_metrics(struct service *s, struct metrics_writer *w)
{
    metrics_collect(&of(s)->metrics, w);
}

static const struct events *svc_events(struct service *s)
{
    return &of(s)->events;
}

const struct service_ops daemon_service_ops = {
    .pool_count = svc_pool_count,
    .find_pool = svc_find_pool,
    .pool_info = svc_pool_info,
    .claim = svc_claim,
    .cancel_waiter = svc_cancel_waiter,
    .release = svc_release,
    .keepalive = svc_keepalive,
    .session = svc_session,
    .ready = svc_ready,
    .stopping = svc_stopping,
    .now = svc_now,
    .wall_ns = svc_wall_ns,
    .epoch = svc_epoch,
    .leader = svc_leader,
    .claim_answered = svc_claim_answered,
    .collect_metrics = svc_collect_metrics,
    .events = svc_events,
};
