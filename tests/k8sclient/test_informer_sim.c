/* The informer against the simulator: initial paged list, watch updates,
 * and a relist after compaction that emits exactly the deletes and adds
 * that happened while the informer was blind. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "helper_sim.h"
#include "helper_watch.h"
#include "k8s_informer.h"

struct counts {
    int adds, updates, deletes, synced, errors;
    int deleted_a, added_d;
    int uid_changed; /* updates whose old and new objects differ in uid */
    char last_added_uid[64], last_deleted_uid[64];
};

static void keep_uid(char *dst, const cJSON *o)
{
    const char *uid = k8s_obj_uid(o);
    snprintf(dst, 64, "%s", uid ? uid : "");
}

static int is_named(const cJSON *o, const char *name)
{
    const cJSON *m = cJSON_GetObjectItem(o, "metadata");
    const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(m, "name"));
    return n && strcmp(n, name) == 0;
}

static void on_add(void *arg, const cJSON *o)
{
    struct counts *c = arg;
    c->adds++;
    c->added_d += is_named(o, "d");
    keep_uid(c->last_added_uid, o);
}

static void on_update(void *arg, const cJSON *old, const cJSON *o)
{
    struct counts *c = arg;
    c->updates++;
    const char *a = k8s_obj_uid(old), *b = k8s_obj_uid(o);
    c->uid_changed += a && b && strcmp(a, b) != 0;
}

static void on_delete(void *arg, const cJSON *o)
{
    struct counts *c = arg;
    c->deletes++;
    c->deleted_a += is_named(o, "a");
    keep_uid(c->last_deleted_uid, o);
}

static void on_synced(void *arg)
{
    ((struct counts *)arg)->synced++;
}

static void on_error(void *arg, const struct k8s_error *err)
{
    (void)err;
    ((struct counts *)arg)->errors++;
}

static const struct k8s_informer_handlers handlers = {on_add, on_update, on_delete, on_synced,
                                                      on_error};

/* Starts an informer on the fixture's client; the caller frees it. */
static struct k8s_informer *start(const struct k8s_informer_options *o,
                                  const struct k8s_informer_handlers *h, void *arg)
{
    struct k8s_informer *inf = NULL;
    cr_assert_eq(k8s_informer_start(fx.c, o, h, arg, &inf), K8S_OK);
    return inf;
}

/* Injects one fault rule (the simulator's faults JSON). */
static void inject_fault(const char *rule)
{
    cr_assert_eq(sim_control(&fx.sim, "POST", "faults", rule, NULL), 201);
}

/* The informer goes blind: watches are refused and the open ones dropped. */
static void blind_begin(void)
{
    inject_fault("{\"match\":{\"path\":\"watch=\"},\"code\":503}");
    cr_assert_eq(sim_control(&fx.sim, "POST", "watches/drop", "{}", NULL), 200);
}

/* The history of the blind period is compacted away, then watches are let
 * through again: the informer can only catch up by relisting. */
static void blind_end(void)
{
    cr_assert_eq(sim_control(&fx.sim, "POST", "compact", "{}", NULL), 200);
    cr_assert_eq(sim_control(&fx.sim, "DELETE", "faults", NULL, NULL), 200);
}

