/* Sizing policies: percent, schedule, predictive (rate windows, lead time,
 * burst reaction, no flapping, scale-down by draining idle pods after the
 * delay, max_total and node capacity), and their configuration rules. */
#include <math.h>

#include "pool_harness.h"

#define LAG_MAX 512

/* A provider whose pods are Ready `lead` after CREATE_PODS. */
struct lagged {
    char names[LAG_MAX][16];
    uint64_t ready_at[LAG_MAX];
    unsigned n;
    uint64_t lead;
};

static void lag_step(struct harness *h, struct lagged *lp)
{
    h_drain(h);
    for (; h->to_create > 0; h->to_create--) {
        cr_assert_lt(lp->n, LAG_MAX);
        snprintf(lp->names[lp->n], sizeof(lp->names[0]), "p-%u", h->next_pod++);
        cr_assert_eq(h_observe(h, POOL_OBS_STARTING, lp->names[lp->n]), POOL_OK);
        lp->ready_at[lp->n++] = h->now + lp->lead;
        h_drain(h);
    }
    for (unsigned i = 0; i < lp->n;) {
        if (lp->ready_at[i] > h->now) {
            i++;
            continue;
        }
        enum pool_status st = h_observe(h, POOL_OBS_READY, lp->names[i]);
        cr_assert_eq(st, POOL_OK, "%s: %s", lp->names[i], pool_status_str(st));
        lp->n--;
        memcpy(lp->names[i], lp->names[lp->n], sizeof(lp->names[0]));
        lp->ready_at[i] = lp->ready_at[lp->n];
    }
}

/* Moves the clock to t: tick, provider, deletions confirmed. */
static void advance(struct harness *h, struct lagged *lp, uint64_t t)
{
    h_clear_log(h);
    h_tick(h, t);
    lag_step(h, lp);
    h_confirm_deletes(h, 0);
    lag_step(h, lp); /* deletions may have asked for refills */
}

/* One claim, released at once unless keep; returns true on a hit. */
static bool claim_once(struct harness *h, struct lagged *lp, bool keep)
{
    struct pool_claim_result r;
    h_clear_log(h);
    enum pool_status st = h_claim(h, NULL, NULL, &r);
    if (st == POOL_OK && !keep)
        cr_assert_eq(pool_set_release(h->set, r.session.id, h->now), POOL_OK);
    h_confirm_deletes(h, 0);
    lag_step(h, lp);
    return st == POOL_OK;
}

/* Claims every 1/rate s for `secs`; every keep_every-th claim keeps its
 * session (0 = none). Returns the misses. */
static unsigned run(struct harness *h, struct lagged *lp, double rate, double secs,
                    unsigned keep_every)
{
    uint64_t step = (uint64_t)(SEC / rate), end = h->now + (uint64_t)(secs * SEC);
    unsigned misses = 0, i = 0;
    while (h->now + step <= end) {
        advance(h, lp, h->now + step);
        misses += !claim_once(h, lp, keep_every && ++i % keep_every == 0);
    }
    return misses;
}

static struct pool_config predictive_config(void)
{
    struct pool_config c = h_config();
    c.min_idle = 1;
    c.max_idle = 150;
    c.max_total = 200;
    c.max_waiters = 0;
    c.default_ttl_s = 3600;
    c.idle_timeout_s = 0;
    c.sizing.policy = POOL_SIZING_PREDICTIVE;
    c.sizing.target_miss = 0.001;
    c.sizing.lead_time_hint_ms = 2000;
    c.sizing.scale_down_delay_s = 30;
    return c;
}

static struct pool_sizing_info sizing(const struct harness *h)
{
    struct pool_sizing_info s;
    pool_get_sizing(h->pool, h->now, &s);
    return s;
}

static uint64_t drained(const struct harness *h)
{
    struct pool_counters c = h_counters(h);
    return c.pods_deleted - c.released - c.expired; /* not caused by a session end */
}

static uint32_t supply(const struct harness *h)
{
    struct pool_counts c = h_counts(h);
    return c.by_state[POOL_POD_READY] + c.by_state[POOL_POD_STARTING] +
           c.by_state[POOL_POD_CREATING];
}

