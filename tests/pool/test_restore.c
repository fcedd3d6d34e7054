/* pool_restore: pods and sessions found at start are rebuilt before the
 * first sizing, so a restart neither over-creates nor forgets a session. */
#include "pool_harness.h"

static void restore_init(struct harness *h, const struct pool_config *cfg)
{
    memset(h, 0, sizeof(*h));
    uint8_t seed[POOL_SEED_LEN] = {3};
    cr_assert_eq(pool_set_new(seed, 256, &h->set), POOL_OK);
    cr_assert_eq(pool_set_add(h->set, cfg, &h->pool), POOL_OK);
    h->now = 1000 * SEC;
}

static enum pool_status restore(struct harness *h, enum pool_obs what, const char *name,
                                const struct pool_restore_session *s)
{
    struct pool_pod_obs obs = {.name = name, .address = "10.1.0.9:8080", .node = "n1"};
    enum pool_status st = pool_restore(h->pool, what, &obs, s, h->now);
    h_check(h);
    return st;
}

#define SID1 "s-0123456789abcdef0123456789abcdef"
#define SID2 "s-fedcba9876543210fedcba9876543210"

Test(pool_restore, sessions_and_idle_pods_come_back_before_sizing)
{
    struct harness h;
    struct pool_config cfg = h_config(); /* min_idle 2, max_total 8 */
    restore_init(&h, &cfg);
    struct pool_restore_session s = {.id = SID1,
                                     .key = "user-1",
                                     .request_id = "r-1",
                                     .claimed_at = h.now - 5 * SEC,
                                     .expires_at = h.now + 55 * SEC};
    cr_assert_eq(restore(&h, POOL_OBS_READY, "bound-a", &s), POOL_OK);
    cr_assert_eq(restore(&h, POOL_OBS_READY, "idle-a", NULL), POOL_OK);
    cr_assert_eq(restore(&h, POOL_OBS_STARTING, "start-a", NULL), POOL_OK);
    cr_assert_eq(pool_set_pending_actions(h.set), 0, "restore emits nothing");
    struct pool_counts c = h_counts(&h);
    cr_assert_eq(c.by_state[POOL_POD_BOUND], 1);
    cr_assert_eq(c.by_state[POOL_POD_READY], 1);
    cr_assert_eq(c.by_state[POOL_POD_STARTING], 1);

    h_tick(&h, h.now);
    h_drain(&h);
    cr_assert_eq(h_asked(&h), 0, "idle + starting = min_idle: nothing to create");

    struct pool_session_info info;
    cr_assert_eq(pool_set_session(h.set, SID1, &info), POOL_OK);
    cr_assert_str_eq(info.pod, "bound-a");
    cr_assert_eq(strlen(info.token), POOL_TOKEN_LEN, "a fresh token when none is given");
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, "user-1", NULL, &r), POOL_OK);
    cr_assert_eq(r.outcome, POOL_CLAIM_KEY_REUSED, "the key is indexed again");
    cr_assert_str_eq(r.session.id, SID1);
    cr_assert_eq(h_claim(&h, NULL, "r-1", &r), POOL_OK);
    cr_assert_eq(r.outcome, POOL_CLAIM_REPLAYED, "the request id is indexed again");
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    cr_assert_str_eq(r.session.pod, "idle-a");

    h_tick(&h, h.now + 56 * SEC);
    h_drain(&h);
    cr_assert_eq(pool_set_session(h.set, SID1, &info), POOL_E_NOT_FOUND, "its TTL still holds");
    h_fini(&h);
}

Test(pool_restore, refusals_change_nothing)
{
    struct harness h;
    struct pool_config cfg = h_config();
    cfg.max_total = 2;
    cfg.max_idle = 2;
    cfg.min_idle = 1;
    restore_init(&h, &cfg);
    struct pool_restore_session s = {
        .id = SID1, .key = "k", .token = "", .claimed_at = h.now, .expires_at = h.now + SEC};
    cr_assert_eq(restore(&h, POOL_OBS_READY, "a", &s), POOL_OK);
    cr_assert_eq(restore(&h, POOL_OBS_READY, "a", NULL), POOL_E_EXISTS, "same pod");
    struct pool_restore_session dup = s;
    cr_assert_eq(restore(&h, POOL_OBS_READY, "b", &dup), POOL_E_EXISTS, "same session id");
    dup.id = SID2;
    cr_assert_eq(restore(&h, POOL_OBS_READY, "b", &dup), POOL_E_EXISTS, "same key");
    dup.key = NULL;
    dup.expires_at = h.now;
    cr_assert_eq(restore(&h, POOL_OBS_READY, "b", &dup), POOL_E_TTL, "already expired");
    dup.id = "s-short";
    dup.expires_at = h.now + SEC;
    cr_assert_eq(restore(&h, POOL_OBS_READY, "b", &dup), POOL_E_INVALID);
    cr_assert_eq(restore(&h, POOL_OBS_GONE, "b", NULL), POOL_E_INVALID);
    cr_assert_eq(restore(&h, POOL_OBS_STARTING, "b", NULL), POOL_OK);
    cr_assert_eq(restore(&h, POOL_OBS_READY, "c", NULL), POOL_E_FULL, "max_total 2");
    struct pool_counts c = h_counts(&h);
    cr_assert_eq(c.live, 2);
    h_fini(&h);
}

Test(pool_restore, owner_travels_with_the_session)
{
    struct harness h;
    struct pool_config cfg = h_config();
    restore_init(&h, &cfg);
    struct pool_restore_session s = {
        .id = SID1, .owner = "api-a", .claimed_at = h.now, .expires_at = h.now + 60 * SEC};
    cr_assert_eq(restore(&h, POOL_OBS_READY, "bound-a", &s), POOL_OK);
    cr_assert_eq(restore(&h, POOL_OBS_READY, "idle-a", NULL), POOL_OK);
    struct pool_session_info info;
    cr_assert_eq(pool_set_session(h.set, SID1, &info), POOL_OK);
    cr_assert_str_eq(info.owner, "api-a", "a restored session keeps its owner");

    struct pool_claim_request req = {.owner = "api-b"};
    struct pool_claim_result r;
    cr_assert_eq(pool_claim(h.pool, &req, h.now, &r), POOL_OK);
    cr_assert_eq(r.outcome, POOL_CLAIM_BOUND);
    cr_assert_str_eq(r.session.owner, "api-b", "a claim's owner is stored as given");

    int tag;
    struct pool_claim_request waits = {
        .owner = "api-c", .wait_until = h.now + 5 * SEC, .waiter_data = &tag};
    cr_assert_eq(pool_claim(h.pool, &waits, h.now, &r), POOL_OK);
    cr_assert_eq(r.outcome, POOL_CLAIM_QUEUED, "no idle pod left");
    h_drain(&h);
    cr_assert_eq(h_observe(&h, POOL_OBS_READY, "late"), POOL_OK);
    h_drain(&h);
    const struct pool_action *w = h_find(&h, POOL_ACT_WAITER_BOUND, 0);
    cr_assert(w);
    cr_assert_str_eq(w->session.owner, "api-c", "a waiter's owner reaches its session");

    char long_owner[POOL_OWNER_MAX + 2];
    memset(long_owner, 'o', sizeof long_owner - 1);
    long_owner[sizeof long_owner - 1] = '\0';
    req.owner = long_owner;
    cr_assert_eq(pool_claim(h.pool, &req, h.now, &r), POOL_E_TOO_LONG);
    h_fini(&h);
}
