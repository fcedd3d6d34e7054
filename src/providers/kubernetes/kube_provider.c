/* kube_provider: warm pods on Kubernetes (see kube_provider.h). */
#include "kube_provider.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "k8s.h"
#include "k8s_incluster.h"
#include "kube_budget.h"
#include "k8s_loop.h"
#include "kube_group.h"
#include "kube_ha.h"
#include "log.h"
#include "oom.h"
#include "kube_name.h"
#include "kube_pod.h"
#include "kube_template.h"
#include "pool.h"

#define MS        1000000ull
#define FLUSH_MAX 16 /* bind PATCHes in flight */

const double kube_lead_bounds[KUBE_LEAD_BUCKETS - 1] = {0.5, 1, 2, 5, 10, 30, 60};

/* A pod POSTed and not yet Ready: for the lead-time figure. */
struct lead {
    struct lead *next;
    uint64_t created;
    char name[POOL_POD_NAME_MAX + 1];
};

/* A create to send again under the same name (transport error, 5xx). */
struct retry {
    struct retry *next;
    char name[POOL_POD_NAME_MAX + 1];
};

struct kpool {
    struct kube_provider *kp;
    size_t index;
    const struct kube_pool_config *cfg; /* NULL: not ours */
    char name[POOL_NAME_MAX + 1];
    uint32_t max_total;
    cJSON *pod; /* template merged with the node pool */
    struct kube_namer namer;
    struct kube_budget budget;
    uint32_t wanted; /* creates asked for, not yet sent */
    struct retry *retries;
    struct lead *leads;
};

/* A pod found at start that cannot be proven idle (no binding, no journal
 * covering the previous leader): neither handed out nor deleted until its
 * deadline, in case the previous holder's journal is flushed onto it. */
struct quarantined {
    struct quarantined *next;
    struct kpool *pool;
    uint64_t until;
    char name[POOL_POD_NAME_MAX + 1];
};

struct nsinf {
    struct kube_provider *kp;
    char *ns;
    struct k8s_informer *inf;
    bool synced;
};

/* One API call in flight. */
struct call {
    struct kube_provider *kp;
    struct kpool *pool;
    enum kube_verb verb;
    char name[POOL_POD_NAME_MAX + 1];
};

struct kube_provider {
    struct provider base;
    struct loop *loop;
    struct provider_events ev;
    struct kube_ha *ha;         /* NULL: no journal, no election */
    struct k8s_config *k8s_cfg; /* owned when loaded here */
    struct k8s_loop *adapter;
    struct k8s_client *client;
    struct kpool *pools;
    size_t npools;
    struct nsinf *infs;
    size_t ninfs;
    struct kube_binds *binds;
    struct loop_timer pump;
    struct quarantined *quarantine;
    struct loop_timer qtimer;
    uint64_t quarantine_ns;
    bool started;
    int64_t wall_offset;
    bool recovered, shutting_down;
    struct kube_provider_stats st;
};

static struct kube_provider *from_base(struct provider *p)
{
    return (struct kube_provider *)p;
}

static uint64_t now_ns(const struct kube_provider *kp)
{
    return loop_now(kp->loop);
}

static int64_t wall_now(const struct kube_provider *kp)
{
    return (int64_t)now_ns(kp) + kp->wall_offset;
}

static enum kube_answer answer_of(const struct k8s_result *res)
{
    long c = res->http_code;
    if (res->status == K8S_OK)
        return KUBE_ANSWER_2XX;
    if (c == 404)
        return KUBE_ANSWER_404;
    if (c == 409)
        return KUBE_ANSWER_409;
    if (c == 429)
        return KUBE_ANSWER_429;
    if (c >= 500)
        return KUBE_ANSWER_5XX;
    if (c >= 400)
        return KUBE_ANSWER_4XX;
    return KUBE_ANSWER_TRANSPORT;
}

static struct call *call_new(struct kube_provider *kp, struct kpool *pool, enum kube_verb verb,
                             const char *name)
{
    struct call *c = xcalloc(1, sizeof *c);
    c->kp = kp;
    c->pool = pool;
    c->verb = verb;
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

/* ---- lead times ---- */

static void lead_start(struct kpool *pool, const char *name, uint64_t now)
{
    struct lead *l = xcalloc(1, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->created = now;
    l->next = pool->leads;
    pool->leads = l;
}

/* Forgets the pod's lead record; returns its creation time or 0. */
static uint64_t lead_take(struct kpool *pool, const char *name)
{
    for (struct lead **pp = &pool->leads; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, name))
            continue;
        struct lead *l = *pp;
        uint64_t t = l->created;
        *pp = l->next;
        free(l);
        return t;
    }
    return 0;
}

static void lead_ready(struct kube_provider *kp, struct kpool *pool, const char *name)
{
    uint64_t t = lead_take(pool, name);
    if (!t)
        return;
    double s = (double)(now_ns(kp) - t) / 1e9;
    size_t b = 0;
    while (b < KUBE_LEAD_BUCKETS - 1 && s > kube_lead_bounds[b])
        b++;
    kp->st.lead_buckets[b]++;
    kp->st.lead_count++;
    kp->st.lead_sum_s += s;
}

