/*
 * pool_estimate: the statistics behind predictive sizing, as plain functions
 * on plain structs (no pool records, no clock: every call takes `now`).
 *
 * Arrival rate. Three exponentially weighted rates of the claim stream (each
 * claim adds 1/tau, everything decays by exp(-dt/tau)): fast (the short
 * window, ~1 s, sees a burst within about a second), slow (the long window,
 * ~60 s, the rate sizing trusts when nothing unusual happens) and mid (5 x
 * fast: a ramp's slope, a rise too slow for the fast window, and how far the
 * rate strays from the slow one, kept as a variance). Claims are counted
 * into 100 ms buckets and folded in when a bucket closes, so a claim costs
 * an increment and three exp() calls at most every 100 ms. A burst is
 * declared when the fast rate exceeds what Poisson noise around the slow
 * rate explains (three standard deviations of the fast estimator, plus two
 * claims' worth): noise does not flap the pool, a real burst switches sizing
 * to the fast rate.
 *
 * Lead time. Create -> Ready durations go into a histogram of 64
 * logarithmic buckets (10 ms x 2^(i/4), up to ~11 min) whose weights decay
 * by 1/128 per sample, so the distribution follows the last few hundred
 * pods. Before the first sample a prior (the configured hint) stands in with
 * the weight of a few samples.
 *
 * Demand bound. Supply = idle + pods on their way, and every claim orders
 * one refill, so the pods on their way are the claims of the last lead
 * time(s): an M/G/infinity queue. Its occupancy is Poisson with mean
 * rate x E[L] whatever the lead-time distribution (the queue's
 * insensitivity), and a claim finds no idle pod exactly when that occupancy
 * has reached the supply. So the supply that keeps the miss probability at
 * most `miss` is the Poisson quantile of rate x E[L]; the mean is taken from
 * the measured distribution, and on a ramp the caller adds the demand still
 * to come within a tail quantile of L (a refill ordered now may take that
 * long). pool_demand_bound() is that quantile.
 */
#ifndef PREWARM_POOL_ESTIMATE_H
#define PREWARM_POOL_ESTIMATE_H

#include <stdbool.h>
#include <stdint.h>

struct pool_rate_est {
    double fast, mid, slow;    /* claims/s as of `at` */
    double fast_tau, slow_tau; /* seconds */
    uint64_t at;               /* ns */
    uint64_t bucket_end;       /* pending claims fold in here */
    uint32_t pending;          /* claims counted, not yet folded */
    double var;                /* rate variance beyond Poisson noise, (claims/s)^2 */
    uint64_t var_at;
};

void pool_rate_init(struct pool_rate_est *r, double fast_tau_s, double slow_tau_s);
/* Counts one claim at `now`. Returns true when a bucket was folded, i.e. the
 * rates moved (at most once per 100 ms). */
bool pool_rate_arrival(struct pool_rate_est *r, uint64_t now);
/* Folds pending claims and decays the rates to `now`. */
void pool_rate_sync(struct pool_rate_est *r, uint64_t now);
/* After pool_rate_sync(): is the fast rate above what noise explains? */
bool pool_rate_burst(const struct pool_rate_est *r);
/* After pool_rate_sync(): the rate to size for outside a burst: the mid
 * window's when it is above what noise explains (a rise too slow for the
 * fast window), else the slow window's. */
double pool_rate_level(const struct pool_rate_est *r);
/* After pool_rate_sync(): the ramp slope in claims/s per s (>= 0). */
double pool_rate_slope(const struct pool_rate_est *r);

#define POOL_LEAD_BUCKETS 64

struct pool_lead_est {
    double weight[POOL_LEAD_BUCKETS];
    double total;
    uint64_t samples; /* observations, prior excluded */
};

void pool_lead_init(struct pool_lead_est *l, double prior_s);
void pool_lead_add(struct pool_lead_est *l, double seconds);
double pool_lead_quantile(const struct pool_lead_est *l, double q);
double pool_lead_mean(const struct pool_lead_est *l);

/* Smallest s <= cap with P(N >= s) <= miss, N the claims in a lead time:
 * Poisson(mean) when var <= mean, else negative binomial with that mean and
 * variance. cap if none. */
uint32_t pool_demand_bound(double mean, double var, double miss, uint32_t cap);

#endif
