/* Time: TTL and idle expiry, keepalive, stuck pods, delete redelivery and
 * pool_set_next_deadline(). */
#include "pool_harness.h"

/* A pool of Ready pods (cfg NULL: h_config(), ttl 60 s, idle 30 s, start
 * 10 s), with an empty action log. */
static void setup_with(struct harness *h, const struct pool_config *cfg)
{
    struct pool_config def = h_config();
    h_init(h, cfg ? cfg : &def);
    h_start_pods(h, true);
    h_drain(h);
    h_clear_log(h);
}

static void setup(struct harness *h)
{
    setup_with(h, NULL);
}

/* A config that differs from h_config() in min_idle only. */
static struct pool_config min_idle(uint32_t n)
{
    struct pool_config cfg = h_config();
    cfg.min_idle = n;
    return cfg;
}

Test(expiry, next_deadline_reports_earliest_timer)
{
    struct harness h;
    struct pool_config cfg = h_config();
    struct pool_set *set;
    uint8_t seed[POOL_SEED_LEN] = {0};
    cr_assert_eq(pool_set_new(seed, 64, &set), POOL_OK);
    cr_assert_eq(pool_set_next_deadline(set), UINT64_MAX, "empty set: nothing scheduled");
    cr_assert_eq(pool_set_add(set, &cfg, NULL), POOL_OK);
    cr_assert_eq(pool_set_next_deadline(set), 0, "new pool: sizing pending");
    pool_set_free(set);

    h_init(&h, &cfg);
    /* Two CREATING pods with start deadlines. */
    cr_assert_eq(pool_set_next_deadline(h.set), h.now + 10 * SEC, "got %llu now %llu",
                 (unsigned long long)pool_set_next_deadline(h.set), (unsigned long long)h.now);
    h_start_pods(&h, true);
    cr_assert_eq(pool_set_next_deadline(h.set), UINT64_MAX, "idle pods need no timer");
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    h_start_pods(&h, true);
    cr_assert_eq(pool_set_next_deadline(h.set), h.now + 30 * SEC, "idle timeout first");
    h_fini(&h);
}

Test(expiry, idle_expiry_without_keepalive)
{
    struct harness h;
    setup(&h);
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    uint64_t t0 = h.now;
    h_tick(&h, t0 + 30 * SEC - 1);
    struct pool_session_info s;
    cr_assert_eq(pool_set_session(h.set, r.session.id, &s), POOL_OK, "not yet");
    h_tick(&h, t0 + 30 * SEC);
    cr_assert_eq(pool_set_session(h.set, r.session.id, &s), POOL_E_NOT_FOUND);
    h_drain(&h);
    const struct pool_action *a = h_find(&h, POOL_ACT_SESSION_ENDED, 0);
    cr_assert_not_null(a);
    cr_assert_eq(a->reason, POOL_END_IDLE);
    cr_assert_eq(h_counters(&h).expired_idle, 1);
    cr_assert_eq(h_counters(&h).expired, 1);
    h_fini(&h);
}

Test(expiry, keepalive_extends_idle_but_not_ttl)
{
    struct harness h;
    setup(&h);
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    uint64_t t0 = h.now;
    struct pool_session_info s;
    for (int i = 1; i <= 3; i++) {
        h_tick(&h, t0 + (uint64_t)i * 15 * SEC);
        cr_assert_eq(pool_set_keepalive(h.set, r.session.id, h.now, &s), POOL_OK);
        cr_assert_eq(s.last_keepalive, h.now);
        cr_assert_eq(s.idle_expires_at, h.now + 30 * SEC);
        h_check(&h);
    }
    /* 60 s after the claim the TTL ends it despite keepalives. */
    h_tick(&h, t0 + 60 * SEC);
    cr_assert_eq(pool_set_session(h.set, r.session.id, &s), POOL_E_NOT_FOUND);
    h_drain(&h);
    const struct pool_action *a = h_find(&h, POOL_ACT_SESSION_ENDED, 0);
    cr_assert_not_null(a);
    cr_assert_eq(a->reason, POOL_END_TTL);
    cr_assert_eq(h_counters(&h).expired_ttl, 1);
    cr_assert_eq(pool_set_keepalive(h.set, r.session.id, h.now, NULL), POOL_E_NOT_FOUND);
    h_fini(&h);
}

Test(expiry, no_idle_timeout_when_zero)
{
    struct harness h;
    struct pool_config cfg = h_config();
    cfg.idle_timeout_s = 0;
    setup_with(&h, &cfg);
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    cr_assert_eq(r.session.idle_expires_at, UINT64_MAX);
    h_tick(&h, h.now + 59 * SEC);
    struct pool_session_info s;
    cr_assert_eq(pool_set_session(h.set, r.session.id, &s), POOL_OK);
    h_fini(&h);
}

