/* The Kubernetes provider on the daemon's loop against the API simulator:
 * recovery of a bound pod from its annotation, a create replayed by the
 * transport (409 AlreadyExists taken as success), pods reported Ready, a
 * create the API refuses, and the binding written after the answer. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "helper_sim.h"
#include "helper_watch.h"
#include "k8s_pods.h"
#include "kube_name.h"
#include "kube_pod.h"
#include "kube_provider.h"
#include "loop.h"
#include "pool.h"

struct seen {
    int starting, ready, ready_new, gone, failed, restored, recovered;
    char last_starting[128], last_ready[128], restored_session[64], failed_why[512];
};

static void on_starting(void *ctx, const char *pod, const char *address, const char *node)
{
    (void)address, (void)node;
    struct seen *s = ctx;
    s->starting++;
    snprintf(s->last_starting, sizeof s->last_starting, "%s", pod);
}

static void on_ready(void *ctx, const char *pod)
{
    struct seen *s = ctx;
    s->ready++;
    if (strcmp(pod, "editor-before") == 0)
        return; /* the restored pod finishing its start */
    s->ready_new++;
    snprintf(s->last_ready, sizeof s->last_ready, "%s", pod);
}

static void on_gone(void *ctx, const char *pod)
{
    (void)pod;
    ((struct seen *)ctx)->gone++;
}

static void on_failed(void *ctx, uint32_t count, const char *why)
{
    struct seen *s = ctx;
    s->failed += (int)count;
    snprintf(s->failed_why, sizeof s->failed_why, "%s", why);
}

static int on_restored(void *ctx, const char *pod, bool ready, const char *address,
                       const char *node, const struct provider_session *ps)
{
    (void)pod, (void)ready, (void)address, (void)node;
    struct seen *s = ctx;
    s->restored++;
    if (ps)
        snprintf(s->restored_session, sizeof s->restored_session, "%s", ps->id);
    return 0;
}

static void on_recovered(void *ctx)
{
    ((struct seen *)ctx)->recovered++;
}

static void run_until(struct loop *loop, const int *counter, int want)
{
    for (int i = 0; i < 3000 && *counter < want; i++)
        cr_assert_geq(loop_run_once(loop, 10), 0);
    cr_assert_geq(*counter, want, "count %d, wanted %d", *counter, want);
}

static void create_pod(struct k8s_client *c, const char *name, const char *pool,
                       const char *binding)
{
    cJSON *pod = cJSON_Parse("{\"metadata\":{\"labels\":{\"app.kubernetes.io/managed-by\":"
                             "\"prewarm\"}},\"spec\":{\"containers\":[{\"name\":\"a\","
                             "\"image\":\"nginx\"}]}}");
    cJSON *meta = cJSON_GetObjectItem(pod, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    cJSON_AddStringToObject(cJSON_GetObjectItem(meta, "labels"), KUBE_LABEL_POOL, pool);
    if (binding)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(meta, "annotations"), KUBE_ANNOTATION_BIND,
                                binding);
    hw_create_pod_object(c, pod);
    cJSON_Delete(pod);
}

static const char *annotation_of(struct k8s_client *c, const char *name, struct sim_result *r)
{
    cr_assert_eq(k8s_pods_get(c, "default", name, sim_on_result, r, NULL), K8S_OK);
    sim_wait(c, r, 10000);
    return k8s_json_str(r->object, "metadata", "annotations", KUBE_ANNOTATION_BIND, NULL);
}

