/* Sizing: min_idle, max_idle, max_total, refill, config changes. */
#include "pool_harness.h"

Test(sizing, first_tick_creates_min_idle_in_one_action)
{
    struct harness h;
    struct pool_config cfg = h_config();
    cfg.min_idle = 3;
    h_init(&h, &cfg);
    h_drain(&h);
    cr_assert_eq(h_count(&h, POOL_ACT_CREATE_PODS), 1);
    cr_assert_eq(h.log[0].count, 3);
    cr_assert_str_eq(h.log[0].pool_name, "py");
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_CREATING], 3);
    cr_assert_eq(h_counters(&h).pods_requested, 3);
    /* Nothing more is asked while the creates are in flight. */
    h_clear_log(&h);
    h_tick(&h, h.now + SEC);
    h_drain(&h);
    cr_assert_eq(h_asked(&h), 0);
    h_fini(&h);
}

Test(sizing, starting_pods_count_as_supply)
{
    struct harness h;
    struct pool_config cfg = h_config();
    h_init(&h, &cfg);
    h_start_pods(&h, false);
    h_clear_log(&h);
    h_tick(&h, h.now + SEC);
    h_drain(&h);
    cr_assert_eq(h_asked(&h), 0);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_STARTING], 2);
    h_fini(&h);
}

Test(sizing, max_total_caps_creation)
{
    struct harness h;
    struct pool_config cfg = h_config();
    cfg.min_idle = 2;
    cfg.max_idle = 2;
    cfg.max_total = 3;
    h_init(&h, &cfg);
    h_start_pods(&h, true);
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    h_drain(&h);
    h_start_pods(&h, true);
    /* 2 bound + 1 idle = max_total: no more creates although idle < min_idle. */
    h_clear_log(&h);
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    h_drain(&h);
    cr_assert_eq(h_asked(&h), 0);
    struct pool_counts c = h_counts(&h);
    cr_assert_eq(c.live, 3);
    cr_assert_eq(c.by_state[POOL_POD_BOUND], 3);
    struct pool_claim_result none;
    cr_assert_eq(h_claim(&h, NULL, NULL, &none), POOL_E_EMPTY);
    /* Releasing frees room only when the pod is gone (DRAINING counts). */
    cr_assert_eq(pool_set_release(h.set, r.session.id, h.now), POOL_OK);
    h_clear_log(&h);
    h_drain(&h);
    cr_assert_eq(h_asked(&h), 0, "draining pod still counts against max_total");
    h_confirm_deletes(&h, 0);
    h_drain(&h);
    cr_assert_eq(h_asked(&h), 1, "refill once the pod is gone");
    h_fini(&h);
}

Test(sizing, surplus_idle_pods_are_deleted_newest_first)
{
    struct harness h;
    struct pool_config cfg = h_config();
    cfg.min_idle = 0;
    cfg.max_idle = 2;
    h_init(&h, &cfg);
    h_observe(&h, POOL_OBS_READY, "x1");
    h_observe(&h, POOL_OBS_READY, "x2");
    h_clear_log(&h);
    h_observe(&h, POOL_OBS_READY, "x3");
    h_drain(&h);
    const struct pool_action *d = h_find(&h, POOL_ACT_DELETE_POD, 0);
    cr_assert_not_null(d);
    cr_assert_str_eq(d->pod, "x3");
    struct pool_counts c = h_counts(&h);
    cr_assert_eq(c.by_state[POOL_POD_READY], 2);
    cr_assert_eq(c.by_state[POOL_POD_DRAINING], 1);
    h_fini(&h);
}

Test(sizing, config_update_grows_and_shrinks)
{
    struct harness h;
    struct pool_config cfg = h_config(); /* min 2, max idle 4, total 8 */
    h_init(&h, &cfg);
    h_start_pods(&h, true);
    cfg.min_idle = 4;
    h_clear_log(&h);
    cr_assert_eq(pool_update_config(h.pool, &cfg, h.now), POOL_OK);
    h_check(&h);
    h_drain(&h);
    cr_assert_eq(h_asked(&h), 2);
    h_start_pods(&h, true);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_READY], 4);
    cfg.min_idle = 1;
    cfg.max_idle = 1;
    h_clear_log(&h);
    cr_assert_eq(pool_update_config(h.pool, &cfg, h.now), POOL_OK);
    h_check(&h);
    h_drain(&h);
    cr_assert_eq(h_count(&h, POOL_ACT_DELETE_POD), 3);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_READY], 1);
    /* Rules that cannot change. */
    cfg.max_total = 9;
    cr_assert_eq(pool_update_config(h.pool, &cfg, h.now), POOL_E_INVALID);
    cfg.max_total = 8;
    cfg.name = "other";
    cr_assert_eq(pool_update_config(h.pool, &cfg, h.now), POOL_E_INVALID);
    h_fini(&h);
}

Test(sizing, invalid_configs_are_rejected)
{
    uint8_t seed[POOL_SEED_LEN] = {0};
    struct pool_set *set;
    cr_assert_eq(pool_set_new(seed, 8, &set), POOL_E_INVALID);
    cr_assert_null(set);
    cr_assert_eq(pool_set_new(seed, 64, &set), POOL_OK);
    struct pool_config good = h_config(), c;
    c = good, c.min_idle = 5, c.max_idle = 4;
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID);
    c = good, c.max_idle = 9;
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID);
    c = good, c.max_total = 0, c.min_idle = 0, c.max_idle = 0;
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID);
    c = good, c.default_ttl_s = 0;
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID);
    c = good, c.default_ttl_s = 7200;
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID);
    c = good, c.start_timeout_s = 0;
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID);
    c = good, c.name = "";
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID);
    c = good, c.name = "0123456789012345678901234567890123456789012345678901234567890123";
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_TOO_LONG);
    cr_assert_eq(pool_set_count(set), 0);
    pool_set_free(set);
}