Test(policies, lead_time_is_measured_from_create_to_ready)
{
    struct harness h;
    struct pool_config cfg = h_config(); /* fixed: estimates run for every policy */
    cfg.min_idle = 1;
    h_init(&h, &cfg);
    struct lagged lp = {.lead = 3 * SEC};
    lag_step(&h, &lp);
    cr_assert_eq(sizing(&h).lead_samples, 0);
    advance(&h, &lp, h.now + 3 * SEC);
    struct pool_sizing_info s = sizing(&h);
    cr_assert_eq(s.lead_samples, 1);
    cr_assert_float_eq(s.lead_sum_s, 3.0, 1e-9);
    cr_assert_eq(s.lead_buckets[6], 1, "3 s lies in (2.5, 5]");
    /* A pod that only flaps READY -> STARTING -> READY gives no new sample,
     * nor does an adopted pod. */
    h_observe(&h, POOL_OBS_STARTING, "p-0");
    h_observe(&h, POOL_OBS_READY, "p-0");
    h_observe(&h, POOL_OBS_READY, "adopted");
    cr_assert_eq(sizing(&h).lead_samples, 1);
    cr_assert_eq(s.policy, POOL_SIZING_FIXED);
    cr_assert_eq(s.target, 1);
    h_fini(&h);
}

Test(policies, percent_follows_bound_pods)
{
    struct harness h;
    struct pool_config cfg = h_config();
    cfg.min_idle = 1;
    cfg.max_idle = 10;
    cfg.max_total = 40;
    cfg.sizing.policy = POOL_SIZING_PERCENT;
    cfg.sizing.percent = 50;
    h_init(&h, &cfg);
    struct lagged lp = {.lead = 0};
    lag_step(&h, &lp);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_READY], 1, "min_idle floor with nothing bound");
    for (int i = 0; i < 8; i++)
        claim_once(&h, &lp, true);
    advance(&h, &lp, h.now + SEC);
    struct pool_counts c = h_counts(&h);
    cr_assert_eq(c.sessions, 8);
    cr_assert_eq(c.by_state[POOL_POD_READY], 4, "50%% of 8 bound");
    cr_assert_eq(sizing(&h).target, 4);
    /* 40 bound would want 20 idle: max_idle caps it. */
    for (int i = 0; i < 20; i++)
        claim_once(&h, &lp, true);
    advance(&h, &lp, h.now + SEC);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_READY], 10);
    h_fini(&h);
}

Test(policies, schedule_switches_one_lead_time_ahead)
{
    struct harness h;
    struct pool_config cfg = h_config();
    cfg.min_idle = 0;
    cfg.max_idle = 8;
    cfg.max_total = 16;
    cfg.sizing.policy = POOL_SIZING_SCHEDULE;
    cfg.sizing.nschedule = 2;
    cfg.sizing.schedule[0] = (struct pool_schedule_entry){.minute = 8 * 60, .min_idle = 6};
    cfg.sizing.schedule[1] = (struct pool_schedule_entry){.minute = 20 * 60, .min_idle = 1};
    cfg.sizing.lead_time_hint_ms = 10000;
    cfg.start_timeout_s = 600; /* the clock jumps past lead times here */
    h_init(&h, &cfg);
    /* now = 07:58:00 UTC. */
    pool_set_wall_clock(h.set, (int64_t)((7 * 3600 + 58 * 60) * SEC) - (int64_t)h.now);
    struct lagged lp = {.lead = 10 * SEC};
    advance(&h, &lp, h.now + SEC);
    cr_assert_eq(supply(&h), 1, "night entry wraps from 20:00");
    advance(&h, &lp, h.now + 104 * SEC); /* 07:59:45 */
    cr_assert_eq(supply(&h), 1);
    advance(&h, &lp, h.now + 7 * SEC); /* 07:59:52: 08:00 is one lead time (10 s) away */
    cr_assert_eq(supply(&h), 6);
    advance(&h, &lp, h.now + 10 * SEC);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_READY], 6);
    /* 20:00: down to 1, by draining idle pods after the scale-down delay. */
    pool_set_wall_clock(h.set, (int64_t)(20 * 3600 * SEC) - (int64_t)h.now);
    advance(&h, &lp, h.now + SEC);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_READY], 6, "not before the delay");
    advance(&h, &lp, h.now + 30 * SEC);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_READY], 6, "not within the delay (60 s)");
    advance(&h, &lp, h.now + 100 * SEC);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_READY], 1, "drained within two delays");
    h_fini(&h);
}

