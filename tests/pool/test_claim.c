/* Claims and releases: binding, idle order, key reuse, request id
 * idempotency, input bounds, session lookup, id uniqueness. */
#include "pool_harness.h"

#include <stdlib.h>

static void ready_pool(struct harness *h, uint32_t min_idle)
{
    struct pool_config cfg = h_config();
    cfg.min_idle = min_idle;
    cfg.max_idle = min_idle;
    cfg.max_total = min_idle * 2;
    h_init(h, &cfg);
    h_start_pods(h, true);
    cr_assert_eq(h_counts(h).by_state[POOL_POD_READY], min_idle);
}

Test(claim, binds_idle_pod_and_records_binding)
{
    struct harness h;
    ready_pool(&h, 2);
    h_clear_log(&h);
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    cr_assert_eq(r.outcome, POOL_CLAIM_BOUND);
    cr_assert_eq(strlen(r.session.id), POOL_SESSION_ID_LEN);
    cr_assert(strncmp(r.session.id, "s-", 2) == 0);
    cr_assert_eq(strlen(r.session.token), POOL_TOKEN_LEN);
    cr_assert_str_eq(r.session.pool, "py");
    cr_assert_str_eq(r.session.node, "node-a");
    cr_assert_str_eq(r.session.address, "10.0.0.1:9003");
    cr_assert_eq(r.session.claimed_at, h.now);
    cr_assert_eq(r.session.expires_at, h.now + 60 * SEC);
    cr_assert_eq(r.session.idle_expires_at, h.now + 30 * SEC);
    h_drain(&h);
    const struct pool_action *a = h_find(&h, POOL_ACT_RECORD_BINDING, 0);
    cr_assert_not_null(a);
    cr_assert_str_eq(a->pod, r.session.pod);
    cr_assert_str_eq(a->session.id, r.session.id);
    cr_assert_eq(a->pool, h.pool);
    /* Supply dropped below min_idle: one more pod is requested. */
    const struct pool_action *c = h_find(&h, POOL_ACT_CREATE_PODS, 0);
    cr_assert_not_null(c);
    cr_assert_eq(c->count, 1);
    cr_assert_eq(h_counters(&h).claims_bound, 1);
    h_fini(&h);
}

Test(claim, idle_set_is_fifo)
{
    struct harness h;
    ready_pool(&h, 3);
    const char *want[] = {"p-0", "p-1", "p-2"};
    for (int i = 0; i < 3; i++) {
        struct pool_claim_result r;
        cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
        cr_assert_str_eq(r.session.pod, want[i]);
    }
    h_fini(&h);
}

Test(claim, empty_pool_without_wait_fails)
{
    struct harness h;
    struct pool_config cfg = h_config();
    h_init(&h, &cfg);
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_E_EMPTY);
    cr_assert_eq(h_counters(&h).claims_empty, 1);
    h_fini(&h);
}

Test(claim, release_drains_pod_and_refills)
{
    struct harness h;
    ready_pool(&h, 2);
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    h_start_pods(&h, true); /* refill after the claim */
    h_clear_log(&h);
    cr_assert_eq(pool_set_release(h.set, r.session.id, h.now), POOL_OK);
    h_check(&h);
    h_drain(&h);
    const struct pool_action *e = h_find(&h, POOL_ACT_SESSION_ENDED, 0);
    cr_assert_not_null(e);
    cr_assert_eq(e->reason, POOL_END_RELEASED);
    cr_assert_str_eq(e->session.id, r.session.id);
    const struct pool_action *d = h_find(&h, POOL_ACT_DELETE_POD, 0);
    cr_assert_not_null(d);
    cr_assert_str_eq(d->pod, r.session.pod);
    cr_assert_eq(pool_set_release(h.set, r.session.id, h.now), POOL_E_NOT_FOUND);
    cr_assert_eq(h_counters(&h).released, 1);
    struct pool_session_info s;
    cr_assert_eq(pool_set_session(h.set, r.session.id, &s), POOL_E_NOT_FOUND);
    h_fini(&h);
}