/* ---- the pump: creates and binding records under their budgets ---- */

static void schedule(struct kube_provider *kp);
static void send_create(struct kpool *pool, const char *name);

static void pump_pool(struct kpool *pool, uint64_t now)
{
    while ((pool->retries || pool->wanted) && kube_budget_take(&pool->budget, now)) {
        char name[POOL_POD_NAME_MAX + 1];
        struct retry *r = pool->retries;
        if (r) {
            pool->retries = r->next;
            snprintf(name, sizeof name, "%s", r->name);
            free(r);
            pool->kp->st.create_retries++;
        } else {
            pool->wanted--;
            kube_namer_next(&pool->namer, name);
            lead_start(pool, name, now);
        }
        send_create(pool, name);
    }
}

static void send_binding(struct kube_provider *kp, const struct kube_binding *b);

static void pump(struct kube_provider *kp)
{
    uint64_t now = now_ns(kp);
    if (kp->recovered && !kp->shutting_down)
        for (size_t i = 0; i < kp->npools; i++)
            if (kp->pools[i].cfg)
                pump_pool(&kp->pools[i], now);
    struct kube_binding b;
    while (kube_binds_next(kp->binds, now, &b))
        send_binding(kp, &b);
    schedule(kp);
}

static void on_pump(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    pump(t->data);
}

static void schedule(struct kube_provider *kp)
{
    uint64_t now = now_ns(kp), when = kube_binds_wake(kp->binds, now);
    for (size_t i = 0; i < kp->npools && kp->recovered && !kp->shutting_down; i++) {
        struct kpool *p = &kp->pools[i];
        if (p->cfg && (p->wanted || p->retries) && p->budget.in_flight < p->budget.max_in_flight) {
            uint64_t at = kube_budget_next(&p->budget, now);
            when = at < when ? at : when;
        }
    }
    if (when == UINT64_MAX)
        loop_timer_stop(kp->loop, &kp->pump);
    else
        loop_timer_start(kp->loop, &kp->pump, when > now ? when : now + MS / 10);
}

/* ---- creates ---- */

static bool informer_has(struct kube_provider *kp, const struct kpool *pool, const char *name)
{
    for (size_t i = 0; i < kp->ninfs; i++)
        if (!strcmp(kp->infs[i].ns, pool->cfg->namespace))
            return k8s_informer_get(kp->infs[i].inf, pool->cfg->namespace, name) != NULL;
    return false;
}

static bool create_retryable(const struct k8s_result *res)
{
    long c = res->http_code;
    return res->status == K8S_ETRANSPORT || res->status == K8S_ETIMEOUT || c == 429 || c >= 500;
}

static void created(void *arg, struct k8s_result *res)
{
    struct call *c = arg;
    struct kube_provider *kp = c->kp;
    struct kpool *pool = c->pool;
    if (res->status == K8S_ECANCELED)
        goto out;
    kube_budget_done(&pool->budget);
    kp->st.requests[KUBE_VERB_CREATE][answer_of(res)]++;
    bool exists = res->status == K8S_OK || k8s_error_is_already_exists(res->error);
    if (exists) {
        kp->st.pods_created += res->status == K8S_OK;
        kp->st.create_replays += res->status != K8S_OK;
        /* Name the pool core's CREATING record now, unless the watch did. */
        if (kp->recovered && !informer_has(kp, pool, c->name))
            kp->ev.pod_starting(kp->ev.ctx, c->name, NULL, NULL);
    } else if (create_retryable(res)) {
        struct retry *r = xcalloc(1, sizeof *r);
        snprintf(r->name, sizeof r->name, "%s", c->name);
        r->next = pool->retries;
        pool->retries = r;
        kube_budget_fail(&pool->budget, now_ns(kp));
    } else {
        kp->st.create_failures++;
        lead_take(pool, c->name);
        kube_budget_fail(&pool->budget, now_ns(kp));
        char why[K8S_ERROR_MESSAGE_MAX + POOL_POD_NAME_MAX + 32];
        snprintf(why, sizeof why, "creating pod %s: %s", c->name,
                 res->error ? res->error->message : k8s_status_str(res->status));
        kp->ev.create_failed(kp->ev.ctx, 1, why);
    }
    pump(kp);
out:
    free(c);
}

static void send_create(struct kpool *pool, const char *name)
{
    struct kube_provider *kp = pool->kp;
    struct call *c = call_new(kp, pool, KUBE_VERB_CREATE, name);
    oom_check((void *)(uintptr_t)kube_template_name(pool->pod, name));
    enum k8s_status st =
        k8s_pods_create(kp->client, pool->cfg->namespace, pool->pod, NULL, created, c, NULL);
    if (st == K8S_ENOMEM)
        oom_abort();
    if (st != K8S_OK) {
        kube_budget_done(&pool->budget);
        free(c);
    }
}