Test(policies, predictive_sizes_for_rate_times_lead_time)
{
    struct harness h;
    struct pool_config cfg = predictive_config();
    h_init(&h, &cfg);
    struct lagged lp = {.lead = 2 * SEC};
    run(&h, &lp, 10, 180, 0);
    struct pool_sizing_info s = sizing(&h);
    cr_assert_float_eq(s.rate_long, 10, 1.0, "rate %f", s.rate_long);
    cr_assert_float_eq(s.lead_p50_s, 2.0, 0.3);
    /* Poisson(10/s x 2 s) at 0.001 needs 36; evenly spaced claims are
     * calmer than that, and the lead-time histogram is coarse. */
    cr_assert(s.target >= 30 && s.target <= 42, "target %u", s.target);
    /* And it works: a steady stream misses nothing once warm. */
    cr_assert_eq(run(&h, &lp, 10, 60, 0), 0);
    h_fini(&h);
}

Test(policies, predictive_reacts_to_a_burst_within_a_second)
{
    struct harness h;
    struct pool_config cfg = predictive_config();
    h_init(&h, &cfg);
    struct lagged lp = {.lead = 2 * SEC};
    run(&h, &lp, 1, 180, 0);
    uint32_t before = sizing(&h).target;
    cr_assert_not(sizing(&h).burst);
    run(&h, &lp, 30, 1.0, 0);
    struct pool_sizing_info s = sizing(&h);
    cr_assert(s.burst);
    cr_assert_geq(s.target, 4 * before, "target %u -> %u within 1 s", before, s.target);
    cr_assert_geq(h_asked(&h) + h_counts(&h).by_state[POOL_POD_CREATING] +
                      h_counts(&h).by_state[POOL_POD_STARTING],
                  s.target / 2, "pods are on their way");
    h_fini(&h);
}

/* Poisson arrivals from a fixed-seed generator. */
static double next_gap(uint64_t *x, double rate)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return -log(((double)(*x >> 11) + 0.5) / 9007199254740992.0) / rate;
}

Test(policies, predictive_does_not_flap_on_poisson_noise)
{
    struct harness h;
    struct pool_config cfg = predictive_config();
    h_init(&h, &cfg);
    struct lagged lp = {.lead = 2 * SEC};
    uint64_t x = 88172645463325252ull;
    uint32_t lo = UINT32_MAX, hi = 0;
    uint64_t drained_warm = 0;
    unsigned misses = 0, claims = 0;
    for (double t = 0; t < 900; t += next_gap(&x, 5)) {
        advance(&h, &lp, 1000 * SEC + (uint64_t)(t * SEC));
        bool hit = claim_once(&h, &lp, false);
        if (t < 180) {
            drained_warm = drained(&h);
            continue;
        }
        claims++;
        misses += !hit;
        uint32_t target = sizing(&h).target;
        lo = target < lo ? target : lo;
        hi = target > hi ? target : hi;
    }
    /* 5/s x 2 s: Poisson(10) at 0.001 is 21; noise moves it a little. */
    cr_assert(lo >= 15 && hi <= 32, "target ranged %u..%u", lo, hi);
    cr_assert_leq(drained(&h) - drained_warm, 3, "idle pods drained on noise");
    cr_assert_leq(misses, claims / 500, "%u misses in %u claims", misses, claims);
    h_fini(&h);
}

static int count_bound(void *ctx, const struct pool_pod_info *pod)
{
    *(unsigned *)ctx += pod->state == POOL_POD_BOUND;
    return 0;
}

#define DELAY_S 30

Test(policies, predictive_scales_down_late_and_only_by_draining_idle_pods)
{
    struct harness h;
    struct pool_config cfg = predictive_config(); /* scale_down_delay_s 30 */
    h_init(&h, &cfg);
    struct lagged lp = {.lead = 2 * SEC};
    run(&h, &lp, 20, 120, 10); /* every 10th session stays bound */
    unsigned sessions = h_counts(&h).sessions;
    uint32_t high = sizing(&h).target;
    uint64_t before = drained(&h);
    cr_assert_gt(high, 40);
    /* Silence. A pod is drained only when no target of the last delay
     * wanted it: the targets of the previous DELAY_S - 2 seconds were all
     * below the supply the drain cut. */
    uint32_t recent[DELAY_S - 2], prev_supply = supply(&h);
    for (int i = 0; i < DELAY_S - 2; i++)
        recent[i] = high;
    for (int i = 0; i < 600; i++) {
        uint64_t d0 = drained(&h);
        advance(&h, &lp, h.now + SEC);
        uint32_t wanted = 0;
        for (int k = 0; k < DELAY_S - 2; k++)
            wanted = recent[k] > wanted ? recent[k] : wanted;
        if (drained(&h) > d0)
            cr_assert_lt(wanted, prev_supply, "t+%d s: drained below %u while %u was wanted", i,
                         prev_supply, wanted);
        recent[i % (DELAY_S - 2)] = sizing(&h).target;
        prev_supply = supply(&h);
    }
    /* The surplus went, idle pods only: every session kept its pod. */
    struct pool_counts c = h_counts(&h);
    struct pool_sizing_info s = sizing(&h);
    cr_assert_gt(drained(&h), before);
    cr_assert_lt(s.target, high / 4, "target %u after silence", s.target);
    cr_assert_leq(c.by_state[POOL_POD_READY], s.keep);
    cr_assert_eq(c.sessions, sessions);
    unsigned bound = 0;
    pool_foreach_pod(h.pool, count_bound, &bound);
    cr_assert_eq(bound, sessions);
    h_fini(&h);
}