/* Without the scheduler and kubelet nothing changes a pod but the test. */
Test(informer, list_watch_and_relist_diff, .init = sim_fx_setup_quiet, .fini = sim_fx_teardown)
{
    hw_create_pod(fx.c, "a");
    hw_create_pod(fx.c, "b");
    hw_create_pod(fx.c, "c");
    struct counts n = {0};
    struct k8s_informer_options o = {.path = fx.sim.pods_path,
                                     .label_selector = "app=w",
                                     .page_size = 2, /* two pages */
                                     .backoff_initial_ms = 50,
                                     .backoff_max_ms = 300};
    struct k8s_informer *inf = start(&o, &handlers, &n);
    hw_wait_count(fx.c, &n.synced, 1, 10000);
    cr_assert(k8s_informer_has_synced(inf));
    cr_assert_eq(n.adds, 3);
    cr_assert_eq(k8s_informer_count(inf), 3);
    cr_assert_not_null(k8s_informer_get(inf, fx.sim.ns, "b"));

    hw_delete_pod(fx.c, "c");
    hw_wait_count(fx.c, &n.deletes, 1, 10000);
    cr_assert_null(k8s_informer_get(inf, fx.sim.ns, "c"));

    /* Blind period: watches are refused, then the history is compacted. */
    blind_begin();
    hw_delete_pod(fx.c, "a");
    hw_create_pod(fx.c, "d");
    blind_end();

    hw_wait_count(fx.c, &n.deleted_a, 1, 20000);
    hw_wait_count(fx.c, &n.added_d, 1, 20000);
    /* exactly: a deleted once, d added once, b untouched */
    cr_assert_eq(n.updates, 0, "b was not touched: no update for it (%d)", n.updates);
    cr_assert_eq(n.deletes, 2);
    cr_assert_eq(n.adds, 4);
    cr_assert_eq(n.deleted_a, 1);
    cr_assert_eq(n.added_d, 1);
    cr_assert_eq(k8s_informer_count(inf), 2);
    struct k8s_informer_stats st;
    k8s_informer_get_stats(inf, &st);
    cr_assert_geq(st.relists, 1);
    cr_assert_geq(st.pages, 3);
    k8s_informer_free(inf);
}

/* A pool recycles fixed pod names: a pod deleted and created again under
 * the same name while the informer was blind is another object (another
 * uid). The relist must report the old one deleted and the new one added,
 * not an update that would hide the delete. */
Test(informer, relist_reports_a_recreated_name_as_delete_and_add, .init = sim_fx_setup,
     .fini = sim_fx_teardown)
{
    hw_create_pod(fx.c, "a");
    struct counts n = {0};
    struct k8s_informer_options o = {
        .path = fx.sim.pods_path, .backoff_initial_ms = 50, .backoff_max_ms = 300};
    struct k8s_informer *inf = start(&o, &handlers, &n);
    hw_wait_count(fx.c, &n.synced, 1, 10000);
    cr_assert_eq(n.adds, 1);
    char old_uid[64];
    snprintf(old_uid, sizeof old_uid, "%s", n.last_added_uid);
    cr_assert(old_uid[0]);

    blind_begin();
    hw_delete_pod(fx.c, "a");
    hw_create_pod(fx.c, "a");
    blind_end();

    hw_wait_count(fx.c, &n.deletes, 1, 20000);
    hw_wait_count(fx.c, &n.adds, 2, 20000);
    cr_assert_eq(n.uid_changed, 0, "an update hid the delete of the old pod");
    cr_assert_str_eq(n.last_deleted_uid, old_uid);
    cr_assert_str_neq(n.last_added_uid, old_uid);
    const cJSON *now = k8s_informer_get(inf, fx.sim.ns, "a");
    cr_assert_not_null(now);
    cr_assert_str_eq(k8s_obj_uid(now), n.last_added_uid);
    k8s_informer_free(inf);
}

/* With a transform, the store and every callback hold what the transform
 * made of each object (listed or watched), deletes included. */
struct slim_counts {
    struct counts n;
    int whole; /* callbacks that saw an untransformed object */
    int transforms;
};

static cJSON *slim(void *arg, const cJSON *obj)
{
    ((struct slim_counts *)arg)->transforms++;
    cJSON *out = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(out, "metadata");
    const char *keys[] = {"name", "namespace", "uid", "resourceVersion"};
    for (size_t i = 0; i < 4; i++) {
        const char *v = cJSON_GetStringValue(
            cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), keys[i]));
        if (v)
            cJSON_AddStringToObject(meta, keys[i], v);
    }
    cJSON_AddTrueToObject(out, "slim");
    return out;
}

static void slim_seen(struct slim_counts *s, const cJSON *o)
{
    s->whole += !cJSON_IsTrue(cJSON_GetObjectItem(o, "slim")) || cJSON_GetObjectItem(o, "spec");
}

static void slim_add(void *arg, const cJSON *o)
{
    slim_seen(arg, o);
    on_add(&((struct slim_counts *)arg)->n, o);
}

static void slim_update(void *arg, const cJSON *old, const cJSON *o)
{
    slim_seen(arg, old);
    slim_seen(arg, o);
    on_update(&((struct slim_counts *)arg)->n, old, o);
}

static void slim_delete(void *arg, const cJSON *o)
{
    slim_seen(arg, o);
    on_delete(&((struct slim_counts *)arg)->n, o);
}

