/* Pod states: the lifecycle, illegal transitions, adoption, counts. */
#include "pool_harness.h"

Test(states, lifecycle_creating_to_gone)
{
    struct harness h;
    struct pool_config cfg = h_config();
    cfg.min_idle = 1;
    cfg.max_idle = 1;
    h_init(&h, &cfg);
    h_drain(&h);
    cr_assert_eq(h.to_create, 1);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_CREATING], 1);

    cr_assert_eq(h_observe(&h, POOL_OBS_STARTING, "p-0"), POOL_OK);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_CREATING], 0);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_STARTING], 1);
    cr_assert_eq(h_observe(&h, POOL_OBS_READY, "p-0"), POOL_OK);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_READY], 1);

    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    cr_assert_eq(r.outcome, POOL_CLAIM_BOUND);
    cr_assert_str_eq(r.session.pod, "p-0");
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_BOUND], 1);

    cr_assert_eq(pool_set_release(h.set, r.session.id, h.now), POOL_OK);
    h_check(&h);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_DRAINING], 1);
    cr_assert_eq(h_observe(&h, POOL_OBS_GONE, "p-0"), POOL_OK);
    struct pool_counts c = h_counts(&h);
    cr_assert_eq(c.by_state[POOL_POD_DRAINING], 0);
    cr_assert_eq(c.by_state[POOL_POD_BOUND], 0);
    cr_assert_eq(c.by_state[POOL_POD_CREATING], 1, "refill after release");
    cr_assert_eq(c.live, 1);
    h_fini(&h);
}

Test(states, ready_for_draining_pod_is_illegal_and_changes_nothing)
{
    struct harness h;
    h_init(&h, &(struct pool_config){.name = "a",
                                     .min_idle = 1,
                                     .max_idle = 1,
                                     .max_total = 2,
                                     .default_ttl_s = 10,
                                     .max_ttl_s = 10,
                                     .start_timeout_s = 5});
    h_start_pods(&h, true);
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    cr_assert_eq(pool_set_release(h.set, r.session.id, h.now), POOL_OK);
    struct pool_counts before = h_counts(&h);
    cr_assert_eq(before.by_state[POOL_POD_DRAINING], 1);

    cr_assert_eq(h_observe(&h, POOL_OBS_READY, r.session.pod), POOL_E_STATE);
    cr_assert_eq(h_observe(&h, POOL_OBS_STARTING, r.session.pod), POOL_E_STATE);
    struct pool_counts after = h_counts(&h);
    cr_assert_arr_eq(before.by_state, after.by_state, sizeof(before.by_state));
    cr_assert_eq(h_counters(&h).illegal_transitions, 2);
    /* The draining pod did not come back into the idle set. */
    cr_assert_eq(after.by_state[POOL_POD_READY], 0);
    h_fini(&h);
}

Test(states, gone_for_unknown_pod_is_not_found)
{
    struct harness h;
    struct pool_config cfg = h_config();
    h_init(&h, &cfg);
    struct pool_counts before = h_counts(&h);
    cr_assert_eq(h_observe(&h, POOL_OBS_GONE, "nobody"), POOL_E_NOT_FOUND);
    struct pool_counts after = h_counts(&h);
    cr_assert_arr_eq(before.by_state, after.by_state, sizeof(before.by_state));
    h_fini(&h);
}

Test(states, bad_observations_are_rejected)
{
    struct harness h;
    struct pool_config cfg = h_config();
    h_init(&h, &cfg);
    char longname[POOL_POD_NAME_MAX + 2];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    struct pool_pod_obs obs = {.name = longname};
    cr_assert_eq(pool_observe(h.pool, POOL_OBS_READY, &obs, h.now), POOL_E_TOO_LONG);
    obs.name = "";
    cr_assert_eq(pool_observe(h.pool, POOL_OBS_READY, &obs, h.now), POOL_E_INVALID);
    obs.name = "ok";
    cr_assert_eq(pool_observe(h.pool, (enum pool_obs)99, &obs, h.now), POOL_E_INVALID);
    cr_assert_eq(pool_observe(h.pool, POOL_OBS_READY, NULL, h.now), POOL_E_INVALID);
    h_check(&h);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_READY], 0);
    h_fini(&h);
}