Test(claim, same_key_returns_same_session)
{
    struct harness h;
    ready_pool(&h, 3);
    struct pool_claim_result a, b, c;
    cr_assert_eq(h_claim(&h, "user-42", NULL, &a), POOL_OK);
    h.now += 5 * SEC;
    cr_assert_eq(h_claim(&h, "user-42", NULL, &b), POOL_OK);
    cr_assert_eq(b.outcome, POOL_CLAIM_KEY_REUSED);
    cr_assert_str_eq(a.session.id, b.session.id);
    cr_assert_str_eq(a.session.pod, b.session.pod);
    cr_assert_str_eq(b.session.key, "user-42");
    cr_assert_eq(b.session.last_keepalive, h.now, "key reuse is a keepalive");
    cr_assert_eq(h_claim(&h, "user-43", NULL, &c), POOL_OK);
    cr_assert_str_neq(c.session.pod, a.session.pod);
    cr_assert_eq(h_counters(&h).key_reused, 1);
    cr_assert_eq(h_counts(&h).sessions, 2);
    /* After release the key is forgotten. */
    cr_assert_eq(pool_set_release(h.set, a.session.id, h.now), POOL_OK);
    h_start_pods(&h, true);
    cr_assert_eq(h_claim(&h, "user-42", NULL, &b), POOL_OK);
    cr_assert_eq(b.outcome, POOL_CLAIM_BOUND);
    cr_assert_str_neq(b.session.id, a.session.id);
    h_fini(&h);
}

Test(claim, request_id_is_idempotent_while_session_lives)
{
    struct harness h;
    ready_pool(&h, 3);
    struct pool_claim_result a, b;
    cr_assert_eq(h_claim(&h, NULL, "req-1", &a), POOL_OK);
    cr_assert_eq(h_claim(&h, NULL, "req-1", &b), POOL_OK);
    cr_assert_eq(b.outcome, POOL_CLAIM_REPLAYED);
    cr_assert_str_eq(a.session.id, b.session.id);
    cr_assert_str_eq(a.session.token, b.session.token);
    cr_assert_eq(h_counters(&h).idempotent_replay, 1);
    cr_assert_eq(h_counters(&h).claims_bound, 1);
    cr_assert_eq(pool_set_release(h.set, a.session.id, h.now), POOL_OK);
    cr_assert_eq(h_claim(&h, NULL, "req-1", &b), POOL_OK);
    cr_assert_eq(b.outcome, POOL_CLAIM_BOUND, "after release a repeat is a new claim");
    cr_assert_str_neq(a.session.id, b.session.id);
    h_fini(&h);
}

Test(claim, input_bounds)
{
    struct harness h;
    ready_pool(&h, 1);
    char key[POOL_KEY_MAX + 2];
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, key, NULL, &r), POOL_E_TOO_LONG);
    cr_assert_eq(h_claim(&h, NULL, key, &r), POOL_E_TOO_LONG);
    key[POOL_KEY_MAX] = '\0'; /* exactly the bound is fine */
    cr_assert_eq(h_claim(&h, key, key, &r), POOL_OK);
    cr_assert_str_eq(r.session.key, key);
    struct pool_claim_request req = {.ttl_seconds = 3601};
    cr_assert_eq(pool_claim(h.pool, &req, h.now, &r), POOL_E_TTL);
    cr_assert_eq(pool_claim(h.pool, NULL, h.now, &r), POOL_E_INVALID);
    cr_assert_eq(pool_set_release(h.set, "s-nonexistent", h.now), POOL_E_NOT_FOUND);
    cr_assert_eq(pool_set_release(h.set, key, h.now), POOL_E_NOT_FOUND);
    cr_assert_eq(pool_set_release(h.set, NULL, h.now), POOL_E_NOT_FOUND);
    h_check(&h);
    h_fini(&h);
}