/* ---- deletes ---- */

static void deleted(void *arg, struct k8s_result *res)
{
    struct call *c = arg;
    struct kube_provider *kp = c->kp;
    if (res->status != K8S_ECANCELED) {
        kp->st.requests[KUBE_VERB_DELETE][answer_of(res)]++;
        /* 404: gone before we asked; report it unless the watch will. */
        if (k8s_error_is_not_found(res->error) && c->pool && kp->recovered &&
            !informer_has(kp, c->pool, c->name))
            kp->ev.pod_gone(kp->ev.ctx, c->name);
    }
    free(c);
}

static void delete_named(struct kube_provider *kp, struct kpool *pool, const char *ns,
                         const char *name)
{
    struct call *c = call_new(kp, pool, KUBE_VERB_DELETE, name);
    struct k8s_delete_options o = {0};
    if (pool && pool->cfg->delete_grace_s >= 0) {
        o.set_grace_period = true;
        o.grace_period_seconds = pool->cfg->delete_grace_s;
    }
    kube_binds_forget(kp->binds, name);
    enum k8s_status st = k8s_pods_delete(kp->client, ns, name, &o, deleted, c, NULL);
    if (st == K8S_ENOMEM)
        oom_abort();
    if (st != K8S_OK)
        free(c);
}

/* ---- binding records ---- */

static void patched(void *arg, struct k8s_result *res)
{
    struct call *c = arg;
    struct kube_provider *kp = c->kp;
    if (res->status != K8S_ECANCELED) {
        enum kube_answer a = answer_of(res);
        kp->st.requests[KUBE_VERB_PATCH][a]++;
        enum kube_bind_outcome o = a == KUBE_ANSWER_2XX ? KUBE_BIND_WRITTEN
                                   : a == KUBE_ANSWER_404 || a == KUBE_ANSWER_4XX ? KUBE_BIND_DROP
                                                                                  : KUBE_BIND_RETRY;
        if (a == KUBE_ANSWER_4XX)
            log_line("binding of pod %s refused: %s", c->name,
                     res->error ? res->error->message : "?");
        kube_binds_finished(kp->binds, c->name, o, now_ns(kp));
        pump(kp);
    }
    free(c);
}

static void send_binding(struct kube_provider *kp, const struct kube_binding *b)
{
    struct kpool *pool = &kp->pools[b->pool];
    struct call *c = call_new(kp, pool, KUBE_VERB_PATCH, b->pod);
    char *body = oom_check(kube_binding_patch(b, NULL));
    enum k8s_status st = k8s_pods_patch(kp->client, pool->cfg->namespace, b->pod, K8S_PATCH_MERGE,
                                        body, strlen(body), patched, c, NULL);
    free(body);
    if (st == K8S_ENOMEM)
        oom_abort();
    if (st != K8S_OK) {
        kube_binds_finished(kp->binds, b->pod, KUBE_BIND_DROP, now_ns(kp));
        free(c);
    }
}

static void binding_of(const struct kube_provider *kp, size_t pool,
                       const struct pool_session_info *s, struct kube_binding *b)
{
    memset(b, 0, sizeof *b);
    b->pool = pool;
    snprintf(b->pod, sizeof b->pod, "%s", s->pod);
    snprintf(b->session, sizeof b->session, "%s", s->id);
    snprintf(b->key, sizeof b->key, "%s", s->key);
    snprintf(b->request_id, sizeof b->request_id, "%s", s->request_id);
    snprintf(b->owner, sizeof b->owner, "%s", s->owner);
    b->claimed_at_ns = (int64_t)s->claimed_at + kp->wall_offset;
    b->expires_at_ns = (int64_t)s->expires_at + kp->wall_offset;
    b->epoch = kp->ha ? kube_ha_epoch(kp->ha) : 0;
}

static int op_bind_durable(struct provider *p, const struct pool_session_info *s)
{
    struct kube_provider *kp = from_base(p);
    struct kube_binding b;
    if (!kp->ha)
        return 0;
    binding_of(kp, 0, s, &b);
    return kube_ha_journal_bind(kp->ha, s->pool, &b);
}

static void op_session_ended(struct provider *p, const struct pool_session_info *s)
{
    struct kube_provider *kp = from_base(p);
    struct kube_binding b;
    kube_binds_forget(kp->binds, s->pod);
    if (!kp->ha)
        return;
    binding_of(kp, 0, s, &b);
    kube_ha_journal_end(kp->ha, b.pod, b.session);
}

/* ---- quarantine of doubtful pods ---- */

static void arm_quarantine(struct kube_provider *kp)
{
    uint64_t when = UINT64_MAX;
    for (struct quarantined *q = kp->quarantine; q; q = q->next)
        when = q->until < when ? q->until : when;
    if (when == UINT64_MAX)
        loop_timer_stop(kp->loop, &kp->qtimer);
    else
        loop_timer_start(kp->loop, &kp->qtimer, when);
}

