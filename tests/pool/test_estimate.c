/* The statistics behind predictive sizing: demand bound, rate windows, lead
 * time histogram. Expected bounds were computed independently (exact
 * Poisson and negative binomial sums in Python). */
#include <criterion/criterion.h>
#include <math.h>

#include "pool_estimate.h"

#define SEC 1000000000ull

Test(estimate, poisson_bound_matches_exact_quantiles)
{
    /* Nothing expected still needs one pod: a claim with no supply misses. */
    cr_assert_eq(pool_demand_bound(0, 0, 0.001, 100), 1);
    cr_assert_eq(pool_demand_bound(1, 1, 0.001, 100), 6); /* P(N>=6) = 0.00059 */
    cr_assert_eq(pool_demand_bound(20, 20, 0.001, 100), 36);
    cr_assert_eq(pool_demand_bound(4.46, 0, 0.001, 100), 13); /* var < mean: Poisson */
    /* No underflow for large means: exp(-2000) is 0 in double. */
    cr_assert_eq(pool_demand_bound(2000, 2000, 0.001, 4000), 2141);
    /* The cap bounds the answer. */
    cr_assert_eq(pool_demand_bound(2000, 2000, 0.001, 50), 50);
}

Test(estimate, rate_variance_widens_the_bound)
{
    /* Negative binomial, mean 20, variance 60. */
    cr_assert_eq(pool_demand_bound(20, 60, 0.001, 200), 52);
    cr_assert_gt(pool_demand_bound(20, 60, 0.001, 200), pool_demand_bound(20, 20, 0.001, 200));
    /* A looser target needs fewer pods. */
    cr_assert_lt(pool_demand_bound(20, 20, 0.05, 200), pool_demand_bound(20, 20, 0.001, 200));
}

static void feed(struct pool_rate_est *r, uint64_t *now, double rate, double seconds)
{
    uint64_t step = (uint64_t)(SEC / rate);
    for (uint64_t end = *now + (uint64_t)(seconds * SEC); *now < end; *now += step)
        pool_rate_arrival(r, *now);
}

Test(estimate, steady_rate_is_measured_without_burst)
{
    struct pool_rate_est r;
    pool_rate_init(&r, 1.0, 60.0);
    uint64_t now = 1 * SEC;
    feed(&r, &now, 10, 600);
    pool_rate_sync(&r, now);
    cr_assert_float_eq(r.slow, 10, 0.5, "slow %f", r.slow);
    cr_assert_float_eq(r.fast, 10, 1.0, "fast %f", r.fast);
    cr_assert_not(pool_rate_burst(&r));
    cr_assert_float_eq(pool_rate_level(&r), r.slow, 1e-9);
    cr_assert_lt(r.var, 0.5, "evenly spaced claims vary less than Poisson: %f", r.var);
}

Test(estimate, burst_is_seen_within_a_second_and_rates_decay)
{
    struct pool_rate_est r;
    pool_rate_init(&r, 1.0, 60.0);
    uint64_t now = 1 * SEC;
    feed(&r, &now, 2, 300);
    feed(&r, &now, 40, 1.0);
    pool_rate_sync(&r, now);
    cr_assert(pool_rate_burst(&r), "fast %f slow %f", r.fast, r.slow);
    cr_assert_gt(r.fast, 20);
    cr_assert_gt(pool_rate_slope(&r), 0);
    /* Silence: everything decays, the burst is over. */
    pool_rate_sync(&r, now + 600 * SEC);
    cr_assert_lt(r.fast, 0.01);
    cr_assert_lt(r.slow, 0.5);
    cr_assert_not(pool_rate_burst(&r));
}

Test(estimate, lead_quantiles_follow_the_samples)
{
    struct pool_lead_est l;
    pool_lead_init(&l, 5.0);
    cr_assert_float_eq(pool_lead_quantile(&l, 0.5), 5.0, 0.7, "prior");
    cr_assert_eq(l.samples, 0);
    for (int i = 0; i < 1000; i++)
        pool_lead_add(&l, i % 10 == 9 ? 20.0 : 2.0); /* 90% at 2 s, 10% at 20 s */
    cr_assert_eq(l.samples, 1000);
    cr_assert_float_eq(pool_lead_quantile(&l, 0.5), 2.0, 0.25);
    cr_assert_float_eq(pool_lead_quantile(&l, 0.99), 20.0, 2.5);
    cr_assert_float_eq(pool_lead_mean(&l), 0.9 * 2 + 0.1 * 20, 0.4);
    /* The window moves: after 1000 samples at 8 s the old ones are gone. */
    for (int i = 0; i < 1000; i++)
        pool_lead_add(&l, 8.0);
    cr_assert_float_eq(pool_lead_quantile(&l, 0.5), 8.0, 1.0);
    cr_assert_float_eq(pool_lead_quantile(&l, 0.99), 8.0, 1.0);
}

Test(estimate, lead_extremes_land_in_the_end_buckets)
{
    struct pool_lead_est l;
    pool_lead_init(&l, 1.0);
    for (int i = 0; i < 500; i++)
        pool_lead_add(&l, i % 2 ? 0.0 : 1e6);
    cr_assert_lt(pool_lead_quantile(&l, 0.01), 0.02);
    cr_assert_gt(pool_lead_quantile(&l, 0.99), 600);
    cr_assert(isfinite(pool_lead_mean(&l)));
}