Test(claim, explicit_ttl_and_lookup_by_id_across_pools)
{
    struct harness h;
    ready_pool(&h, 1);
    struct pool_config other = h_config();
    other.name = "node";
    struct pool *p2;
    cr_assert_eq(pool_set_add(h.set, &other, &p2), POOL_OK);
    cr_assert_eq(pool_set_add(h.set, &other, NULL), POOL_E_EXISTS);
    cr_assert_eq(pool_set_count(h.set), 2);
    cr_assert_eq(pool_set_find(h.set, "node"), p2);
    cr_assert_eq(pool_set_at(h.set, 0), h.pool);
    cr_assert_null(pool_set_at(h.set, 2));
    struct pool_claim_request req = {.ttl_seconds = 120};
    struct pool_claim_result r;
    cr_assert_eq(pool_claim(h.pool, &req, h.now, &r), POOL_OK);
    cr_assert_eq(r.session.expires_at, h.now + 120 * SEC);
    struct pool_session_info s;
    cr_assert_eq(pool_set_session(h.set, r.session.id, &s), POOL_OK);
    cr_assert_str_eq(s.pool, "py");
    cr_assert_str_eq(s.pod, r.session.pod);
    cr_assert_str_eq(s.token, r.session.token);
    h_check(&h);
    h_fini(&h);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* 20000 claim/release cycles, the provider feeding pods back: every id is
 * distinct (a 128-bit random id colliding here would be a generator bug). */
Test(claim, session_ids_unique_over_many_claims)
{
    struct harness h;
    ready_pool(&h, 4);
    enum { N = 20000 };
    char(*ids)[POOL_SESSION_ID_LEN + 1] = calloc(N, sizeof(*ids));
    cr_assert_not_null(ids);
    for (unsigned i = 0; i < N; i++) {
        struct pool_claim_result r;
        struct pool_claim_request req = {0};
        cr_assert_eq(pool_claim(h.pool, &req, h.now, &r), POOL_OK);
        memcpy(ids[i], r.session.id, sizeof(ids[i]));
        cr_assert_eq(pool_set_release(h.set, r.session.id, h.now), POOL_OK);
        h_confirm_deletes(&h, 0);
        h_clear_log(&h);
        h_start_pods(&h, true);
    }
    qsort(ids, N, sizeof(*ids), cmp_str);
    for (unsigned i = 1; i < N; i++)
        cr_assert_str_neq(ids[i - 1], ids[i]);
    free(ids);
    h_fini(&h);
}

struct collect {
    unsigned pods, bound, sessions;
};

static int count_pod(void *ctx, const struct pool_pod_info *pod)
{
    struct collect *c = ctx;
    c->pods++;
    c->bound += pod->state == POOL_POD_BOUND && pod->session_id != NULL;
    return 0;
}

static int count_session(void *ctx, const struct pool_session_info *s)
{
    struct collect *c = ctx;
    c->sessions += s->id[0] == 's';
    return 0;
}

Test(claim, iteration_and_config_read_back)
{
    struct harness h;
    ready_pool(&h, 3);
    struct pool_claim_result r;
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    cr_assert_eq(h_claim(&h, NULL, NULL, &r), POOL_OK);
    struct collect c = {0};
    pool_foreach_pod(h.pool, count_pod, &c);
    pool_foreach_session(h.pool, count_session, &c);
    cr_assert_eq(c.pods, h_counts(&h).live);
    cr_assert_eq(c.bound, 2);
    cr_assert_eq(c.sessions, 2);
    struct pool_config cfg;
    pool_get_config(h.pool, &cfg);
    cr_assert_str_eq(cfg.name, "py");
    cr_assert_eq(cfg.min_idle, 3);
    cr_assert_str_eq(pool_name(h.pool), "py");
    h_fini(&h);
}