static void quarantine_add(struct kube_provider *kp, struct kpool *pool, const char *name)
{
    struct quarantined *q = xcalloc(1, sizeof *q);
    q->pool = pool;
    q->until = now_ns(kp) + kp->quarantine_ns;
    snprintf(q->name, sizeof q->name, "%s", name);
    q->next = kp->quarantine;
    kp->quarantine = q;
    kp->st.quarantined++;
}

/* Takes the pod out of quarantine; returns its pool, or NULL if it was not
 * quarantined. */
static struct kpool *quarantine_take(struct kube_provider *kp, const char *name)
{
    for (struct quarantined **pp = &kp->quarantine; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, name))
            continue;
        struct quarantined *q = *pp;
        struct kpool *pool = q->pool;
        *pp = q->next;
        free(q);
        arm_quarantine(kp);
        return pool;
    }
    return NULL;
}

static bool in_quarantine(const struct kube_provider *kp, const char *name)
{
    for (const struct quarantined *q = kp->quarantine; q; q = q->next)
        if (!strcmp(q->name, name))
            return true;
    return false;
}

static void on_quarantine_end(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct kube_provider *kp = t->data;
    uint64_t now = now_ns(kp);
    for (struct quarantined **pp = &kp->quarantine; *pp;) {
        struct quarantined *q = *pp;
        if (q->until > now) {
            pp = &q->next;
            continue;
        }
        *pp = q->next;
        kp->st.retired++;
        delete_named(kp, q->pool, q->pool->cfg->namespace, q->name);
        free(q);
    }
    arm_quarantine(kp);
}

static int restore_bound(struct kube_provider *kp, struct kpool *pool,
                         const struct kube_pod_view *v, struct kube_binding *b);

/* A quarantined pod changed: a binding written onto it (the previous
 * holder's journal flushed) makes it a live session again. */
static void quarantine_update(struct kube_provider *kp, const struct kube_pod_view *v)
{
    struct kube_binding b;
    if (v->cls == KUBE_POD_GONE) {
        quarantine_take(kp, v->name);
        return;
    }
    if (!v->binding[0] || !kube_binding_decode(v->binding, &b))
        return;
    struct kpool *pool = quarantine_take(kp, v->name);
    if (b.expires_at_ns <= wall_now(kp) || restore_bound(kp, pool, v, &b) != 0)
        delete_named(kp, pool, v->ns, v->name);
    kp->ev.recovered(kp->ev.ctx); /* the daemon drains what restore changed */
}

/* ---- observations ---- */

static struct kpool *pool_of(struct kube_provider *kp, const char *ns,
                             const struct kube_pod_view *v)
{
    for (size_t i = 0; i < kp->npools; i++) {
        struct kpool *p = &kp->pools[i];
        if (p->cfg && !strcmp(p->name, v->pool) && !strcmp(p->cfg->namespace, ns))
            return p;
    }
    return NULL;
}

static void address_of(const struct kpool *pool, const struct kube_pod_view *v, char *out,
                       size_t cap)
{
    if (!v->ip[0])
        snprintf(out, cap, "%s", "");
    else if (strchr(v->ip, ':'))
        snprintf(out, cap, "[%s]:%u", v->ip, (unsigned)pool->cfg->port);
    else
        snprintf(out, cap, "%s:%u", v->ip, (unsigned)pool->cfg->port);
}

static bool deleting(enum kube_pod_why why)
{
    return why == KUBE_WHY_DELETING || why == KUBE_WHY_EVICTED;
}

static void report_gone(struct kube_provider *kp, struct kpool *pool, const struct kube_pod_view *v)
{
    kp->st.pods_gone_by_why[v->why]++;
    if (v->why == KUBE_WHY_UNSCHEDULABLE || v->why == KUBE_WHY_FAILED ||
        v->why == KUBE_WHY_RESTARTED)
        kube_budget_fail(&pool->budget, now_ns(kp));
    lead_take(pool, v->name);
    kube_binds_forget(kp->binds, v->name);
    if (!deleting(v->why))
        delete_named(kp, pool, v->ns, v->name);
    kp->ev.pod_gone(kp->ev.ctx, v->name);
}

/* Tells the pool core the pod's class (new, or changed). */
static void report(struct kube_provider *kp, struct kpool *pool, const struct kube_pod_view *v)
{
    char addr[POOL_ADDR_MAX + 1];
    address_of(pool, v, addr, sizeof addr);
    switch (v->cls) {
    case KUBE_POD_READY:
        kp->ev.pod_starting(kp->ev.ctx, v->name, addr, v->node);
        kube_budget_ok(&pool->budget);
        lead_ready(kp, pool, v->name);
        kp->ev.pod_ready(kp->ev.ctx, v->name);
        break;
    case KUBE_POD_STARTING:
        kp->ev.pod_starting(kp->ev.ctx, v->name, addr[0] ? addr : NULL,
                            v->node[0] ? v->node : NULL);
        break;
    case KUBE_POD_GONE:
        report_gone(kp, pool, v);
        break;
    }
    pump(kp);
}

