/* kube_ha: journal + election + flush for the Kubernetes pools (kube_ha.h). */
#include "kube_ha.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_client.h"
#include "k8s_leader.h"
#include "k8s_timer.h"
#include "kube_flush.h"
#include "k8s_loop.h"
#include "oom.h"

#define COMPACT_EVERY_NS  60000000000ull
#define COMPACT_MIN_BYTES (1u << 20)

struct kube_ha {
    struct loop *loop;
    struct kube_journal *journal;
    bool provable_base;     /* journal existed and replayed cleanly */
    uint64_t journal_epoch; /* its last epoch at open */

    struct k8s_loop *adapter;
    struct k8s_client *client;
    struct k8s_leader *leader;
    struct kube_flush *flush;

    struct kube_ha_events ev;
    bool elect, leading;
    uint64_t epoch;
    struct loop_timer start;   /* no election: lead on the next turn */
    struct loop_timer compact; /* journal compaction */
    void (*release_done)(void *);
    void *release_arg;
    uint64_t journal_failures;
};

static void begin_term(struct kube_ha *ha, uint64_t epoch)
{
    ha->epoch = epoch;
    if (ha->journal && kube_journal_begin_epoch(ha->journal, epoch) != KUBE_JOURNAL_OK) {
        /* a term that cannot be recorded cannot bind durably: stand down */
        ha->journal_failures++;
        if (ha->ev.stopped)
            ha->ev.stopped(ha->ev.ctx);
        return;
    }
    ha->leading = true;
    ha->ev.leading(ha->ev.ctx, epoch);
}

static void on_started(void *arg, int64_t epoch)
{
    begin_term(arg, (uint64_t)epoch);
}

static void on_stopped(void *arg)
{
    struct kube_ha *ha = arg;
    ha->leading = false;
    if (ha->ev.stopped)
        ha->ev.stopped(ha->ev.ctx);
}

static void start_fired(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct kube_ha *ha = t->data;
    begin_term(ha, (ha->journal ? kube_journal_last_epoch(ha->journal) : 0) + 1);
}

static void compact_fired(struct loop *loop, struct loop_timer *t)
{
    struct kube_ha *ha = t->data;
    kube_journal_compact(ha->journal, COMPACT_MIN_BYTES, false);
    loop_timer_start(loop, t, loop_now(loop) + COMPACT_EVERY_NS);
}

static void flushed(void *arg)
{
    (void)arg; /* the flush records its own completion in its stats */
}

/* ---- the journal, for the providers ------------------------------------- */

int kube_ha_journal_bind(struct kube_ha *ha, const char *pool, const struct kube_binding *b)
{
    if (!ha->journal)
        return 0;
    struct kube_journal_entry e = kube_binding_journal_entry(b, pool);
    if (kube_journal_bind(ha->journal, &e) == KUBE_JOURNAL_OK)
        return 0;
    ha->journal_failures++;
    return -1;
}

void kube_ha_journal_end(struct kube_ha *ha, const char *pod, const char *session)
{
    if (ha->journal && kube_journal_end(ha->journal, pod, session) != KUBE_JOURNAL_OK)
        ha->journal_failures++;
}

void kube_ha_journal_forget(struct kube_ha *ha, const char *pod)
{
    if (ha->journal)
        kube_journal_forget(ha->journal, pod);
}

enum kube_journal_state kube_ha_journal_lookup(const struct kube_ha *ha, const char *pod,
                                               struct kube_binding *out)
{
    const struct kube_journal_entry *e = ha->journal ? kube_journal_lookup(ha->journal, pod) : NULL;
    if (!e)
        return KUBE_JOURNAL_NONE;
    kube_binding_from_journal(e, out);
    return e->ended ? KUBE_JOURNAL_ENDED : KUBE_JOURNAL_BOUND;
}

bool kube_ha_idle_provable(const struct kube_ha *ha)
{
    return ha->provable_base && ha->leading && ha->epoch == ha->journal_epoch + 1;
}

/* ---- lifetime --------------------------------------------------------------- */

static int open_journal(struct kube_ha *ha, const struct kube_ha_options *o, char *err,
                        size_t errlen)
{
    if (!o->journal_path)
        return 0;
    enum kube_journal_status st =
        kube_journal_open(o->journal_path, o->journal_sync ? KUBE_JOURNAL_SYNC : 0, &ha->journal);
    if (!ha->journal) {
        snprintf(err, errlen, "journal %s: %s", o->journal_path, kube_journal_status_str(st));
        return -1;
    }
    ha->provable_base = st == KUBE_JOURNAL_OK && kube_journal_existed(ha->journal);
    ha->journal_epoch = kube_journal_last_epoch(ha->journal);
    return 0;
}