static void slim_synced(void *arg)
{
    on_synced(&((struct slim_counts *)arg)->n);
}

Test(informer, transform_keeps_only_what_it_returns, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    hw_create_pod(fx.c, "a");
    hw_create_pod(fx.c, "b");
    struct slim_counts s = {0};
    struct k8s_informer_handlers h = {slim_add, slim_update, slim_delete, slim_synced, NULL};
    struct k8s_informer_options o = {.path = fx.sim.pods_path, .page_size = 1, .transform = slim};
    struct k8s_informer *inf = start(&o, &h, &s);
    hw_wait_count(fx.c, &s.n.synced, 1, 10000);
    cr_assert_eq(s.n.adds, 2);
    const cJSON *b = k8s_informer_get(inf, fx.sim.ns, "b");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(b, "slim")), "the store holds the transform's");
    cr_assert_null(cJSON_GetObjectItem(b, "spec"));
    hw_create_pod(fx.c, "d");
    hw_wait_count(fx.c, &s.n.added_d, 1, 10000);
    hw_delete_pod(fx.c, "a");
    hw_wait_count(fx.c, &s.n.deleted_a, 1, 10000);
    cr_assert_eq(s.whole, 0, "no callback saw a whole object");
    cr_assert_geq(s.transforms, 4);
    cr_assert_eq(k8s_informer_count(inf), 2);
    k8s_informer_free(inf);
}

/* A list that fails is reported, retried with back-off (one more failure
 * each time) and, once the API answers, completes once: every pod added
 * exactly once, has_synced after the last failure, never before. */
Test(informer, failed_list_is_retried_with_backoff, .init = sim_fx_setup_quiet,
     .fini = sim_fx_teardown)
{
    hw_create_pod(fx.c, "a");
    hw_create_pod(fx.c, "b");
    inject_fault("{\"match\":{\"verb\":\"list\"},\"code\":403,\"count\":3}");
    struct counts n = {0};
    struct k8s_informer_options o = {.path = fx.sim.pods_path,
                                     .label_selector = "app=w",
                                     .backoff_initial_ms = 20,
                                     .backoff_max_ms = 80};
    struct k8s_informer *inf = start(&o, &handlers, &n);
    hw_wait_count(fx.c, &n.errors, 3, 20000);
    cr_assert_eq(n.synced, 0, "not synced while every list failed");
    cr_assert_not(k8s_informer_has_synced(inf));
    hw_wait_count(fx.c, &n.synced, 1, 20000);
    cr_assert_eq(n.adds, 2);
    cr_assert_eq(n.errors, 3);
    struct k8s_informer_stats st;
    k8s_informer_get_stats(inf, &st);
    cr_assert_eq(st.list_failures, 3);
    cr_assert_eq(st.lists, 4, "three failed lists, then one that completed");
    k8s_informer_free(inf);
}

/* A continue token that expired between two pages (410 Expired, as the
 * apiserver answers once the list's resourceVersion is compacted) restarts
 * the list from its first page: no pod is added twice or lost. */
Test(informer, expired_continue_token_lists_anew, .init = sim_fx_setup_quiet,
     .fini = sim_fx_teardown)
{
    hw_create_pod(fx.c, "a");
    hw_create_pod(fx.c, "b");
    hw_create_pod(fx.c, "c");
    inject_fault("{\"match\":{\"path\":\"continue=\"},\"code\":410,\"count\":1}");
    struct counts n = {0};
    struct k8s_informer_options o = {.path = fx.sim.pods_path,
                                     .label_selector = "app=w",
                                     .page_size = 1,
                                     .backoff_initial_ms = 20,
                                     .backoff_max_ms = 80};
    struct k8s_informer *inf = start(&o, &handlers, &n);
    hw_wait_count(fx.c, &n.synced, 1, 20000);
    cr_assert_eq(n.errors, 1, "the expired page is reported");
    cr_assert_eq(n.adds, 3, "each pod added once");
    cr_assert_eq(k8s_informer_count(inf), 3);
    struct k8s_informer_stats st;
    k8s_informer_get_stats(inf, &st);
    cr_assert_eq(st.lists, 2);
    cr_assert_eq(st.list_failures, 1);
    cr_assert_eq(st.pages, 1 + 3, "one page before the expired one, then all three");
    k8s_informer_free(inf);
}