static void unknown_pod(struct kube_provider *kp, const struct kube_pod_view *v)
{
    if (v->cls == KUBE_POD_GONE && deleting(v->why))
        return;
    kp->st.unknown_deleted++;
    log_line("deleting pod %s/%s of unknown pool '%s'", v->ns, v->name, v->pool);
    delete_named(kp, NULL, v->ns, v->name);
}

static void on_add(void *arg, const cJSON *obj)
{
    struct nsinf *ni = arg;
    struct kube_provider *kp = ni->kp;
    struct kube_pod_view v;
    if (!kp->recovered || !kube_pod_read(obj, &v))
        return; /* before recovery the store is read whole */
    if (in_quarantine(kp, v.name))
        return quarantine_update(kp, &v);
    struct kpool *pool = pool_of(kp, ni->ns, &v);
    if (pool)
        report(kp, pool, &v);
    else
        unknown_pod(kp, &v);
}

static void on_update(void *arg, const cJSON *old_obj, const cJSON *new_obj)
{
    struct nsinf *ni = arg;
    struct kube_provider *kp = ni->kp;
    struct kube_pod_view o, v;
    if (!kp->recovered || !kube_pod_read(new_obj, &v))
        return;
    if (in_quarantine(kp, v.name))
        return quarantine_update(kp, &v);
    struct kpool *pool = pool_of(kp, ni->ns, &v);
    if (!pool) {
        unknown_pod(kp, &v);
        return;
    }
    bool known = kube_pod_read(old_obj, &o) && !strcmp(o.pool, v.pool);
    if (known && o.cls == v.cls && !strcmp(o.ip, v.ip) && !strcmp(o.node, v.node))
        return; /* nothing the pool core cares about */
    if (known && o.cls == KUBE_POD_GONE)
        return; /* already reported */
    report(kp, pool, &v);
}

static void on_delete(void *arg, const cJSON *last)
{
    struct nsinf *ni = arg;
    struct kube_provider *kp = ni->kp;
    struct kube_pod_view v;
    if (!kp->recovered || !kube_pod_read(last, &v))
        return;
    struct kpool *pool = pool_of(kp, ni->ns, &v);
    kube_binds_forget(kp->binds, v.name);
    if (kp->ha)
        kube_ha_journal_forget(kp->ha, v.name);
    if (!pool || quarantine_take(kp, v.name))
        return;
    if (v.cls != KUBE_POD_GONE)
        kp->st.pods_gone_by_why[KUBE_WHY_DELETING]++;
    lead_take(pool, v.name);
    kp->ev.pod_gone(kp->ev.ctx, v.name);
    pump(kp);
}

static void on_error(void *arg, const struct k8s_error *err)
{
    struct nsinf *ni = arg;
    log_line("pods in %s: %s", ni->ns, err->message);
}

/* The informer keeps compact pods; the binding annotation only while it
 * may still be needed: before recovery, and for quarantined pods. */
static cJSON *compact(void *arg, const cJSON *obj)
{
    struct nsinf *ni = arg;
    const char *name = k8s_obj_name(obj);
    bool keep = !ni->kp->recovered || (name && in_quarantine(ni->kp, name));
    return oom_check(kube_pod_compact(obj, keep));
}

/* ---- recovery ---- */

struct found {
    const cJSON **objs;
    size_t len, cap;
};

static void collect(void *arg, const cJSON *obj)
{
    struct found *f = arg;
    if (f->len == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 256;
        f->objs = xrealloc(f->objs, f->cap * sizeof *f->objs);
    }
    f->objs[f->len++] = obj;
}

/* The pod's binding: the journal's when it knows the pod, else the
 * annotation's. Returns false when none; *ended when the session ended. */
static bool recorded_binding(struct kube_provider *kp, const struct kube_pod_view *v,
                             struct kube_binding *b, bool *ended)
{
    struct kube_binding on_pod;
    bool annotated = v->binding[0] && kube_binding_decode(v->binding, &on_pod);
    *ended = false;
    enum kube_journal_state js =
        kp->ha ? kube_ha_journal_lookup(kp->ha, v->name, b) : KUBE_JOURNAL_NONE;
    /* a binding written in a later term than the journal's wins */
    if (js != KUBE_JOURNAL_NONE && annotated && on_pod.epoch > b->epoch)
        js = KUBE_JOURNAL_NONE;
    if (js == KUBE_JOURNAL_ENDED)
        *ended = true;
    if (js != KUBE_JOURNAL_NONE)
        return js == KUBE_JOURNAL_BOUND;
    if (annotated)
        *b = on_pod;
    return annotated;
}

enum restore_pass { PASS_BOUND, PASS_READY, PASS_STARTING };

