/*
 * pool_estimate.c: arrival-rate windows, the lead-time histogram and the
 * Poisson-mixture demand bound. See pool_estimate.h.
 */
#include "pool_estimate.h"

#include <math.h>
#include <string.h>

#define NS_PER_S_F   1e9
#define BUCKET_NS    100000000ull /* claims fold in every 100 ms */
#define MID_FACTOR   5.0          /* mid window = 5 x fast window */
#define BURST_SIGMAS 3.0
#define GUARD        2.0
#define VAR_FACTOR   1.0 /* rate variance tracked over the slow window */

/* ---- arrival rate ---- */

void pool_rate_init(struct pool_rate_est *r, double fast_tau_s, double slow_tau_s)
{
    memset(r, 0, sizeof(*r));
    r->fast_tau = fast_tau_s;
    r->slow_tau = slow_tau_s;
}

static double decay(double rate, double dt_s, double tau)
{
    return rate * exp(-dt_s / tau);
}

/* Moves the rates to time t (>= r->at) and adds n claims there. */
static void advance(struct pool_rate_est *r, uint64_t t, uint32_t n)
{
    if (t > r->at) {
        double dt = (double)(t - r->at) / NS_PER_S_F;
        r->fast = decay(r->fast, dt, r->fast_tau);
        r->mid = decay(r->mid, dt, r->fast_tau * MID_FACTOR);
        r->slow = decay(r->slow, dt, r->slow_tau);
        r->at = t;
    }
    r->fast += n / r->fast_tau;
    r->mid += n / (r->fast_tau * MID_FACTOR);
    r->slow += n / r->slow_tau;
}

/* Folds the pending bucket at its end (or earlier, if now is earlier). */
static void fold(struct pool_rate_est *r, uint64_t now)
{
    if (r->pending == 0)
        return;
    advance(r, now < r->bucket_end ? now : r->bucket_end, r->pending);
    r->pending = 0;
}

bool pool_rate_arrival(struct pool_rate_est *r, uint64_t now)
{
    bool folded = false;
    if (r->pending > 0 && now >= r->bucket_end) {
        fold(r, now);
        folded = true;
    }
    if (r->pending++ == 0)
        r->bucket_end = now + BUCKET_NS;
    return folded;
}

/* How far the rate strays from the slow window on the mid window's scale,
 * beyond what Poisson noise explains: how far the rate sizing uses may be
 * off. Either direction counts (a rate that just fell can rise as fast);
 * tracked over VAR_FACTOR slow windows. */
static void track_variance(struct pool_rate_est *r)
{
    if (r->at <= r->var_at)
        return;
    double dt = (double)(r->at - r->var_at) / NS_PER_S_F;
    double keep = r->var_at ? exp(-dt / (r->slow_tau * VAR_FACTOR)) : 0.0;
    double d = r->mid - r->slow, noise = r->slow / (2.0 * r->fast_tau * MID_FACTOR);
    r->var = keep * r->var + (1.0 - keep) * fmax(0.0, d * d - noise);
    r->var_at = r->at;
}

void pool_rate_sync(struct pool_rate_est *r, uint64_t now)
{
    fold(r, now);
    advance(r, now, 0);
    track_variance(r);
}

/* Is a window of time constant tau reading `rate` above what Poisson noise
 * around the slow rate explains? An EWMA of Poisson(slow) arrivals has
 * standard deviation sqrt(slow / (2 tau)); two claims more guard the quiet
 * hours, where one claim alone looks like a large rate. */
static bool above_noise(const struct pool_rate_est *r, double rate, double tau)
{
    return rate > r->slow + BURST_SIGMAS * sqrt(r->slow / (2.0 * tau)) + GUARD / tau;
}

bool pool_rate_burst(const struct pool_rate_est *r)
{
    return above_noise(r, r->fast, r->fast_tau);
}

double pool_rate_level(const struct pool_rate_est *r)
{
    if (above_noise(r, r->mid, r->fast_tau * MID_FACTOR) && r->mid > r->slow)
        return r->mid;
    return r->slow;
}

double pool_rate_slope(const struct pool_rate_est *r)
{
    /* On a ramp of slope b an EWMA of time constant tau lags by b x tau, so
     * the gap between two windows is b x (tau_mid - tau_fast). */
    double gap = r->fast - r->mid;
    return gap > 0 ? gap / (r->fast_tau * (MID_FACTOR - 1.0)) : 0.0;
}

/* ---- lead time ---- */

#define LEAD_MIN_S   0.01
#define LEAD_PER_OCT 4.0 /* buckets per doubling */
#define LEAD_DECAY   (1.0 - 1.0 / 128.0)
#define LEAD_PRIOR_W 3.0

