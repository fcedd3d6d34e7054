/* The action ring: bounded, never drops, back-pressure with POOL_E_BUSY. */
#include "pool_harness.h"

/* A set whose 16-entry ring is filled by hand. */
static void full_ring(struct harness *h, struct pool_config *cfg)
{
    memset(h, 0, sizeof(*h));
    uint8_t seed[POOL_SEED_LEN] = {7};
    cr_assert_eq(pool_set_new(seed, 16, &h->set), POOL_OK);
    cr_assert_eq(pool_set_add(h->set, cfg, &h->pool), POOL_OK);
    h->now = SEC;
    h_tick(h, h->now);
}

Test(actions, full_ring_refuses_work_and_loses_nothing)
{
    struct harness h;
    struct pool_config cfg = h_config();
    cfg.min_idle = 0;
    cfg.max_idle = 20;
    cfg.max_total = 20;
    full_ring(&h, &cfg);
    /* 20 Ready pods, then 15 claims: 15 RECORD_BINDING actions queued. */
    for (int i = 0; i < 20; i++) {
        char name[16];
        snprintf(name, sizeof(name), "p-%d", i);
        cr_assert_eq(h_observe(&h, POOL_OBS_READY, name), POOL_OK);
    }
    struct pool_claim_result r[16];
    for (int i = 0; i < 15; i++)
        cr_assert_eq(h_claim(&h, NULL, NULL, &r[i]), POOL_OK);
    cr_assert_eq(pool_set_pending_actions(h.set), 15);
    /* One slot left: a claim still fits, a release (two actions) does not. */
    cr_assert_eq(pool_set_release(h.set, r[0].session.id, h.now), POOL_E_BUSY);
    struct pool_session_info s;
    cr_assert_eq(pool_set_session(h.set, r[0].session.id, &s), POOL_OK, "nothing changed");
    cr_assert_eq(h_claim(&h, NULL, NULL, &r[15]), POOL_OK);
    struct pool_claim_result extra;
    struct pool_counts before = h_counts(&h);
    cr_assert_eq(h_claim(&h, NULL, NULL, &extra), POOL_E_BUSY);
    struct pool_counts after = h_counts(&h);
    cr_assert_arr_eq(before.by_state, after.by_state, sizeof(before.by_state));
    struct pool_pod_obs obs = {.name = "p-19"};
    cr_assert_eq(pool_observe(h.pool, POOL_OBS_GONE, &obs, h.now), POOL_E_BUSY);
    /* Expiries wait too: the tick does nothing while the ring is full. */
    h_tick(&h, h.now + 3600 * SEC);
    cr_assert_eq(h_counts(&h).sessions, 16);
    cr_assert_leq(pool_set_next_deadline(h.set), h.now, "work is due");
    /* Drain: every one of the 16 bindings is there, in claim order. */
    h_drain(&h);
    cr_assert_eq(h.nlog, 16);
    for (int i = 0; i < 16; i++) {
        cr_assert_eq(h.log[i].kind, POOL_ACT_RECORD_BINDING);
        cr_assert_str_eq(h.log[i].session.id, r[i].session.id);
    }
    /* Now the overdue expiries run, a ring-full at a time. */
    for (int round = 0; round < 10 && h_counts(&h).sessions > 0; round++) {
        h_tick(&h, h.now);
        h_drain(&h);
    }
    cr_assert_eq(h_counts(&h).sessions, 0);
    cr_assert_eq(h_counters(&h).expired, 16);
    h_fini(&h);
}

Test(actions, sizing_left_pending_finishes_on_tick)
{
    struct harness h;
    struct pool_config cfg = h_config();
    cfg.min_idle = 0;
    cfg.max_idle = 30;
    cfg.max_total = 30;
    full_ring(&h, &cfg);
    for (int i = 0; i < 30; i++) {
        char name[16];
        snprintf(name, sizeof(name), "p-%d", i);
        cr_assert_eq(h_observe(&h, POOL_OBS_READY, name), POOL_OK);
    }
    /* Shrinking max_idle to 0 needs 30 DELETE_POD but the ring holds 16. */
    cfg.max_idle = 0;
    cr_assert_eq(pool_update_config(h.pool, &cfg, h.now), POOL_OK);
    h_check(&h);
    cr_assert_eq(pool_set_pending_actions(h.set), 16);
    cr_assert_eq(pool_set_next_deadline(h.set), 0);
    h_drain(&h);
    h_tick(&h, h.now);
    h_drain(&h);
    cr_assert_eq(h_count(&h, POOL_ACT_DELETE_POD), 30);
    cr_assert_eq(pool_set_next_deadline(h.set), h.now + 10 * SEC, "redelivery timers only");
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_DRAINING], 30);
    h_fini(&h);
}