static int restore_pod(struct kube_provider *kp, struct kpool *pool, const struct kube_pod_view *v,
                       const struct kube_binding *b)
{
    char addr[POOL_ADDR_MAX + 1];
    address_of(pool, v, addr, sizeof addr);
    struct provider_session ps;
    if (b)
        ps = (struct provider_session){.id = b->session,
                                       .key = b->key,
                                       .request_id = b->request_id,
                                       .owner = b->owner,
                                       .claimed_at_ns = b->claimed_at_ns,
                                       .expires_at_ns = b->expires_at_ns};
    return kp->ev.pod_restored(kp->ev.ctx, v->name, v->cls == KUBE_POD_READY, addr[0] ? addr : NULL,
                               v->node[0] ? v->node : NULL, b ? &ps : NULL);
}

static int restore_bound(struct kube_provider *kp, struct kpool *pool,
                         const struct kube_pod_view *v, struct kube_binding *b)
{
    b->pool = pool->index;
    snprintf(b->pod, sizeof b->pod, "%s", v->name);
    if (restore_pod(kp, pool, v, b) != 0) {
        kp->st.over_max_deleted++;
        return -1;
    }
    kp->st.restored_bound++;
    return 0;
}

/* First pass: pods of unknown pools, gone pods, and sessions. */
static void restore_first(struct kube_provider *kp, struct kpool *pool,
                          const struct kube_pod_view *v)
{
    struct kube_binding b;
    bool ended;
    if (!pool)
        return unknown_pod(kp, v);
    if (v->cls == KUBE_POD_GONE) {
        if (!deleting(v->why))
            delete_named(kp, pool, v->ns, v->name);
        return;
    }
    if (!recorded_binding(kp, v, &b, &ended)) {
        if (ended)
            delete_named(kp, pool, v->ns, v->name); /* its session is over */
        return;
    }
    if (b.expires_at_ns <= wall_now(kp) || restore_bound(kp, pool, v, &b) != 0)
        delete_named(kp, pool, v->ns, v->name);
}

/* Later passes: idle pods, Ready ones first; doubtful ones are held back. */
static void restore_idle(struct kube_provider *kp, struct kpool *pool,
                         const struct kube_pod_view *v, bool ready_pass, bool provable)
{
    struct kube_binding b;
    bool ended;
    if (!pool || v->cls == KUBE_POD_GONE || ready_pass != (v->cls == KUBE_POD_READY) ||
        recorded_binding(kp, v, &b, &ended) || ended)
        return; /* handled in the first pass */
    if (!provable) {
        quarantine_add(kp, pool, v->name);
    } else if (restore_pod(kp, pool, v, NULL) == 0) {
        kp->st.restored_idle++;
    } else {
        kp->st.over_max_deleted++;
        delete_named(kp, pool, v->ns, v->name);
    }
}

static void restore_one(struct kube_provider *kp, const struct kube_pod_view *v,
                        enum restore_pass pass, bool provable)
{
    struct kpool *pool = pool_of(kp, v->ns, v);
    if (pass == PASS_BOUND)
        restore_first(kp, pool, v);
    else
        restore_idle(kp, pool, v, pass == PASS_READY, provable);
}

static void recover(struct kube_provider *kp)
{
    struct found f = {0};
    for (size_t i = 0; i < kp->ninfs; i++)
        k8s_informer_foreach(kp->infs[i].inf, collect, &f);
    bool provable = kp->ha && kube_ha_idle_provable(kp->ha);
    for (int pass = PASS_BOUND; pass <= PASS_STARTING; pass++)
        for (size_t i = 0; i < f.len; i++) {
            struct kube_pod_view v;
            if (kube_pod_read(f.objs[i], &v))
                restore_one(kp, &v, (enum restore_pass)pass, provable);
        }
    free(f.objs);
    /* The list's pages (whole pods) are freed; give their memory back so
     * what stays resident is what is kept (compact records). */
    malloc_trim(0);
    kp->recovered = true;
    log_line("recovered: %llu bound, %llu idle, %llu quarantined, %llu over max_total, %llu "
             "unknown",
             (unsigned long long)kp->st.restored_bound, (unsigned long long)kp->st.restored_idle,
             (unsigned long long)kp->st.quarantined, (unsigned long long)kp->st.over_max_deleted,
             (unsigned long long)kp->st.unknown_deleted);
    arm_quarantine(kp);
    kp->ev.recovered(kp->ev.ctx);
    pump(kp);
}

static void on_synced(void *arg)
{
    struct nsinf *ni = arg;
    struct kube_provider *kp = ni->kp;
    ni->synced = true;
    for (size_t i = 0; i < kp->ninfs; i++)
        if (!kp->infs[i].synced)
            return;
    if (!kp->recovered)
        recover(kp);
}

/* ---- provider operations ---- */

static enum provider_status op_create(struct provider *p, uint32_t count)
{
    struct kube_provider *kp = from_base(p);
    kp->pools[0].wanted += count;
    pump(kp);
    return PROVIDER_OK;
}

static enum provider_status op_delete(struct provider *p, const char *pod)
{
    struct kube_provider *kp = from_base(p);
    struct kpool *pool = &kp->pools[0];
    lead_take(pool, pod);
    delete_named(kp, pool, pool->cfg->namespace, pod);
    return PROVIDER_OK;
}

