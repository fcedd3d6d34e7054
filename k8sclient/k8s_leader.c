#include "k8s_leader.h"

#include <stdlib.h>
#include <string.h>

#include "k8s_client_int.h"
#include "k8s_leases.h"
#include "k8s_object.h"
#include "k8s_time.h"

enum leader_state {
    L_FOLLOWING, /* reading the Lease every retry period */
    L_LEADING,   /* renewing every retry period */
    L_RELEASING, /* writing holder "" once, then idle */
    L_DONE,      /* released: no more calls */
};

struct k8s_leader {
    struct k8s_client *c;
    char *ns, *name, *identity;
    int lease_ms, renew_ms, retry_ms;
    int64_t floor;
    struct k8s_leader_events ev;
    void *arg;

    enum leader_state state;
    int64_t epoch;
    uint64_t renewed_ms; /* send time of the last successful write; 0: never */
    cJSON *lease;        /* last Lease read or written (for renews) */

    char *seen_rv; /* record last observed and when it changed */
    char *seen_holder;
    uint64_t seen_ms;

    struct k8s_request *inflight;
    uint64_t attempt_ms; /* send time of the in-flight write */

    struct k8s_timer tick;     /* next read or renew */
    struct k8s_timer deadline; /* end of leadership without a renew */
    void (*release_done)(void *, enum k8s_status);
    void *release_arg;
    struct k8s_leader_stats stats;
};

static void tick_fired(struct k8s_timer *t);

static void arm(struct k8s_leader *l, struct k8s_timer *t, uint64_t when)
{
    k8s_timer_start(&l->c->timers, t, when);
    k8s__client_sync_timer(l->c);
}

static void lose(struct k8s_leader *l)
{
    if (l->state != L_LEADING)
        return;
    l->state = L_FOLLOWING;
    l->renewed_ms = 0;
    l->stats.losses++;
    k8s_timer_stop(&l->c->timers, &l->deadline);
    if (l->inflight)
        k8s_request_cancel(l->inflight); /* its callback sees K8S_ECANCELED */
    l->inflight = NULL;
    arm(l, &l->tick, k8s_now_ms() + (uint64_t)l->retry_ms);
    if (l->ev.stopped)
        l->ev.stopped(l->arg);
}

static void deadline_fired(struct k8s_timer *t)
{
    struct k8s_leader *l = t->data;
    if (l->state == L_LEADING && !k8s_leader_is_leading(l, k8s_now_ms()))
        lose(l);
    else if (l->state == L_LEADING)
        arm(l, &l->deadline, l->renewed_ms + (uint64_t)l->renew_ms);
}

/* Remembers the record read; returns true if it changed since last seen. */
static bool observe(struct k8s_leader *l, const struct k8s_lease_view *v)
{
    const char *rv = v->resource_version ? v->resource_version : "";
    const char *holder = v->holder_identity ? v->holder_identity : "";
    if (l->seen_rv && strcmp(l->seen_rv, rv) == 0)
        return false;
    bool holder_changed = !l->seen_holder || strcmp(l->seen_holder, holder) != 0;
    free(l->seen_rv);
    l->seen_rv = strdup(rv);
    if (holder_changed) {
        free(l->seen_holder);
        l->seen_holder = strdup(holder);
        if (l->ev.holder)
            l->ev.holder(l->arg, holder);
    }
    l->seen_ms = k8s_now_ms();
    return true;
}

/* Takes the Lease a call answered as the one to renew from; v borrows it. */
static void keep_lease(struct k8s_leader *l, struct k8s_result *res, struct k8s_lease_view *v)
{
    k8s_lease_read(res->object, v);
    observe(l, v);
    cJSON_Delete(l->lease);
    l->lease = res->object;
    res->object = NULL;
}

static void written(void *arg, struct k8s_result *res);
static void read_done(void *arg, struct k8s_result *res);

static enum k8s_status send_write(struct k8s_leader *l, const struct k8s_lease_spec *spec,
                                  bool create)
{
    cJSON *lease = k8s_lease_build(spec);
    if (!lease)
        return K8S_ENOMEM;
    l->attempt_ms = k8s_now_ms();
    enum k8s_status st = create ? k8s_leases_create(l->c, l->ns, lease, written, l, &l->inflight)
                                : k8s_leases_update(l->c, l->ns, lease, written, l, &l->inflight);
    cJSON_Delete(lease);
    return st;
}

/* The epoch an acquisition writes: one more than the Lease's transitions
 * (-1 when it has none) and above the floor. */
static int64_t next_epoch(const struct k8s_leader *l, int transitions)
{
    int64_t e = (int64_t)(transitions < 0 ? -1 : transitions) + 1;
    return e > l->floor ? e : l->floor + 1;
}