Test(states, unready_idle_pod_leaves_idle_set)
{
    struct harness h;
    struct pool_config cfg = h_config();
    cfg.min_idle = 1;
    h_init(&h, &cfg);
    h_start_pods(&h, true);
    cr_assert_eq(h_observe(&h, POOL_OBS_STARTING, "p-0"), POOL_OK);
    struct pool_counts c = h_counts(&h);
    cr_assert_eq(c.by_state[POOL_POD_READY], 0);
    cr_assert_eq(c.by_state[POOL_POD_STARTING], 1);
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_E_EMPTY);
    cr_assert_eq(h_observe(&h, POOL_OBS_READY, "p-0"), POOL_OK);
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    cr_assert_str_eq(r.session.pod, "p-0");
    h_fini(&h);
}

Test(states, unknown_pod_is_adopted_until_max_total)
{
    struct harness h;
    struct pool_config cfg = h_config();
    cfg.min_idle = 0;
    cfg.max_idle = 2;
    cfg.max_total = 2;
    h_init(&h, &cfg);
    h_drain(&h);
    cr_assert_eq(h.to_create, 0);
    cr_assert_eq(h_observe(&h, POOL_OBS_READY, "old-1"), POOL_OK);
    cr_assert_eq(h_observe(&h, POOL_OBS_STARTING, "old-2"), POOL_OK);
    h_clear_log(&h);
    cr_assert_eq(h_observe(&h, POOL_OBS_READY, "old-3"), POOL_E_FULL);
    h_drain(&h);
    const struct pool_action *a = h_find(&h, POOL_ACT_DELETE_POD, 0);
    cr_assert_not_null(a);
    cr_assert_str_eq(a->pod, "old-3");
    struct pool_counts c = h_counts(&h);
    cr_assert_eq(c.live, 2);
    cr_assert_eq(c.by_state[POOL_POD_READY], 1);
    cr_assert_eq(c.by_state[POOL_POD_STARTING], 1);
    h_fini(&h);
}

Test(states, pod_died_while_bound_ends_session)
{
    struct harness h;
    struct pool_config cfg = h_config();
    h_init(&h, &cfg);
    h_start_pods(&h, true);
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, "k", NULL, &r), POOL_OK);
    h_clear_log(&h);
    cr_assert_eq(h_observe(&h, POOL_OBS_GONE, r.session.pod), POOL_OK);
    h_drain(&h);
    const struct pool_action *a = h_find(&h, POOL_ACT_SESSION_ENDED, 0);
    cr_assert_not_null(a);
    cr_assert_eq(a->reason, POOL_END_POD_DIED);
    cr_assert_str_eq(a->session.id, r.session.id);
    cr_assert_eq(h_count(&h, POOL_ACT_DELETE_POD), 0, "a dead pod needs no delete");
    struct pool_session_info s;
    cr_assert_eq(pool_set_session(h.set, r.session.id, &s), POOL_E_NOT_FOUND);
    cr_assert_eq(h_counters(&h).pod_died_bound, 1);
    /* The key is free again: a new claim gets a new session. */
    struct pool_claim_result r2;
    cr_assert_eq(h_claim(&h, "k", NULL, &r2), POOL_OK);
    cr_assert_eq(r2.outcome, POOL_CLAIM_BOUND);
    cr_assert_str_neq(r2.session.id, r.session.id);
    h_fini(&h);
}

Test(states, create_failure_drops_creating_records)
{
    struct harness h;
    struct pool_config cfg = h_config();
    cfg.min_idle = 3;
    h_init(&h, &cfg);
    h_drain(&h);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_CREATING], 3);
    h_clear_log(&h);
    cr_assert_eq(pool_pods_create_failed(h.pool, 2, h.now), POOL_OK);
    h_check(&h);
    h_drain(&h);
    /* Sizing asks again for the two lost pods. */
    const struct pool_action *a = h_find(&h, POOL_ACT_CREATE_PODS, 0);
    cr_assert_not_null(a);
    cr_assert_eq(a->count, 2);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_CREATING], 3);
    h_fini(&h);
}

Test(states, names_strings)
{
    cr_assert_str_eq(pool_pod_state_str(POOL_POD_DRAINING), "draining");
    cr_assert_str_eq(pool_status_str(POOL_E_BUSY), "action queue full");
    cr_assert_str_eq(pool_end_reason_str(POOL_END_IDLE), "idle_expired");
    cr_assert_str_eq(pool_action_kind_str(POOL_ACT_WAITER_BOUND), "waiter_bound");
    cr_assert_str_eq(pool_pod_state_str((enum pool_pod_state)42), "unknown");
}