static enum provider_status op_record(struct provider *p, const struct pool_session_info *s)
{
    struct kube_provider *kp = from_base(p);
    struct kube_binding b;
    binding_of(kp, 0, s, &b);
    if (!kube_binds_push(kp->binds, &b))
        log_line("pool %s: binding queue full: pod %s not recorded", kp->pools[0].name, b.pod);
    pump(kp);
    return PROVIDER_OK;
}

static void op_shutdown(struct provider *p)
{
    struct kube_provider *kp = from_base(p);
    /* Pods stay: the next prewarmd adopts them. Queued bindings are still
     * written while the daemon drains (live_count). */
    kp->shutting_down = true;
    pump(kp);
}

static size_t op_live_count(const struct provider *p)
{
    const struct kube_provider *kp = (const struct kube_provider *)p;
    struct kube_binds_stats bs;
    kube_binds_get_stats(kp->binds, &bs);
    return bs.depth;
}

static void free_pool(struct kpool *pool)
{
    while (pool->retries) {
        struct retry *r = pool->retries;
        pool->retries = r->next;
        free(r);
    }
    while (pool->leads) {
        struct lead *l = pool->leads;
        pool->leads = l->next;
        free(l);
    }
    cJSON_Delete(pool->pod);
}

static void op_free(struct provider *p)
{
    struct kube_provider *kp = from_base(p);
    if (!kp)
        return;
    for (size_t i = 0; i < kp->ninfs; i++) {
        k8s_informer_free(kp->infs[i].inf);
        free(kp->infs[i].ns);
    }
    k8s_client_free(kp->client); /* in-flight calls end with K8S_ECANCELED */
    k8s_loop_free(kp->adapter);
    loop_timer_stop(kp->loop, &kp->pump);
    loop_timer_stop(kp->loop, &kp->qtimer);
    while (kp->quarantine) {
        struct quarantined *q = kp->quarantine;
        kp->quarantine = q->next;
        free(q);
    }
    for (size_t i = 0; i < kp->npools; i++)
        free_pool(&kp->pools[i]);
    kube_binds_free(kp->binds);
    k8s_config_free(kp->k8s_cfg);
    free(kp->infs);
    free(kp->pools);
    free(kp);
}

static uint32_t op_stop_grace_ms(const struct provider *p)
{
    (void)p;
    return 5000; /* flushing queued binding records; pods are not stopped */
}

static bool op_serving(const struct provider *p)
{
    const struct kube_provider *kp = (const struct kube_provider *)p;
    return kp->recovered && (!kp->ha || kube_ha_serving(kp->ha));
}

static const struct provider_ops kube_ops = {
    .name = "kubernetes",
    .create_pods = op_create,
    .delete_pod = op_delete,
    .record_binding = op_record,
    .bind_durable = op_bind_durable,
    .session_ended = op_session_ended,
    .serving = op_serving,
    .shutdown = op_shutdown,
    .live_count = op_live_count,
    .stop_grace_ms = op_stop_grace_ms,
    .free = op_free,
};

bool kube_provider_is(const struct provider *p)
{
    return p && p->ops == &kube_ops;
}

void kube_provider_set_ha(struct provider *p, struct kube_ha *ha)
{
    from_base(p)->ha = ha;
}

void kube_provider_get_stats(const struct provider *p, struct kube_provider_stats *out)
{
    const struct kube_provider *kp = (const struct kube_provider *)p;
    *out = kp->st;
    kube_binds_get_stats(kp->binds, &out->binds);
    out->tracked_pods = 0;
    for (size_t i = 0; i < kp->ninfs; i++) {
        struct k8s_informer_stats is;
        k8s_informer_get_stats(kp->infs[i].inf, &is);
        out->lists += is.lists;
        out->relists += is.relists;
        out->list_failures += is.list_failures;
        out->watch_restarts += is.watch_restarts;
        out->tracked_pods += k8s_informer_count(kp->infs[i].inf);
    }
    out->recovered = kp->recovered;
}

void kube_provider_get_api_stats(const struct provider *p, struct k8s_client_stats *out)
{
    k8s_client_get_stats(((const struct kube_provider *)p)->client, out);
}

/* ---- construction ---- */