/* Renews (leading, Lease ours) or acquires; v NULL creates the Lease. */
static enum k8s_status write_lease(struct k8s_leader *l, const struct k8s_lease_view *v)
{
    bool ours = v && v->holder_identity && strcmp(v->holder_identity, l->identity) == 0;
    bool renew = ours && l->state == L_LEADING;
    int64_t now = k8s_time_wall_now_ns();
    struct k8s_lease_spec spec = {
        .name = l->name,
        .holder_identity = l->identity,
        .lease_duration_seconds = (l->lease_ms + 999) / 1000,
        .acquire_time_ns = renew && v->acquire_time_ns ? v->acquire_time_ns : now,
        .renew_time_ns = now,
        .lease_transitions = (int)(renew ? l->epoch : next_epoch(l, v ? v->lease_transitions : -1)),
        .resource_version = v ? v->resource_version : NULL,
    };
    return send_write(l, &spec, v == NULL);
}

static bool expired(const struct k8s_leader *l, const struct k8s_lease_view *v)
{
    int dur = v->lease_duration_seconds > 0 ? v->lease_duration_seconds * 1000 : l->lease_ms;
    return k8s_now_ms() >= l->seen_ms + (uint64_t)dur;
}

static void schedule(struct k8s_leader *l, uint64_t delay_ms)
{
    if (l->state == L_FOLLOWING || l->state == L_LEADING)
        arm(l, &l->tick, k8s_now_ms() + delay_ms);
}

static void decide(struct k8s_leader *l, const struct k8s_lease_view *v)
{
    const char *holder = v->holder_identity ? v->holder_identity : "";
    bool ours = strcmp(holder, l->identity) == 0;
    if (l->state == L_LEADING && !ours)
        lose(l); /* someone else holds it: stop at once */
    if (holder[0] == '\0' || ours || expired(l, v)) {
        if (write_lease(l, v) == K8S_OK)
            return;
        l->stats.failures++;
    }
    schedule(l, (uint64_t)l->retry_ms);
}

static void read_done(void *arg, struct k8s_result *res)
{
    struct k8s_leader *l = arg;
    l->inflight = NULL;
    if (res->status == K8S_ECANCELED || l->state == L_DONE || l->state == L_RELEASING)
        return;
    if (res->status != K8S_OK && res->error && k8s_error_is_not_found(res->error)) {
        if (write_lease(l, NULL) != K8S_OK)
            schedule(l, (uint64_t)l->retry_ms);
        return;
    }
    if (res->status != K8S_OK) {
        l->stats.failures++;
        schedule(l, (uint64_t)l->retry_ms);
        return;
    }
    struct k8s_lease_view v;
    keep_lease(l, res, &v);
    decide(l, &v);
}

static void became_leader(struct k8s_leader *l, int64_t epoch)
{
    l->state = L_LEADING;
    l->epoch = epoch;
    l->stats.acquisitions++;
    if (epoch > l->floor)
        l->floor = epoch;
    if (l->ev.started)
        l->ev.started(l->arg, epoch);
}

static void write_ok(struct k8s_leader *l, struct k8s_result *res)
{
    struct k8s_lease_view v;
    keep_lease(l, res, &v);
    l->renewed_ms = l->attempt_ms;
    if (l->state == L_LEADING)
        l->stats.renewals++;
    else
        became_leader(l, v.lease_transitions < 0 ? 0 : v.lease_transitions);
    if (l->state == L_LEADING)
        arm(l, &l->deadline, l->renewed_ms + (uint64_t)l->renew_ms);
}

static void release_finished(struct k8s_leader *l, enum k8s_status st)
{
    l->state = L_DONE;
    if (l->release_done)
        l->release_done(l->release_arg, st);
}

static void written(void *arg, struct k8s_result *res)
{
    struct k8s_leader *l = arg;
    l->inflight = NULL;
    if (res->status == K8S_ECANCELED || l->state == L_DONE)
        return;
    if (l->state == L_RELEASING) {
        release_finished(l, res->status);
        return;
    }
    if (res->status == K8S_OK) {
        write_ok(l, res);
        schedule(l, (uint64_t)l->retry_ms);
        return;
    }
    l->stats.failures++;
    /* A conflict means the record moved: read it again soon. Anything else:
     * keep leading until the deadline and retry next period. */
    cJSON_Delete(l->lease);
    l->lease = NULL;
    bool conflict = res->error &&
                    (k8s_error_is_conflict(res->error) || k8s_error_is_already_exists(res->error));
    schedule(l, conflict ? 0 : (uint64_t)l->retry_ms);
}

static void tick_fired(struct k8s_timer *t)
{
    struct k8s_leader *l = t->data;
    if (l->inflight || (l->state != L_FOLLOWING && l->state != L_LEADING))
        return;
    if (l->state == L_LEADING && l->lease) {
        struct k8s_lease_view v;
        k8s_lease_read(l->lease, &v);
        if (write_lease(l, &v) == K8S_OK)
            return;
    } else if (k8s_leases_get(l->c, l->ns, l->name, read_done, l, &l->inflight) == K8S_OK) {
        return;
    }
    l->stats.failures++;
    schedule(l, (uint64_t)l->retry_ms);
}

