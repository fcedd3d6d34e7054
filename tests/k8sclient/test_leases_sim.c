/* Lease calls against the simulator: create, get, update with the RV,
 * a stale RV is a Conflict, MicroTime has six fractional digits. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helper_sim.h"
#include "k8s_leases.h"
#include "k8s_time.h"

static struct sim_result call_wait(struct k8s_client *c, enum k8s_status st, struct sim_result *r)
{
    cr_assert_eq(st, K8S_OK);
    sim_wait(c, r, 10000);
    return *r;
}

Test(leases, create_get_update_conflict, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    int64_t now = 1718079577976706123; /* 2024-06-11T04:19:37.976706123Z */
    struct k8s_lease_spec spec = {.name = "pool-a",
                                  .holder_identity = "replica-1",
                                  .lease_duration_seconds = 15,
                                  .acquire_time_ns = now,
                                  .renew_time_ns = now,
                                  .lease_transitions = 0};
    cJSON *lease = k8s_lease_build(&spec);
    struct sim_result r = {0};
    call_wait(fx.c, k8s_leases_create(fx.c, NULL, lease, sim_on_result, &r, NULL), &r);
    cJSON_Delete(lease);
    cr_assert_eq(r.status, K8S_OK, "%s", r.error.message);
    cr_assert_str_eq(k8s_json_str(r.object, "spec", "renewTime", NULL),
                     "2024-06-11T04:19:37.976706Z");
    sim_result_reset(&r);

    call_wait(fx.c, k8s_leases_get(fx.c, NULL, "pool-a", sim_on_result, &r, NULL), &r);
    struct k8s_lease_view v;
    k8s_lease_read(r.object, &v);
    cr_assert_str_eq(v.holder_identity, "replica-1");
    cr_assert_eq(v.lease_duration_seconds, 15);
    cr_assert_eq(v.renew_time_ns, now / 1000 * 1000);
    char *rv = strdup(v.resource_version);
    sim_result_reset(&r);

    spec.holder_identity = "replica-2";
    spec.lease_transitions = 1;
    spec.resource_version = rv;
    lease = k8s_lease_build(&spec);
    call_wait(fx.c, k8s_leases_update(fx.c, NULL, lease, sim_on_result, &r, NULL), &r);
    cr_assert_eq(r.status, K8S_OK, "%s", r.error.message);
    k8s_lease_read(r.object, &v);
    cr_assert_str_eq(v.holder_identity, "replica-2");
    cr_assert_eq(v.lease_transitions, 1);
    sim_result_reset(&r);

    /* the same PUT again carries a stale RV: the loser of a race gets 409 */
    call_wait(fx.c, k8s_leases_update(fx.c, NULL, lease, sim_on_result, &r, NULL), &r);
    cr_assert_eq(r.status, K8S_EHTTP);
    cr_assert(k8s_error_is_conflict(&r.error), "%ld %s", r.error.http_code, r.error.reason);
    sim_result_reset(&r);
    cJSON_Delete(lease);
    free(rv);

    cJSON *norv = k8s_lease_build(&(struct k8s_lease_spec){
        .name = "x", .lease_duration_seconds = -1, .lease_transitions = -1});
    cr_assert_eq(k8s_leases_update(fx.c, NULL, norv, sim_on_result, &r, NULL), K8S_EINVAL);
    cJSON_Delete(norv);
}

struct race {
    struct sim_result r[2];
};

static int both(void *arg)
{
    struct race *x = arg;
    return x->r[0].calls && x->r[1].calls;
}

Test(leases, two_electors_one_winner)
{
    struct sim sim;
    sim_start(&sim, NULL);
    struct k8s_config *cfg = sim_config(&sim, NULL);
    struct k8s_client *a = sim_client(cfg, 0, 0), *b = sim_client(cfg, 0, 0);
    struct k8s_lease_spec spec = {.name = "leader",
                                  .holder_identity = "",
                                  .lease_duration_seconds = 15,
                                  .lease_transitions = 0};
    cJSON *lease = k8s_lease_build(&spec);
    struct sim_result r = {0};
    cr_assert_eq(k8s_leases_create(a, NULL, lease, sim_on_result, &r, NULL), K8S_OK);
    sim_wait(a, &r, 10000);
    cJSON_Delete(lease);
    char *rv = strdup(k8s_obj_resource_version(r.object));
    sim_result_reset(&r);
    /* both saw the same RV; both try to take the lease */
    struct race x = {0};
    struct k8s_client *cl[2] = {a, b};
    const char *who[2] = {"replica-a", "replica-b"};
    for (int i = 0; i < 2; i++) {
        spec.holder_identity = who[i];
        spec.resource_version = rv;
        spec.lease_transitions = 1;
        spec.acquire_time_ns = spec.renew_time_ns = k8s_time_wall_now_ns();
        cJSON *l = k8s_lease_build(&spec);
        cr_assert_eq(k8s_leases_update(cl[i], NULL, l, sim_on_result, &x.r[i], NULL), K8S_OK);
        cJSON_Delete(l);
    }
    for (int i = 0; i < 200 && !both(&x); i++) {
        k8s_client_run(a, 20);
        k8s_client_run(b, 20);
    }
    cr_assert(both(&x));
    int wins = (x.r[0].status == K8S_OK) + (x.r[1].status == K8S_OK);
    int conflicts = k8s_error_is_conflict(&x.r[0].error) + k8s_error_is_conflict(&x.r[1].error);
    cr_assert_eq(wins, 1);
    cr_assert_eq(conflicts, 1);
    sim_result_reset(&x.r[0]);
    sim_result_reset(&x.r[1]);
    free(rv);
    k8s_client_free(a);
    k8s_client_free(b);
    sim_config_free(cfg);
    sim_stop(&sim);
}