static int init_pool(struct kpool *pool, const struct kube_provider_pool *in, uint64_t seed,
                     char *err, size_t errlen, uint64_t now)
{
    snprintf(pool->name, sizeof pool->name, "%s", in->name);
    pool->max_total = in->max_total;
    pool->cfg = in->kube;
    if (!pool->cfg)
        return 0;
    char why[256];
    if (!(pool->pod =
              kube_template_build(pool->cfg->template, pool->name, pool->cfg, why, sizeof why))) {
        snprintf(err, errlen, "pool %s: %s", pool->name, why);
        return -1;
    }
    if (!seed && getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        seed = now ^ (uint64_t)(uintptr_t)pool;
    kube_namer_init(&pool->namer, pool->name, seed);
    kube_budget_init(&pool->budget, pool->cfg->create_qps, pool->cfg->create_burst,
                     pool->cfg->max_creating, now);
    return 0;
}

static int start_informers(struct kube_provider *kp, char *err, size_t errlen)
{
    kp->infs = xcalloc(kp->npools ? kp->npools : 1, sizeof *kp->infs);
    for (size_t i = 0; i < kp->npools; i++) {
        const struct kube_pool_config *c = kp->pools[i].cfg;
        if (!c)
            continue;
        struct nsinf *ni = &kp->infs[kp->ninfs++];
        ni->kp = kp;
        ni->ns = xstrdup(c->namespace);
        char path[512];
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods", c->namespace);
        /* Only this pool's pods: pools sharing a namespace each have their
         * own provider, and must never take the others' pods for unknown. */
        char selector[256];
        snprintf(selector, sizeof selector, "%s,%s=%s", KUBE_SELECTOR_MANAGED, KUBE_LABEL_POOL,
                 kp->pools[i].name);
        struct k8s_informer_options io = {
            .path = path, .label_selector = selector, .transform = compact};
        struct k8s_informer_handlers h = {on_add, on_update, on_delete, on_synced, on_error};
        if (k8s_informer_start(kp->client, &io, &h, ni, &ni->inf) != K8S_OK) {
            snprintf(err, errlen, "cannot watch pods in namespace %s", c->namespace);
            return -1;
        }
    }
    return 0;
}

static int start_client(struct kube_provider *kp, const struct kube_provider_options *o, char *err,
                        size_t errlen)
{
    if (!o->k8s && kube_connection_load(o->conn, &kp->k8s_cfg, err, errlen))
        return -1;
    struct k8s_client_options co;
    k8s_client_options_default(&co);
    if (o->conn) {
        co.qps = o->conn->qps;
        co.burst = (int)o->conn->burst;
    }
    co.user_agent = "prewarmd";
    kp->adapter = k8s_loop_new(kp->loop);
    if (k8s_client_new(o->k8s ? o->k8s : kp->k8s_cfg, &co, k8s_loop_ops(), kp->adapter,
                       &kp->client) != K8S_OK) {
        snprintf(err, errlen, "cannot create the Kubernetes client");
        return -1;
    }
    k8s_loop_attach(kp->adapter, kp->client);
    return 0;
}

struct provider *kube_provider_new(struct loop *loop, const struct kube_provider_options *o,
                                   char *err, size_t errlen)
{
    struct kube_provider *kp = xcalloc(1, sizeof *kp);
    struct timespec rt, mono;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    kp->wall_offset =
        ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL + ((int64_t)rt.tv_nsec - mono.tv_nsec);
    kp->base.ops = &kube_ops;
    kp->loop = loop;
    kp->ev = o->events;
    kp->ha = o->ha;
    kp->npools = o->npools;
    loop_timer_init(&kp->pump, on_pump, kp);
    loop_timer_init(&kp->qtimer, on_quarantine_end, kp);
    kp->pools = xcalloc(o->npools, sizeof *kp->pools);
    size_t capacity = 0;
    uint64_t now = loop_now(loop);
    for (size_t i = 0; i < o->npools; i++) {
        kp->pools[i].kp = kp;
        kp->pools[i].index = i;
        if (init_pool(&kp->pools[i], &o->pools[i], o->name_seed ? o->name_seed + i : 0, err, errlen,
                      now))
            goto fail;
        capacity += kp->pools[i].cfg ? o->pools[i].max_total : 0;
    }
    double bind_qps = o->conn ? o->conn->bind_qps : 20;
    kp->binds = oom_check(kube_binds_new(capacity ? capacity : 1, bind_qps,
                                         bind_qps >= 1 ? (uint32_t)bind_qps : 1, FLUSH_MAX, now));
    kp->quarantine_ns = (uint64_t)(o->conn ? o->conn->quarantine_s : 30) * 1000000000ull;
    if (start_client(kp, o, err, errlen))
        goto fail;
    return &kp->base;
fail:
    op_free(&kp->base);
    return NULL;
}

int kube_provider_start(struct provider *p, char *err, size_t errlen)
{
    struct kube_provider *kp = from_base(p);
    if (kp->started)
        return 0;
    kp->started = true;
    if (start_informers(kp, err, errlen))
        return -1;
    if (kp->ninfs == 0)
        recover(kp);
    return 0;
}

struct provider *provider_kube_new(struct loop *loop, const struct config_pool *pool,
                                   const struct provider_events *events, struct kube_group *group,
                                   char *err, size_t errlen)
{
    struct kube_provider_pool kpool = {
        .name = pool->name, .kube = &pool->kube, .max_total = pool->max_total};
    struct kube_provider_options o = {
        .conn = pool->kube.conn, .pools = &kpool, .npools = 1, .events = *events};
    struct provider *p = kube_provider_new(loop, &o, err, errlen);
    int rc = !p      ? 0
             : group ? kube_group_join(group, p, pool->name, err, errlen)
                     : kube_provider_start(p, err, errlen);
    if (p && rc) {
        p->ops->free(p);
        return NULL;
    }
    return p;
}