static bool options_ok(const struct k8s_leader_options *o, int *lease, int *renew, int *retry)
{
    *lease = o->lease_duration_ms > 0 ? o->lease_duration_ms : 15000;
    *renew = o->renew_deadline_ms > 0 ? o->renew_deadline_ms : 10000;
    *retry = o->retry_period_ms > 0 ? o->retry_period_ms : 2000;
    return o->name && o->name[0] && o->identity && o->identity[0] && *renew < *lease &&
           *retry < *renew;
}

static void leader_destroy(struct k8s_leader *l)
{
    free(l->ns);
    free(l->name);
    free(l->identity);
    free(l->seen_rv);
    free(l->seen_holder);
    cJSON_Delete(l->lease);
    free(l);
}

enum k8s_status k8s_leader_start(struct k8s_client *c, const struct k8s_leader_options *o,
                                 const struct k8s_leader_events *ev, void *arg,
                                 struct k8s_leader **out)
{
    int lease, renew, retry;
    *out = NULL;
    if (!c || !o || !options_ok(o, &lease, &renew, &retry))
        return K8S_EINVAL;
    struct k8s_leader *l = calloc(1, sizeof(*l));
    if (!l)
        return K8S_ENOMEM;
    l->c = c;
    l->ns = strdup(o->ns ? o->ns : k8s_client_namespace(c));
    l->name = strdup(o->name);
    l->identity = strdup(o->identity);
    if (!l->ns || !l->name || !l->identity) {
        leader_destroy(l);
        return K8S_ENOMEM;
    }
    l->lease_ms = lease, l->renew_ms = renew, l->retry_ms = retry;
    l->floor = o->epoch_floor < -1 ? -1 : o->epoch_floor;
    l->epoch = -1;
    if (ev)
        l->ev = *ev;
    l->arg = arg;
    k8s_timer_init(&l->tick, tick_fired, l);
    k8s_timer_init(&l->deadline, deadline_fired, l);
    arm(l, &l->tick, k8s_now_ms());
    *out = l;
    return K8S_OK;
}

void k8s_leader_free(struct k8s_leader *l)
{
    if (!l)
        return;
    l->state = L_DONE;
    k8s_timer_stop(&l->c->timers, &l->tick);
    k8s_timer_stop(&l->c->timers, &l->deadline);
    if (l->inflight)
        k8s_request_cancel(l->inflight);
    leader_destroy(l);
}

bool k8s_leader_is_leading(const struct k8s_leader *l, uint64_t now_ms)
{
    return l->state == L_LEADING && l->renewed_ms && now_ms < l->renewed_ms + (uint64_t)l->renew_ms;
}

uint64_t k8s_leader_deadline_ms(const struct k8s_leader *l)
{
    return l->state == L_LEADING ? l->renewed_ms + (uint64_t)l->renew_ms : 0;
}

int64_t k8s_leader_epoch(const struct k8s_leader *l)
{
    return l->epoch;
}

void k8s_leader_set_epoch_floor(struct k8s_leader *l, int64_t floor)
{
    if (floor > l->floor)
        l->floor = floor;
}

void k8s_leader_get_stats(const struct k8s_leader *l, struct k8s_leader_stats *out)
{
    *out = l->stats;
}

static void release_now(struct k8s_timer *t)
{
    release_finished(t->data, K8S_OK);
}

enum k8s_status k8s_leader_release(struct k8s_leader *l, void (*done)(void *, enum k8s_status),
                                   void *arg)
{
    bool was_leading = l->state == L_LEADING && l->lease;
    if (l->state == L_RELEASING || l->state == L_DONE)
        return K8S_EINVAL;
    l->release_done = done, l->release_arg = arg;
    if (l->inflight)
        k8s_request_cancel(l->inflight);
    l->inflight = NULL;
    l->renewed_ms = 0;
    k8s_timer_stop(&l->c->timers, &l->deadline);
    l->state = L_RELEASING;
    struct k8s_lease_view v;
    if (was_leading)
        k8s_lease_read(l->lease, &v);
    if (!was_leading || !v.resource_version) {
        l->tick.cb = release_now;
        arm(l, &l->tick, k8s_now_ms());
        return K8S_OK;
    }
    struct k8s_lease_spec spec = {
        .name = l->name,
        .holder_identity = "",
        .lease_duration_seconds = 1,
        .acquire_time_ns = v.acquire_time_ns,
        .renew_time_ns = k8s_time_wall_now_ns(),
        .lease_transitions = (int)l->epoch,
        .resource_version = v.resource_version,
    };
    return send_write(l, &spec, false);
}