Test(expiry, stuck_starting_pod_is_deleted_and_replaced)
{
    struct harness h;
    struct pool_config cfg = min_idle(1);
    h_init(&h, &cfg);
    h_start_pods(&h, false); /* p-0 STARTING, never Ready */
    h_clear_log(&h);
    uint64_t t0 = h.now;
    h_tick(&h, t0 + 10 * SEC);
    h_drain(&h);
    const struct pool_action *d = h_find(&h, POOL_ACT_DELETE_POD, 0);
    cr_assert_not_null(d);
    cr_assert_str_eq(d->pod, "p-0");
    const struct pool_action *c = h_find(&h, POOL_ACT_CREATE_PODS, 0);
    cr_assert_not_null(c, "replacement requested");
    cr_assert_eq(c->count, 1);
    struct pool_counts n = h_counts(&h);
    cr_assert_eq(n.by_state[POOL_POD_DRAINING], 1);
    cr_assert_eq(n.by_state[POOL_POD_CREATING], 1);
    cr_assert_eq(h_counters(&h).start_timeouts, 1);
    /* The provider never confirms: the delete is asked again. */
    h_clear_log(&h);
    h_tick(&h, t0 + 20 * SEC);
    h_drain(&h);
    cr_assert_eq(h_count(&h, POOL_ACT_DELETE_POD), 1);
    cr_assert_eq(h_counters(&h).pods_deleted, 1, "redelivery is not a new delete");
    cr_assert_eq(h_observe(&h, POOL_OBS_GONE, "p-0"), POOL_OK);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_DRAINING], 0);
    h_fini(&h);
}

Test(expiry, creating_that_never_shows_up_times_out)
{
    struct harness h;
    struct pool_config cfg = min_idle(2);
    h_init(&h, &cfg);
    h_drain(&h);
    h_clear_log(&h);
    h_tick(&h, h.now + 10 * SEC);
    h_drain(&h);
    cr_assert_eq(h_counters(&h).start_timeouts, 2);
    /* Both records dropped and asked for again. */
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_CREATING], 2);
    cr_assert_eq(h_asked(&h), 2);
    h_fini(&h);
}

Test(expiry, tick_at_far_future_terminates)
{
    struct harness h;
    setup(&h);
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    h_tick(&h, UINT64_MAX - 1);
    h_tick(&h, UINT64_MAX);
    h_tick(&h, UINT64_MAX);
    struct pool_session_info s;
    cr_assert_eq(pool_set_session(h.set, r.session.id, &s), POOL_E_NOT_FOUND);
    h_fini(&h);
}

/* A session past its deadline whose timer has not run yet (the daemon's
 * tick may come after an HTTP request in the same loop turn) is over: a
 * keepalive must not answer for it and a claim with its key must not hand
 * it out, or the caller would be acknowledged a session about to end. */
Test(expiry, lapsed_session_is_not_kept_alive)
{
    struct harness h;
    setup(&h);
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    h.now += 30 * SEC; /* idle deadline, no tick */
    struct pool_session_info s;
    cr_assert_eq(pool_set_keepalive(h.set, r.session.id, h.now, &s), POOL_E_NOT_FOUND);
    h_check(&h);
    h_drain(&h);
    const struct pool_action *a = h_find(&h, POOL_ACT_SESSION_ENDED, 0);
    cr_assert_not_null(a);
    cr_assert_eq(a->reason, POOL_END_IDLE);
    h_fini(&h);
}

Test(expiry, lapsed_session_is_not_reused_by_key)
{
    struct harness h;
    setup(&h);
    struct pool_claim_result r, again;
    cr_assert_eq(h_claim(&h, "k", NULL, &r), POOL_OK);
    h.now += 30 * SEC;
    h_start_pods(&h, true);
    cr_assert_eq(h_claim(&h, "k", NULL, &again), POOL_OK);
    cr_assert_eq(again.outcome, POOL_CLAIM_BOUND);
    cr_assert_str_neq(again.session.id, r.session.id);
    h_drain(&h);
    const struct pool_action *a = h_find(&h, POOL_ACT_SESSION_ENDED, 0);
    cr_assert_not_null(a);
    cr_assert_str_eq(a->session.id, r.session.id);
    h_fini(&h);
}

static void queue_waiter(struct harness *h, const char *key, const char *request_id, void *tag)
{
    struct pool_claim_result r;
    cr_assert_eq(h_wait_claim(h, key, request_id, 60, tag, &r), POOL_OK);
    cr_assert_eq(r.outcome, POOL_CLAIM_QUEUED);
}

Test(expiry, waiter_does_not_get_a_lapsed_session)
{
    struct harness h;
    struct pool_config cfg = min_idle(0); /* idle timeout 30 s */
    cfg.max_idle = 2;
    cfg.max_total = 2;
    h_init(&h, &cfg);
    int first, other, second;
    queue_waiter(&h, "k", NULL, &first);
    queue_waiter(&h, NULL, "other", &other);
    queue_waiter(&h, "k", NULL, &second);
    cr_assert_eq(h_observe(&h, POOL_OBS_READY, "a"), POOL_OK);
    h_drain(&h);
    const struct pool_action *a = h_find(&h, POOL_ACT_WAITER_BOUND, 0);
    cr_assert(a && a->waiter_data == &first);
    char lapsed[POOL_SESSION_ID_LEN + 1];
    strcpy(lapsed, a->session.id);
    /* The session's idle deadline passes; its timer has not run when the
     * next pod is Ready: "other" binds it, "second" must not get the
     * lapsed session. */
    h.now += 30 * SEC;
    h_clear_log(&h);
    cr_assert_eq(h_observe(&h, POOL_OBS_READY, "b"), POOL_OK);
    h_tick(&h, h.now);
    h_drain(&h);
    for (unsigned i = 0; (a = h_find(&h, POOL_ACT_WAITER_BOUND, i)); i++)
        cr_assert_str_neq(a->session.id, lapsed, "a waiter was handed the lapsed session");
    struct pool_session_info s;
    cr_assert_eq(pool_set_session(h.set, lapsed, &s), POOL_E_NOT_FOUND);
    h_fini(&h);
}