Test(provider_kube, recovery_replayed_create_ready_refusal_and_binding, .init = sim_fx_setup,
     .fini = sim_fx_teardown)
{
    /* A bound pod from a previous prewarmd, with its binding annotation. */
    create_pod(fx.c, "editor-before", "editor",
               "{\"session\":\"s-0123456789abcdef0123456789abcdef\",\"claimedAt\":"
               "\"2026-01-01T00:00:00.000000Z\",\"expiresAt\":\"2099-01-01T00:00:00.000000Z\","
               "\"epoch\":1}");
    /* The pod a first POST already made, before its answer was lost: the
     * provider's first name (seeded), under another pool's label. */
    struct kube_namer namer;
    char first[KUBE_NAME_MAX + 1];
    kube_namer_init(&namer, "editor", 42);
    kube_namer_next(&namer, first);
    create_pod(fx.c, first, "other", NULL);

    struct seen seen = {0};
    struct loop *loop = loop_new();
    struct kube_pool_config pc;
    kube_pool_config_defaults(&pc);
    pc.namespace = "default";
    pc.template = cJSON_Parse("{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}");
    struct kube_provider_pool pool = {.name = "editor", .kube = &pc, .max_total = 10};
    struct kube_provider_options o = {
        .k8s = fx.cfg,
        .pools = &pool,
        .npools = 1,
        .events = {&seen, on_starting, on_ready, on_gone, on_failed, on_restored, on_recovered},
        .name_seed = 42};
    char err[256];
    struct provider *p = kube_provider_new(loop, &o, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    cr_assert(kube_provider_is(p));
    cr_assert_eq(kube_provider_start(p, err, sizeof err), 0, "%s", err);
    run_until(loop, &seen.recovered, 1);
    cr_assert_eq(seen.restored, 1, "the bound pod; the other pool's pod is not ours");
    cr_assert_str_eq(seen.restored_session, "s-0123456789abcdef0123456789abcdef");
    cr_assert(p->ops->serving(p));

    cr_assert_eq(p->ops->create_pods(p, 2), PROVIDER_OK);
    struct kube_provider_stats st = {0};
    for (int i = 0; i < 3000 && st.pods_created + st.create_replays < 2; i++) {
        loop_run_once(loop, 10);
        kube_provider_get_stats(p, &st);
    }
    run_until(loop, &seen.ready_new, 1); /* the pod made anew becomes Ready */
    cr_assert_eq(st.create_replays, 1, "409 AlreadyExists taken as our own create");
    cr_assert_eq(st.pods_created, 1);
    cr_assert_eq(st.requests[KUBE_VERB_CREATE][KUBE_ANSWER_409], 1);

    /* A create the API refuses for good is reported, not retried. */
    cr_assert_eq(sim_control(&fx.sim, "POST", "faults",
                             "{\"match\":{\"verb\":\"create\",\"resource\":\"pods\"},\"code\":403,"
                             "\"count\":1}",
                             NULL),
                 201);
    cr_assert_eq(p->ops->create_pods(p, 1), PROVIDER_OK);
    run_until(loop, &seen.failed, 1);
    cr_assert(strstr(seen.failed_why, "forbidden"), "%s", seen.failed_why);

    /* The binding is written onto the pod after the answer. */
    struct pool_session_info s = {.id = "s-fedcba9876543210fedcba9876543210",
                                  .claimed_at = 1,
                                  .expires_at = 2000000000000ull};
    snprintf(s.pod, sizeof s.pod, "%s", seen.last_ready);
    snprintf(s.key, sizeof s.key, "alice");
    cr_assert_eq(p->ops->record_binding(p, &s), PROVIDER_OK);
    int written = 0;
    for (int i = 0; i < 3000 && !written; i++) {
        loop_run_once(loop, 10);
        kube_provider_get_stats(p, &st);
        written = (int)st.binds.written;
    }
    cr_assert_eq(written, 1);
    struct sim_result r = {0};
    const char *b = annotation_of(fx.c, s.pod, &r);
    cr_assert(b && strstr(b, "\"session\":\"s-fedcba9876543210fedcba9876543210\""), "%s", b);
    cr_assert(strstr(b, "\"key\":\"alice\""), "%s", b);
    sim_result_reset(&r);

    p->ops->free(p);
    cJSON_Delete(pc.template);
    loop_free(loop);
}
