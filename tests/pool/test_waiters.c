/* Waiters: FIFO binding, timeout, cancel, bounds, key reuse at bind time. */
#include "pool_harness.h"

static void empty_pool(struct harness *h, uint32_t min_idle)
{
    struct pool_config cfg = h_config(); /* max_waiters 4 */
    cfg.min_idle = min_idle;
    h_init(h, &cfg);
    h_drain(h);
    h->to_create = 0; /* the test plays the provider by hand */
    h_clear_log(h);
}

Test(waiters, fifo_binding_on_ready)
{
    struct harness h;
    empty_pool(&h, 0);
    int tag[3];
    struct pool_claim_result r;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(h_wait_claim(&h, NULL, NULL, 5, &tag[i], &r), POOL_OK);
        cr_assert_eq(r.outcome, POOL_CLAIM_QUEUED);
    }
    cr_assert_eq(h_counts(&h).waiters, 3);
    h_drain(&h);
    /* Waiters are demand: with min_idle 0, three pods are asked for. */
    cr_assert_eq(h_asked(&h), 3);
    h_clear_log(&h);
    cr_assert_eq(h_observe(&h, POOL_OBS_READY, "a"), POOL_OK);
    cr_assert_eq(h_observe(&h, POOL_OBS_READY, "b"), POOL_OK);
    h_drain(&h);
    const struct pool_action *w0 = h_find(&h, POOL_ACT_WAITER_BOUND, 0);
    const struct pool_action *w1 = h_find(&h, POOL_ACT_WAITER_BOUND, 1);
    cr_assert(w0 && w1);
    cr_assert_eq(w0->waiter_data, &tag[0]);
    cr_assert_str_eq(w0->session.pod, "a");
    cr_assert_eq(w1->waiter_data, &tag[1]);
    cr_assert_str_eq(w1->session.pod, "b");
    cr_assert_eq(strlen(w0->session.token), POOL_TOKEN_LEN);
    cr_assert_eq(h_count(&h, POOL_ACT_RECORD_BINDING), 2);
    struct pool_session_info s;
    cr_assert_eq(pool_set_session(h.set, w0->session.id, &s), POOL_OK);
    cr_assert_eq(h_counts(&h).waiters, 1);
    cr_assert_eq(h_counters(&h).waiters_bound, 2);
    h_fini(&h);
}

Test(waiters, timeout_via_tick)
{
    struct harness h;
    empty_pool(&h, 0);
    int tag;
    struct pool_claim_result r;
    cr_assert_eq(h_wait_claim(&h, NULL, NULL, 5, &tag, &r), POOL_OK);
    uint64_t deadline = h.now + 5 * SEC;
    cr_assert_leq(pool_set_next_deadline(h.set), deadline);
    h_tick(&h, deadline - 1);
    cr_assert_eq(h_counts(&h).waiters, 1);
    h_clear_log(&h);
    h_tick(&h, deadline);
    h_drain(&h);
    const struct pool_action *a = h_find(&h, POOL_ACT_WAITER_TIMED_OUT, 0);
    cr_assert_not_null(a);
    cr_assert_eq(a->waiter_data, &tag);
    cr_assert_eq(a->waiter_id, r.waiter_id);
    cr_assert_eq(h_counts(&h).waiters, 0);
    cr_assert_eq(h_counters(&h).waiters_timed_out, 1);
    cr_assert_eq(pool_cancel_waiter(h.pool, r.waiter_id), POOL_E_NOT_FOUND);
    h_fini(&h);
}

Test(waiters, cancel_removes_without_action)
{
    struct harness h;
    empty_pool(&h, 0);
    int tag[2];
    struct pool_claim_result r0, r1;
    cr_assert_eq(h_wait_claim(&h, NULL, NULL, 5, &tag[0], &r0), POOL_OK);
    cr_assert_eq(h_wait_claim(&h, NULL, NULL, 5, &tag[1], &r1), POOL_OK);
    cr_assert_eq(pool_cancel_waiter(h.pool, r0.waiter_id), POOL_OK);
    h_check(&h);
    cr_assert_eq(pool_cancel_waiter(h.pool, r0.waiter_id), POOL_E_NOT_FOUND, "twice");
    cr_assert_eq(pool_cancel_waiter(h.pool, 12345), POOL_E_NOT_FOUND);
    h_clear_log(&h);
    cr_assert_eq(h_observe(&h, POOL_OBS_READY, "a"), POOL_OK);
    h_drain(&h);
    const struct pool_action *a = h_find(&h, POOL_ACT_WAITER_BOUND, 0);
    cr_assert_not_null(a);
    cr_assert_eq(a->waiter_data, &tag[1], "the cancelled waiter is skipped");
    cr_assert_eq(h_count(&h, POOL_ACT_WAITER_TIMED_OUT), 0);
    cr_assert_eq(h_counters(&h).waiters_cancelled, 1);
    /* A recycled slot gets a new generation: the old id stays dead. */
    struct pool_claim_result r2;
    cr_assert_eq(h_wait_claim(&h, NULL, NULL, 5, NULL, &r2), POOL_OK);
    cr_assert_neq(r2.waiter_id, r0.waiter_id);
    cr_assert_eq(pool_cancel_waiter(h.pool, r0.waiter_id), POOL_E_NOT_FOUND);
    cr_assert_eq(pool_cancel_waiter(h.pool, r2.waiter_id), POOL_OK);
    h_fini(&h);
}