static int start_client(struct kube_ha *ha, const struct kube_ha_options *o, char *err,
                        size_t errlen)
{
    struct k8s_client_options co;
    k8s_client_options_default(&co);
    co.qps = 20; /* Lease renewals and the one-time flush: never the pods' budget */
    co.burst = 40;
    co.user_agent = "prewarm-ha/1";
    if (!(ha->adapter = k8s_loop_new(ha->loop)) ||
        k8s_client_new(o->k8s, &co, k8s_loop_ops(), ha->adapter, &ha->client) != K8S_OK) {
        snprintf(err, errlen, "kubernetes client for leader election failed");
        return -1;
    }
    k8s_loop_attach(ha->adapter, ha->client);
    return 0;
}

static int start_election(struct kube_ha *ha, const struct kube_ha_options *o, char *err,
                          size_t errlen)
{
    static const struct k8s_leader_events events = {on_started, on_stopped, NULL};
    struct k8s_leader_options lo = {.ns = o->lease_namespace,
                                    .name = o->lease_name,
                                    .identity = o->identity,
                                    .lease_duration_ms = o->lease_duration_ms,
                                    .renew_deadline_ms = o->renew_deadline_ms,
                                    .retry_period_ms = o->retry_period_ms,
                                    .epoch_floor = (int64_t)ha->journal_epoch};
    if (k8s_leader_start(ha->client, &lo, &events, ha, &ha->leader) != K8S_OK) {
        snprintf(err, errlen, "leader election: lease name, identity or durations invalid");
        return -1;
    }
    return 0;
}

struct kube_ha *kube_ha_new(struct loop *loop, const struct kube_ha_options *o,
                            const struct kube_ha_events *ev, char *err, size_t errlen)
{
    struct kube_ha *ha = xcalloc(1, sizeof(*ha));
    ha->loop = loop;
    ha->ev = *ev;
    ha->elect = o->lease_name != NULL;
    loop_timer_init(&ha->start, start_fired, ha);
    loop_timer_init(&ha->compact, compact_fired, ha);
    if (open_journal(ha, o, err, errlen) != 0 || start_client(ha, o, err, errlen) != 0)
        goto fail;
    if (ha->journal)
        kube_flush_start(loop, ha->client, ha->journal, o->namespaces, o->nnamespaces, flushed, ha,
                         &ha->flush);
    if (ha->elect && start_election(ha, o, err, errlen) != 0)
        goto fail;
    if (!ha->elect)
        loop_timer_start(loop, &ha->start, loop_now(loop));
    if (ha->journal)
        loop_timer_start(loop, &ha->compact, loop_now(loop) + COMPACT_EVERY_NS);
    return ha;
fail:
    kube_ha_free(ha);
    return NULL;
}

void kube_ha_free(struct kube_ha *ha)
{
    if (!ha)
        return;
    loop_timer_stop(ha->loop, &ha->start);
    loop_timer_stop(ha->loop, &ha->compact);
    kube_flush_free(ha->flush);
    k8s_leader_free(ha->leader);
    k8s_client_free(ha->client);
    k8s_loop_free(ha->adapter);
    kube_journal_close(ha->journal);
    free(ha);
}

bool kube_ha_serving(const struct kube_ha *ha)
{
    if (!ha->leading)
        return false;
    return !ha->elect || k8s_leader_is_leading(ha->leader, k8s_now_ms());
}

uint64_t kube_ha_epoch(const struct kube_ha *ha)
{
    return ha->epoch;
}

void kube_ha_get_stats(const struct kube_ha *ha, struct kube_ha_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->leader = kube_ha_serving(ha);
    out->epoch = ha->epoch;
    if (ha->leader) {
        struct k8s_leader_stats ls;
        k8s_leader_get_stats(ha->leader, &ls);
        out->acquisitions = ls.acquisitions;
        out->losses = ls.losses;
    } else {
        out->acquisitions = ha->leading;
    }
    if (ha->flush) {
        struct kube_flush_stats fs;
        kube_flush_get_stats(ha->flush, &fs);
        out->flushed = fs.done;
        out->flush_written = fs.written;
        out->flush_deleted = fs.deleted;
        out->flush_failures = fs.failures;
    }
    if (ha->journal)
        kube_journal_get_stats(ha->journal, &out->journal);
    out->journal_failures = ha->journal_failures;
}

void kube_ha_get_api_stats(const struct kube_ha *ha, struct k8s_client_stats *out)
{
    memset(out, 0, sizeof *out);
    if (ha->client)
        k8s_client_get_stats(ha->client, out);
}

static void released(void *arg, enum k8s_status st)
{
    (void)st;
    struct kube_ha *ha = arg;
    if (ha->release_done)
        ha->release_done(ha->release_arg);
}

static void release_now(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    released(t->data, K8S_OK);
}

int kube_ha_release(struct kube_ha *ha, void (*done)(void *), void *arg)
{
    ha->leading = false;
    ha->release_done = done, ha->release_arg = arg;
    loop_timer_stop(ha->loop, &ha->start);
    if (ha->leader && k8s_leader_release(ha->leader, released, ha) == K8S_OK)
        return 0;
    ha->start.cb = release_now;
    loop_timer_start(ha->loop, &ha->start, loop_now(ha->loop));
    return 0;
}
