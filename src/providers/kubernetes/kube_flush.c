/* kube_flush: the journal written onto the pods at start (kube_flush.h). */
#include "kube_flush.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_error.h"
#include "k8s_object.h"
#include "k8s_pods.h"
#include "kube_binds.h"
#include "kube_pod.h"
#include "oom.h"

#define BACKOFF_FIRST_NS 1000000000ull
#define BACKOFF_MAX_NS   30000000000ull

/* One API call in flight. */
struct op {
    struct kube_flush *f;
    struct k8s_request *req;
    char *ns; /* list: the namespace; patch/delete: unused */
    struct op *prev, *next;
};

struct kube_flush {
    struct loop *loop;
    struct k8s_client *c;
    struct kube_journal *j;
    char **ns;
    size_t nns;
    struct op *ops; /* in flight */
    bool failed;    /* this pass had a failure */
    bool closing;
    uint64_t backoff_ns;
    struct loop_timer retry;
    void (*done)(void *);
    void *arg;
    struct kube_flush_stats stats;
};

static void pass_start(struct kube_flush *f);

static struct op *op_new(struct kube_flush *f, const char *ns)
{
    struct op *o = xcalloc(1, sizeof(*o));
    o->ns = ns ? xstrdup(ns) : NULL;
    o->f = f;
    o->next = f->ops;
    if (f->ops)
        f->ops->prev = o;
    f->ops = o;
    return o;
}

static void op_free(struct op *o)
{
    struct kube_flush *f = o->f;
    if (o->prev)
        o->prev->next = o->next;
    else
        f->ops = o->next;
    if (o->next)
        o->next->prev = o->prev;
    free(o->ns);
    free(o);
}

/* An op finished: when it was the pass's last, end the pass. */
static void op_done(struct op *o, bool ok)
{
    struct kube_flush *f = o->f;
    op_free(o);
    if (!ok) {
        f->failed = true;
        f->stats.failures++;
    }
    if (f->closing || f->ops)
        return;
    if (!f->failed) {
        f->stats.done = true;
        f->done(f->arg);
        return;
    }
    f->backoff_ns = f->backoff_ns ? f->backoff_ns * 2 : BACKOFF_FIRST_NS;
    if (f->backoff_ns > BACKOFF_MAX_NS)
        f->backoff_ns = BACKOFF_MAX_NS;
    loop_timer_start(f->loop, &f->retry, loop_now(f->loop) + f->backoff_ns);
}

static bool answered_ok(const struct k8s_result *res)
{
    return res->status == K8S_OK || (res->error && k8s_error_is_not_found(res->error));
}

static void write_done(void *arg, struct k8s_result *res)
{
    struct op *o = arg;
    if (res->status == K8S_OK)
        o->f->stats.written++;
    op_done(o, answered_ok(res));
}

static void delete_done(void *arg, struct k8s_result *res)
{
    struct op *o = arg;
    if (res->status == K8S_OK)
        o->f->stats.deleted++;
    op_done(o, answered_ok(res));
}

/* The journal's binding onto the pod, if the pod is still at rv; NULL on OOM. */
static char *binding_patch(const struct kube_journal_entry *e, const char *rv)
{
    struct kube_binding b;
    kube_binding_from_journal(e, &b);
    return kube_binding_patch(&b, rv);
}

/* What to do with one listed pod, given the journal. */
static bool flush_pod(struct kube_flush *f, const char *ns, const cJSON *pod)
{
    const char *name = k8s_obj_name(pod), *rv = k8s_obj_resource_version(pod);
    const struct kube_journal_entry *e = name ? kube_journal_lookup(f->j, name) : NULL;
    if (!e || !rv)
        return true;
    const char *text = k8s_json_str(pod, "metadata", "annotations", KUBE_ANNOTATION_BIND, NULL);
    struct kube_binding on_pod;
    bool has = text && kube_binding_decode(text, &on_pod);
    bool same = has && strcmp(on_pod.session, e->session) == 0;
    struct op *o = NULL;
    enum k8s_status st = K8S_OK;
    if (e->ended && same) {
        struct k8s_delete_options d = {.precondition_uid = k8s_obj_uid(pod)};
        o = op_new(f, NULL);
        st = k8s_pods_delete(f->c, ns, name, &d, delete_done, o, &o->req);
    } else if (!e->ended && !same && (!has || on_pod.epoch < e->epoch)) {
        char *body = binding_patch(e, rv);
        if (!body)
            return false;
        o = op_new(f, NULL);
        st = k8s_pods_patch(f->c, ns, name, K8S_PATCH_MERGE, body, strlen(body), write_done, o,
                            &o->req);
        free(body);
    }
    if (o && st != K8S_OK) {
        op_free(o);
        return false;
    }
    return true;
}

static void list_done(void *arg, struct k8s_result *res)
{
    struct op *o = arg;
    struct kube_flush *f = o->f;
    bool ok = res->status == K8S_OK;
    const cJSON *items = ok ? cJSON_GetObjectItemCaseSensitive(res->object, "items") : NULL;
    const cJSON *pod;
    cJSON_ArrayForEach(pod, items)
    {
        f->stats.seen++;
        if (!f->closing && !flush_pod(f, o->ns, pod))
            ok = false;
    }
    op_done(o, ok);
}

static void pass_start(struct kube_flush *f)
{
    struct k8s_list_options lo = {.label_selector = KUBE_SELECTOR_MANAGED};
    f->failed = false;
    f->stats.seen = 0;
    f->stats.passes++;
    /* a placeholder op keeps the pass open until every list is issued */
    struct op *hold = op_new(f, NULL);
    bool ok = true;
    for (size_t i = 0; ok && i < f->nns; i++) {
        struct op *o = op_new(f, f->ns[i]);
        if (k8s_pods_list(f->c, f->ns[i], &lo, list_done, o, &o->req) != K8S_OK) {
            op_free(o);
            ok = false;
        }
    }
    op_done(hold, ok);
}

static void retry_fired(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    pass_start(t->data);
}

static void add_namespace(struct kube_flush *f, const char *ns)
{
    for (size_t i = 0; i < f->nns; i++)
        if (strcmp(f->ns[i], ns) == 0)
            return;
    f->ns[f->nns++] = xstrdup(ns);
}

void kube_flush_start(struct loop *loop, struct k8s_client *c, struct kube_journal *j,
                      const char *const *namespaces, size_t n, void (*done)(void *), void *arg,
                      struct kube_flush **out)
{
    struct kube_flush *f = xcalloc(1, sizeof(*f));
    f->ns = xcalloc(n ? n : 1, sizeof(*f->ns));
    f->loop = loop, f->c = c, f->j = j, f->done = done, f->arg = arg;
    loop_timer_init(&f->retry, retry_fired, f);
    for (size_t i = 0; i < n; i++)
        add_namespace(f, namespaces[i]);
    *out = f;
    loop_timer_start(loop, &f->retry, loop_now(loop)); /* the first pass, on the loop */
}

void kube_flush_free(struct kube_flush *f)
{
    if (!f)
        return;
    f->closing = true;
    loop_timer_stop(f->loop, &f->retry);
    while (f->ops) {
        struct op *o = f->ops;
        if (o->req)
            k8s_request_cancel(o->req); /* the callback frees the op */
        else
            op_free(o);
    }
    for (size_t i = 0; i < f->nns; i++)
        free(f->ns[i]);
    free(f->ns);
    free(f);
}

void kube_flush_get_stats(const struct kube_flush *f, struct kube_flush_stats *out)
{
    *out = f->stats;
}
