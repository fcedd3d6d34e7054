#include "k8s_informer.h"

#include <stdlib.h>
#include <string.h>

#include "k8s_client_int.h"
#include "k8s_object.h"
#include "k8s_pods.h"
#include "k8s_store.h"
#include "k8s_watch.h"

struct k8s_informer {
    struct k8s_client *c;
    struct k8s_informer_options o; /* strings owned */
    struct k8s_informer_handlers h;
    void *arg;
    struct k8s_store store; /* what callbacks have been told */
    struct k8s_store fresh; /* the list in progress */
    char *list_rv;
    struct k8s_request *list_req;
    struct k8s_watch *watch;
    struct k8s_timer timer; /* list back-off */
    uint64_t backoff_ms;
    bool synced;
    struct k8s_informer_stats stats;
};

static enum k8s_status list_page(struct k8s_informer *inf, const char *cont);

static void report(struct k8s_informer *inf, const struct k8s_error *err)
{
    if (inf->h.on_error)
        inf->h.on_error(inf->arg, err);
}

/* ---- watch events ---- */

/* One object, not just one name: a name deleted and created again while we
 * were not looking is another object with another uid (pools recycle fixed
 * names). Objects without a uid compare equal. */
static bool same_object(const cJSON *a, const cJSON *b)
{
    const char *ua = k8s_obj_uid(a), *ub = k8s_obj_uid(b);
    return !ua || !ub || strcmp(ua, ub) == 0;
}

/* The object to store for obj (borrowed): the transform's or a copy. */
static cJSON *keepable(struct k8s_informer *inf, const cJSON *obj)
{
    return inf->o.transform ? inf->o.transform(inf->arg, obj) : cJSON_Duplicate(obj, 1);
}

static void apply_deleted(struct k8s_informer *inf, char *key, cJSON *object)
{
    /* Only the object the event names: not a newer one under its name. */
    struct k8s_store_entry *e = k8s_store_find(&inf->store, key);
    cJSON *old = e && same_object(e->obj, object) ? k8s_store_take(&inf->store, key) : NULL;
    if (old) {
        cJSON *last = inf->o.transform ? keepable(inf, object) : NULL;
        inf->stats.deletes++;
        inf->h.on_delete(inf->arg, last ? last : object);
        cJSON_Delete(last);
        cJSON_Delete(old);
    }
    free(key);
}

static void apply_event(struct k8s_informer *inf, enum k8s_event_type type, cJSON *object)
{
    char *key = k8s_store_key_of(object);
    if (!key)
        return;
    if (type == K8S_EVENT_DELETED) {
        apply_deleted(inf, key, object);
        return;
    }
    cJSON *copy = keepable(inf, object);
    enum k8s_status st = K8S_ENOMEM;
    cJSON *old = copy ? k8s_store_put(&inf->store, key, copy, &st) : NULL;
    if (copy && st == K8S_OK) {
        if (old && !same_object(old, copy)) {
            /* The DELETED of the old object was not seen: report it first. */
            inf->stats.deletes++;
            inf->h.on_delete(inf->arg, old);
            inf->stats.adds++;
            inf->h.on_add(inf->arg, copy);
        } else if (old) {
            inf->stats.updates++;
            inf->h.on_update(inf->arg, old, copy);
        } else {
            inf->stats.adds++;
            inf->h.on_add(inf->arg, copy);
        }
    } else {
        cJSON_Delete(copy);
    }
    cJSON_Delete(old);
    free(key);
}

static void on_watch_event(void *arg, enum k8s_event_type type, cJSON *object)
{
    apply_event(arg, type, object);
}

static void start_list(struct k8s_informer *inf);
static void list_backoff(struct k8s_informer *inf);

static void on_watch_expired(void *arg, const struct k8s_error *err)
{
    struct k8s_informer *inf = arg;
    report(inf, err);
    inf->stats.relists++;
    start_list(inf);
}

static void on_watch_error(void *arg, const struct k8s_error *err)
{
    report(arg, err);
}

/* ---- relist diff ---- */

static void emit_delete_if_gone(void *arg, struct k8s_store_entry *e)
{
    struct k8s_informer *inf = arg;
    struct k8s_store_entry *now = k8s_store_find(&inf->fresh, e->key);
    if (!now || !same_object(e->obj, now->obj)) {
        inf->stats.deletes++;
        inf->h.on_delete(inf->arg, e->obj);
    }
}

static bool same_rv(const cJSON *a, const cJSON *b)
{
    const char *ra = k8s_obj_resource_version(a), *rb = k8s_obj_resource_version(b);
    return ra && rb && strcmp(ra, rb) == 0;
}