Test(policies, predictive_is_bounded_by_max_total_and_node_capacity)
{
    struct harness h;
    struct pool_config cfg = predictive_config();
    cfg.max_total = 40;
    cfg.max_idle = 40;
    h_init(&h, &cfg);
    struct lagged lp = {.lead = 2 * SEC};
    run(&h, &lp, 50, 5, 0);
    cr_assert_leq(h_counts(&h).live, 40);
    pool_set_capacity(h.pool, 12, h.now);
    cr_assert_eq(sizing(&h).capacity, 12);
    run(&h, &lp, 50, 30, 0);
    cr_assert_leq(h_counts(&h).live, 12);
    cr_assert_eq(sizing(&h).capacity, 12);
    pool_set_capacity(h.pool, 0, h.now); /* unknown again: max_total rules */
    run(&h, &lp, 50, 5, 0);
    cr_assert_gt(h_counts(&h).live, 12);
    cr_assert_leq(h_counts(&h).live, 40);
    h_fini(&h);
}

Test(policies, switching_policies_arms_and_disarms_the_timer)
{
    struct harness h;
    struct pool_config cfg = predictive_config();
    h_init(&h, &cfg);
    struct lagged lp = {.lead = SEC};
    run(&h, &lp, 10, 30, 0);
    cfg.sizing.policy = POOL_SIZING_FIXED;
    cfg.min_idle = 3;
    cfg.max_idle = 3;
    cr_assert_eq(pool_update_config(h.pool, &cfg, h.now), POOL_OK);
    h_check(&h);
    advance(&h, &lp, h.now + 5 * SEC);
    cr_assert_eq(sizing(&h).target, 3);
    cr_assert_eq(h_counts(&h).by_state[POOL_POD_READY], 3);
    cfg = predictive_config();
    cr_assert_eq(pool_update_config(h.pool, &cfg, h.now), POOL_OK);
    h_check(&h);
    cr_assert_leq(pool_set_next_deadline(h.set), h.now + SEC / 2, "re-evaluated every 500 ms");
    h_fini(&h);
}

Test(policies, invalid_sizing_configs_are_rejected)
{
    uint8_t seed[POOL_SEED_LEN] = {0};
    struct pool_set *set;
    cr_assert_eq(pool_set_new(seed, 64, &set), POOL_OK);
    struct pool_config good = predictive_config(), c;
    cr_assert_eq(pool_set_add(set, &good, NULL), POOL_OK);
    c = good, c.name = "b", c.sizing.target_miss = 0.5;
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID);
    c = good, c.name = "b", c.sizing.target_miss = -0.1;
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID);
    c = good, c.name = "b", c.sizing.short_window_ms = 120000, c.sizing.long_window_s = 60;
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID);
    c = good, c.name = "b", c.sizing.policy = POOL_SIZING_PERCENT, c.sizing.percent = 0;
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID);
    c = good, c.name = "b", c.sizing.policy = POOL_SIZING_SCHEDULE, c.sizing.nschedule = 0;
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID);
    c.sizing.nschedule = 2;
    c.sizing.schedule[0] = (struct pool_schedule_entry){.minute = 600, .min_idle = 1};
    c.sizing.schedule[1] = (struct pool_schedule_entry){.minute = 600, .min_idle = 2};
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID, "minutes must ascend");
    c.sizing.schedule[1].minute = 1440;
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID, "minute past the day");
    c.sizing.schedule[1] = (struct pool_schedule_entry){.minute = 700, .min_idle = 151};
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID, "above max_idle");
    c = good, c.name = "b", c.sizing.policy = (enum pool_sizing_policy)9;
    cr_assert_eq(pool_set_add(set, &c, NULL), POOL_E_INVALID);
    cr_assert_eq(pool_set_count(set), 1);
    cr_assert_str_eq(pool_sizing_policy_str(POOL_SIZING_PREDICTIVE), "predictive");
    pool_set_free(set);
}