Test(waiters, bounded_by_max_waiters)
{
    struct harness h;
    empty_pool(&h, 0);
    struct pool_claim_result r;
    for (int i = 0; i < 4; i++)
        cr_assert_eq(h_wait_claim(&h, NULL, NULL, 5, NULL, &r), POOL_OK);
    cr_assert_eq(h_wait_claim(&h, NULL, NULL, 5, NULL, &r), POOL_E_WAITERS_FULL);
    cr_assert_eq(h_counters(&h).claims_queued, 4);
    cr_assert_eq(h_counters(&h).claims_empty, 1);
    h_fini(&h);
}

Test(waiters, new_claim_does_not_jump_the_queue)
{
    struct harness h;
    empty_pool(&h, 0);
    int tag;
    struct pool_claim_result r;
    cr_assert_eq(h_wait_claim(&h, NULL, NULL, 5, &tag, &r), POOL_OK);
    /* A pod arrives and goes to the waiter, not to a later claim. */
    cr_assert_eq(h_observe(&h, POOL_OBS_READY, "a"), POOL_OK);
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_E_EMPTY);
    h_drain(&h);
    const struct pool_action *a = h_find(&h, POOL_ACT_WAITER_BOUND, 0);
    cr_assert_not_null(a);
    cr_assert_eq(a->waiter_data, &tag);
    h_fini(&h);
}

Test(waiters, same_key_waiters_share_one_session)
{
    struct harness h;
    empty_pool(&h, 0);
    int t0, t1;
    struct pool_claim_result r;
    cr_assert_eq(h_wait_claim(&h, "k", NULL, 5, &t0, &r), POOL_OK);
    cr_assert_eq(h_wait_claim(&h, "k", NULL, 5, &t1, &r), POOL_OK);
    cr_assert_eq(h_observe(&h, POOL_OBS_READY, "a"), POOL_OK);
    h_drain(&h);
    const struct pool_action *a = h_find(&h, POOL_ACT_WAITER_BOUND, 0);
    const struct pool_action *b = h_find(&h, POOL_ACT_WAITER_BOUND, 1);
    cr_assert(a && b);
    cr_assert_str_eq(a->session.id, b->session.id);
    /* Only the first waiter owns a new session: a caller that went away may
     * release that one, never the second (another caller holds it). */
    cr_assert_eq(a->outcome, POOL_CLAIM_BOUND);
    cr_assert_eq(b->outcome, POOL_CLAIM_KEY_REUSED);
    cr_assert_eq(h_counts(&h).sessions, 1);
    cr_assert_eq(h_counters(&h).key_reused, 1);
    h_fini(&h);
}

Test(waiters, same_request_id_waiters_replay_one_session)
{
    struct harness h;
    empty_pool(&h, 0);
    int t0, t1;
    struct pool_claim_result r;
    cr_assert_eq(h_wait_claim(&h, NULL, "r-1", 5, &t0, &r), POOL_OK);
    cr_assert_eq(h_wait_claim(&h, NULL, "r-1", 5, &t1, &r), POOL_OK);
    cr_assert_eq(r.outcome, POOL_CLAIM_QUEUED);
    cr_assert_eq(h_observe(&h, POOL_OBS_READY, "a"), POOL_OK);
    h_drain(&h);
    const struct pool_action *a = h_find(&h, POOL_ACT_WAITER_BOUND, 0);
    const struct pool_action *b = h_find(&h, POOL_ACT_WAITER_BOUND, 1);
    cr_assert(a && b);
    cr_assert_str_eq(a->session.id, b->session.id);
    cr_assert_eq(a->outcome, POOL_CLAIM_BOUND);
    cr_assert_eq(b->outcome, POOL_CLAIM_REPLAYED);
    cr_assert_eq(h_counters(&h).idempotent_replay, 1);
    h_fini(&h);
}

Test(waiters, no_wait_when_deadline_passed_or_disabled)
{
    struct harness h;
    empty_pool(&h, 0);
    struct pool_claim_request req = {.wait_until = h.now};
    struct pool_claim_result r;
    cr_assert_eq(pool_claim(h.pool, &req, h.now, &r), POOL_E_EMPTY);
    h_fini(&h);
    struct pool_config cfg = h_config();
    cfg.max_waiters = 0;
    h_init(&h, &cfg);
    req.wait_until = h.now + SEC;
    cr_assert_eq(pool_claim(h.pool, &req, h.now, &r), POOL_E_EMPTY);
    h_fini(&h);
}