static int lead_bucket(double seconds)
{
    if (!(seconds > LEAD_MIN_S))
        return 0;
    double i = floor(LEAD_PER_OCT * log2(seconds / LEAD_MIN_S));
    return i >= POOL_LEAD_BUCKETS - 1 ? POOL_LEAD_BUCKETS - 1 : (int)i;
}

static double bucket_low(int i)
{
    return LEAD_MIN_S * exp2(i / LEAD_PER_OCT);
}

void pool_lead_init(struct pool_lead_est *l, double prior_s)
{
    memset(l, 0, sizeof(*l));
    l->weight[lead_bucket(prior_s)] = LEAD_PRIOR_W;
    l->total = LEAD_PRIOR_W;
}

void pool_lead_add(struct pool_lead_est *l, double seconds)
{
    for (int i = 0; i < POOL_LEAD_BUCKETS; i++)
        l->weight[i] *= LEAD_DECAY;
    l->weight[lead_bucket(seconds)] += 1.0;
    l->total = l->total * LEAD_DECAY + 1.0;
    l->samples++;
}

/* Quantiles for ascending qs[0..n-1] in one pass; log-linear inside a
 * bucket. */
static void lead_quantiles(const struct pool_lead_est *l, const double *qs, int n, double *out)
{
    double below = 0;
    int k = 0;
    for (int i = 0; i < POOL_LEAD_BUCKETS && k < n; i++) {
        double w = l->weight[i];
        while (k < n && below + w >= qs[k] * l->total && w > 0) {
            double frac = (qs[k] * l->total - below) / w;
            out[k++] = bucket_low(i) * exp2(frac / LEAD_PER_OCT);
        }
        below += w;
    }
    for (; k < n; k++)
        out[k] = bucket_low(POOL_LEAD_BUCKETS);
}

double pool_lead_quantile(const struct pool_lead_est *l, double q)
{
    double out;
    lead_quantiles(l, &q, 1, &out);
    return out;
}

double pool_lead_mean(const struct pool_lead_est *l)
{
    double sum = 0;
    for (int i = 0; i < POOL_LEAD_BUCKETS; i++)
        sum += l->weight[i] * bucket_low(i) * exp2(0.5 / LEAD_PER_OCT); /* bucket's middle */
    return l->total > 0 ? sum / l->total : 0;
}

/* ---- demand bound ---- */

/* ln Gamma(x), x > 0: Stirling's series after shifting x above 8. */
static double ln_gamma(double x)
{
    double shift = 0;
    for (; x < 8; x++)
        shift -= log(x);
    double x2 = x * x;
    return shift + (x - 0.5) * log(x) - x + 0.5 * log(2 * M_PI) + 1 / (12 * x) -
           1 / (360 * x * x2) + 1 / (1260 * x * x2 * x2);
}

/* The claim count in a lead time, walked upwards from `start` (below which
 * less than 1e-20 of the mass lies): Poisson, or negative binomial when the
 * rate itself varies (variance above the mean). */
struct count_walk {
    double mean;
    double r, q;  /* negative binomial: size r, failure probability q; r = 0: Poisson */
    double start; /* first k whose pmf is tracked */
    double pmf;   /* P(N = k) for the current k */
    double cdf;   /* P(N < k) */
};

static void walk_init(struct count_walk *w, double mean, double var)
{
    *w = (struct count_walk){.mean = mean};
    w->start = fmax(0.0, floor(mean - 10.0 * sqrt(var) - 5.0));
    double k = w->start, lnp;
    if (mean <= 0) {
        w->pmf = 1.0;
        return;
    }
    if (var > mean * (1 + 1e-6)) {
        w->r = mean * mean / (var - mean);
        w->q = mean / (w->r + mean);
        lnp = ln_gamma(k + w->r) - ln_gamma(w->r) - ln_gamma(k + 1) + w->r * log1p(-w->q) +
              k * log(w->q);
    } else {
        lnp = -mean + k * log(mean) - ln_gamma(k + 1);
    }
    w->pmf = exp(lnp);
}

/* P(N >= k) for this k, then steps to k + 1. */
static double walk_tail(struct count_walk *w, double k)
{
    if (k < w->start)
        return 1.0;
    double tail = 1.0 - w->cdf;
    w->cdf += w->pmf;
    w->pmf *= w->r > 0 ? (k + w->r) * w->q / (k + 1.0) : w->mean / (k + 1.0);
    return tail < 0 ? 0 : tail;
}

uint32_t pool_demand_bound(double mean, double var, double miss, uint32_t cap)
{
    struct count_walk walk;
    mean = fmax(0.0, mean);
    walk_init(&walk, mean, fmax(var, mean));
    for (uint32_t s = 0; s < cap; s++)
        if (walk_tail(&walk, (double)s) <= miss)
            return s;
    return cap;
}