static void emit_add_or_update(void *arg, struct k8s_store_entry *e)
{
    struct k8s_informer *inf = arg;
    struct k8s_store_entry *old = k8s_store_find(&inf->store, e->key);
    if (!old || !same_object(old->obj, e->obj)) { /* new, or its old self was deleted above */
        inf->stats.adds++;
        inf->h.on_add(inf->arg, e->obj);
    } else if (!same_rv(old->obj, e->obj)) {
        inf->stats.updates++;
        inf->h.on_update(inf->arg, old->obj, e->obj);
    }
}

/* The list is complete: tell the callbacks what changed, adopt it, watch. */
static void list_complete(struct k8s_informer *inf)
{
    k8s_store_foreach(&inf->store, emit_delete_if_gone, inf);
    k8s_store_foreach(&inf->fresh, emit_add_or_update, inf);
    k8s_store_free(&inf->store);
    inf->store = inf->fresh;
    k8s_store_init(&inf->fresh);
    inf->backoff_ms = 0;
    bool first = !inf->synced;
    inf->synced = true;
    if (first && inf->h.on_synced)
        inf->h.on_synced(inf->arg);
    if (inf->watch) {
        k8s_watch_restart(inf->watch, inf->list_rv);
        return;
    }
    struct k8s_watch_options wo = {
        .path = inf->o.path,
        .label_selector = inf->o.label_selector,
        .field_selector = inf->o.field_selector,
        .resource_version = inf->list_rv,
        .timeout_min_s = inf->o.watch_timeout_min_s,
        .timeout_max_s = inf->o.watch_timeout_max_s,
        .idle_timeout_ms = inf->o.idle_timeout_ms,
        .backoff_initial_ms = inf->o.backoff_initial_ms,
        .backoff_max_ms = inf->o.backoff_max_ms,
    };
    struct k8s_watch_handlers wh = {on_watch_event, on_watch_expired, on_watch_error};
    if (k8s_watch_start(inf->c, &wo, &wh, inf, &inf->watch) != K8S_OK) {
        struct k8s_error err;
        k8s_error_set(&err, K8S_ENOMEM, "cannot start the watch");
        report(inf, &err);
        list_backoff(inf); /* relist later, then watch again */
    }
}

/* ---- listing ---- */

static void list_retry(struct k8s_timer *t)
{
    start_list(t->data);
}

static void list_backoff(struct k8s_informer *inf)
{
    inf->stats.list_failures++;
    uint64_t base = (uint64_t)inf->o.backoff_initial_ms;
    inf->backoff_ms = inf->backoff_ms ? inf->backoff_ms * 2 : base;
    if (inf->backoff_ms > (uint64_t)inf->o.backoff_max_ms)
        inf->backoff_ms = (uint64_t)inf->o.backoff_max_ms;
    uint64_t delay = inf->backoff_ms + k8s_client_random(inf->c) % (inf->backoff_ms + 1);
    k8s_timer_start(&inf->c->timers, &inf->timer, k8s_now_ms() + delay);
}

static enum k8s_status take_items(struct k8s_informer *inf, cJSON *list)
{
    cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items");
    while (cJSON_IsArray(items) && items->child) {
        cJSON *item = cJSON_DetachItemViaPointer(items, items->child);
        if (inf->o.transform) {
            cJSON *kept = inf->o.transform(inf->arg, item);
            cJSON_Delete(item);
            if (!(item = kept))
                return K8S_ENOMEM;
        }
        char *key = k8s_store_key_of(item);
        enum k8s_status st = K8S_EPROTO;
        cJSON *old = key ? k8s_store_put(&inf->fresh, key, item, &st) : NULL;
        free(key);
        cJSON_Delete(old);
        if (st != K8S_OK) {
            cJSON_Delete(item);
            return st;
        }
    }
    return K8S_OK;
}

static enum k8s_status keep_rv(struct k8s_informer *inf, const cJSON *list)
{
    const char *rv = k8s_json_str(list, "metadata", "resourceVersion", NULL);
    char *copy = strdup(rv ? rv : "");
    if (!copy)
        return K8S_ENOMEM;
    free(inf->list_rv);
    inf->list_rv = copy;
    return K8S_OK;
}

static void page_done(void *arg, struct k8s_result *res)
{
    struct k8s_informer *inf = arg;
    inf->list_req = NULL;
    if (res->status == K8S_ECANCELED)
        return;
    enum k8s_status st = res->status;
    if (st == K8S_OK)
        st = take_items(inf, res->object);
    if (st == K8S_OK)
        st = keep_rv(inf, res->object);
    if (st != K8S_OK) {
        struct k8s_error err;
        if (res->error)
            err = *res->error;
        else
            k8s_error_set(&err, st, "cannot decode the list");
        report(inf, &err);
        k8s_store_free(&inf->fresh);
        list_backoff(inf); /* also for an expired continue token: list anew */
        return;
    }
    inf->stats.pages++;
    const char *cont = k8s_json_str(res->object, "metadata", "continue", NULL);
    if (cont && *cont) {
        if (list_page(inf, cont) != K8S_OK) {
            k8s_store_free(&inf->fresh);
            list_backoff(inf);
        }
        return;
    }
    list_complete(inf);
}

static enum k8s_status list_page(struct k8s_informer *inf, const char *cont)
{
    struct k8s_list_options lo = {
        .label_selector = inf->o.label_selector,
        .field_selector = inf->o.field_selector,
        .limit = inf->o.page_size,
        .continue_token = cont,
    };
    char *query = k8s_list_query(&lo);
    if (!query)
        return K8S_ENOMEM;
    enum k8s_status st = k8s_object_call(inf->c, "GET", inf->o.path, query, NULL, NULL, 0,
                                         page_done, inf, &inf->list_req);
    free(query);
    return st;
}

static void start_list(struct k8s_informer *inf)
{
    k8s_store_free(&inf->fresh);
    inf->stats.lists++;
    if (list_page(inf, NULL) != K8S_OK)
        list_backoff(inf);
}

/* ---- public ---- */

static char *dup_opt(const char *s, bool *oom)
{
    char *d = s ? strdup(s) : NULL;
    *oom |= s && !d;
    return d;
}

enum k8s_status k8s_informer_start(struct k8s_client *c, const struct k8s_informer_options *o,
                                   const struct k8s_informer_handlers *h, void *arg,
                                   struct k8s_informer **out)
{
    *out = NULL;
    if (!o->path || o->path[0] != '/' || !h->on_add || !h->on_update || !h->on_delete)
        return K8S_EINVAL;
    struct k8s_informer *inf = calloc(1, sizeof *inf);
    if (!inf)
        return K8S_ENOMEM;
    bool oom = false;
    inf->c = c;
    inf->h = *h;
    inf->arg = arg;
    inf->o = *o;
    inf->o.path = dup_opt(o->path, &oom);
    inf->o.label_selector = dup_opt(o->label_selector, &oom);
    inf->o.field_selector = dup_opt(o->field_selector, &oom);
    if (inf->o.page_size <= 0)
        inf->o.page_size = 500;
    if (inf->o.backoff_initial_ms <= 0)
        inf->o.backoff_initial_ms = 800;
    if (inf->o.backoff_max_ms <= 0)
        inf->o.backoff_max_ms = 30000;
    k8s_store_init(&inf->store);
    k8s_store_init(&inf->fresh);
    k8s_timer_init(&inf->timer, list_retry, inf);
    inf->stats.lists++;
    enum k8s_status st = oom ? K8S_ENOMEM : list_page(inf, NULL);
    if (st != K8S_OK) {
        k8s_informer_free(inf);
        return st;
    }
    *out = inf;
    return K8S_OK;
}

void k8s_informer_free(struct k8s_informer *inf)
{
    if (!inf)
        return;
    k8s_timer_stop(&inf->c->timers, &inf->timer);
    struct k8s_request *r = inf->list_req;
    inf->list_req = NULL;
    if (r)
        k8s_request_cancel(r); /* page_done sees ECANCELED and returns */
    k8s_watch_free(inf->watch);
    k8s_store_free(&inf->store);
    k8s_store_free(&inf->fresh);
    free((char *)inf->o.path);
    free((char *)inf->o.label_selector);
    free((char *)inf->o.field_selector);
    free(inf->list_rv);
    free(inf);
}

bool k8s_informer_has_synced(const struct k8s_informer *inf)
{
    return inf->synced;
}

const cJSON *k8s_informer_get(const struct k8s_informer *inf, const char *ns, const char *name)
{
    char *key = k8s_store_key(ns, name);
    struct k8s_store_entry *e = key ? k8s_store_find(&inf->store, key) : NULL;
    free(key);
    return e ? e->obj : NULL;
}

size_t k8s_informer_count(const struct k8s_informer *inf)
{
    return inf->store.count;
}

struct each {
    void (*fn)(void *arg, const cJSON *obj);
    void *arg;
};

static void each_entry(void *arg, struct k8s_store_entry *e)
{
    struct each *each = arg;
    each->fn(each->arg, e->obj);
}

void k8s_informer_foreach(const struct k8s_informer *inf, void (*fn)(void *arg, const cJSON *obj),
                          void *arg)
{
    struct each each = {fn, arg};
    k8s_store_foreach(&inf->store, each_entry, &each);
}

void k8s_informer_get_stats(const struct k8s_informer *inf, struct k8s_informer_stats *out)
{
    *out = inf->stats;
    if (inf->watch) {
        struct k8s_watch_stats ws;
        k8s_watch_get_stats(inf->watch, &ws);
        out->watch_restarts = ws.connects > 1 ? ws.connects - 1 : 0;
    }
}
