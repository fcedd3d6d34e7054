/*
 * pool_sizing.c: the sizing policies (fixed, percent, schedule, predictive),
 * their evaluation timer and the read access to their estimates. See
 * "Sizing" in pool.h and pool_sizing.h.
 */
#include "pool_internal.h"

#include <math.h>
#include <string.h>

#define DEFAULT_MISS       POOL_SIZING_DEFAULT_MISS
#define DEFAULT_SHORT_MS   POOL_SIZING_DEFAULT_SHORT_MS
#define DEFAULT_LONG_S     POOL_SIZING_DEFAULT_LONG_S
#define DEFAULT_LEAD_MS    POOL_SIZING_DEFAULT_LEAD_MS
#define DEFAULT_DOWN_DELAY POOL_SIZING_DEFAULT_DOWN_DELAY
#define CLAIM_EVAL_SPACING 100000000ull /* a burst re-evaluates at most every 100 ms */
#define SECONDS_PER_DAY    86400

const char *pool_sizing_policy_str(enum pool_sizing_policy policy)
{
    static const char *const names[POOL_SIZING_POLICY_COUNT] = {"fixed", "percent", "schedule",
                                                                "predictive"};
    return (unsigned)policy < POOL_SIZING_POLICY_COUNT ? names[policy] : "unknown";
}

static double miss_of(const struct pool_sizing_config *c)
{
    return c->target_miss > 0 ? c->target_miss : DEFAULT_MISS;
}

static double short_s(const struct pool_sizing_config *c)
{
    return (c->short_window_ms ? c->short_window_ms : DEFAULT_SHORT_MS) / 1000.0;
}

static double long_s(const struct pool_sizing_config *c)
{
    return c->long_window_s ? c->long_window_s : DEFAULT_LONG_S;
}

static uint64_t down_delay_ns(const struct pool_sizing_config *c)
{
    return (uint64_t)(c->scale_down_delay_s ? c->scale_down_delay_s : DEFAULT_DOWN_DELAY) *
           NS_PER_S;
}

static bool check_schedule(const struct pool_config *config)
{
    const struct pool_sizing_config *c = &config->sizing;
    if (c->nschedule < 1 || c->nschedule > POOL_SCHEDULE_MAX)
        return false;
    for (uint32_t i = 0; i < c->nschedule; i++) {
        if (c->schedule[i].minute >= 24 * 60 || c->schedule[i].min_idle > config->max_idle)
            return false;
        if (i > 0 && c->schedule[i].minute <= c->schedule[i - 1].minute)
            return false;
    }
    return true;
}

bool pool__sizing_check_config(const struct pool_config *config)
{
    const struct pool_sizing_config *c = &config->sizing;
    switch (c->policy) {
    case POOL_SIZING_FIXED:
        return true;
    case POOL_SIZING_PERCENT:
        return c->percent >= 1 && c->percent <= 1000;
    case POOL_SIZING_SCHEDULE:
        return check_schedule(config);
    case POOL_SIZING_PREDICTIVE:
        return c->target_miss >= 0 && c->target_miss < 0.5 && short_s(c) < long_s(c) &&
               c->short_window_ms <= 600000 && c->long_window_s <= 86400 &&
               c->lead_time_hint_ms <= 3600000 && c->scale_down_delay_s <= 86400;
    }
    return false;
}

/* ---- policies ---- */

static uint32_t percent_target(const struct pool *pool)
{
    uint64_t bound = pool->counts[POOL_POD_BOUND];
    uint64_t t = (bound * pool->config.sizing.percent + 99) / 100;
    return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static uint32_t schedule_target(const struct pool *pool, uint64_t now)
{
    const struct pool_sizing_config *c = &pool->config.sizing;
    /* Look one lead time (p90) ahead: the pods must be Ready when it starts. */
    double ahead = pool_lead_quantile(&pool->sizer.lead, 0.9);
    int64_t wall_s = (int64_t)(now / NS_PER_S) + pool->set->wall_offset / (int64_t)NS_PER_S;
    int64_t tod = (wall_s + (int64_t)ceil(ahead)) % SECONDS_PER_DAY;
    if (tod < 0)
        tod += SECONDS_PER_DAY;
    uint32_t t = c->schedule[c->nschedule - 1].min_idle; /* wraps from yesterday */
    for (uint32_t i = 0; i < c->nschedule && (int64_t)c->schedule[i].minute * 60 <= tod; i++)
        t = c->schedule[i].min_idle;
    return t;
}

static uint32_t predictive_target(struct pool *pool)
{
    struct pool_sizer *sz = &pool->sizer;
    const struct pool_rate_est *r = &sz->rate;
    double lead = pool_lead_mean(&sz->lead);
    sz->burst = pool_rate_burst(r);
    double rate = pool_rate_level(r);
    if (sz->burst) {
        /* The fast window lags a ramp by slope x tau: add that back, and the
         * rise still to come before a refill ordered now is Ready (p90). */
        double slope = pool_rate_slope(r);
        double ahead = pool_lead_quantile(&sz->lead, 0.9) - lead / 2;
        rate = fmax(rate, r->fast + slope * (r->fast_tau + fmax(ahead, 0.0)));
    }
    sz->rate_used = rate;
    /* The rate's own variance adds lead^2 x var to the count's. */
    double mean = rate * lead;
    return pool_demand_bound(mean, mean + lead * lead * r->var, miss_of(&pool->config.sizing),
                             pool->config.max_idle);
}

static uint32_t clamp_target(const struct pool *pool, uint32_t t)
{
    if (t < pool->config.min_idle)
        return pool->config.min_idle;
    return t > pool->config.max_idle ? pool->config.max_idle : t;
}

static void evaluate(struct pool *pool, uint64_t now)
{
    struct pool_sizer *sz = &pool->sizer;
    pool_rate_sync(&sz->rate, now);
    uint32_t t = pool->config.min_idle;
    switch (pool->config.sizing.policy) {
    case POOL_SIZING_FIXED:
        break;
    case POOL_SIZING_PERCENT:
        t = percent_target(pool);
        break;
    case POOL_SIZING_SCHEDULE:
        t = schedule_target(pool, now);
        break;
    case POOL_SIZING_PREDICTIVE:
        t = predictive_target(pool);
        break;
    }
    sz->target = clamp_target(pool, t);
    sz->evaluated_at = now;
    /* Hysteresis: keep the highest target of the current and the previous
     * period, so a pod wanted within the last scale_down_delay_s stays. */
    uint64_t delay = down_delay_ns(&pool->config.sizing);
    if (now - sz->period_at >= delay) {
        sz->hold_prev = now - sz->period_at >= 2 * delay ? 0 : sz->hold_cur;
        sz->hold_cur = 0;
        sz->period_at = now;
    }
    if (sz->target > sz->hold_cur)
        sz->hold_cur = sz->target;
}

static bool dynamic(const struct pool *pool)
{
    return pool->config.sizing.policy != POOL_SIZING_FIXED;
}

/* ---- hooks called by the rest of the core ---- */

void pool__sizing_init(struct pool *pool)
{
    struct pool_sizer *sz = &pool->sizer;
    const struct pool_sizing_config *c = &pool->config.sizing;
    pool_rate_init(&sz->rate, short_s(c), long_s(c));
    pool_lead_init(&sz->lead,
                   (c->lead_time_hint_ms ? c->lead_time_hint_ms : DEFAULT_LEAD_MS) / 1000.0);
    sz->timer = (struct pool_timer){.pos = POOL_TIMER_IDLE, .kind = TIMER_SIZING};
    sz->target = sz->hold_cur = pool->config.min_idle;
    if (dynamic(pool))
        pool_heap_set(&pool->set->timers, &sz->timer, 0); /* first tick evaluates */
}

void pool__sizing_reconfigure(struct pool *pool, const struct pool_config *old, uint64_t now)
{
    struct pool_sizer *sz = &pool->sizer;
    const struct pool_sizing_config *c = &pool->config.sizing;
    if (short_s(c) != short_s(&old->sizing) || long_s(c) != long_s(&old->sizing)) {
        sz->rate.fast_tau = short_s(c);
        sz->rate.slow_tau = long_s(c);
    }
    sz->hold_prev = sz->hold_cur = 0; /* a new configuration takes effect at once */
    sz->period_at = now;
    evaluate(pool, now);
    if (dynamic(pool))
        pool_heap_set(&pool->set->timers, &sz->timer, now + POOL_SIZING_PERIOD_NS);
    else
        pool_heap_remove(&pool->set->timers, &sz->timer);
}

uint32_t pool__sizing_target(const struct pool *pool)
{
    switch (pool->config.sizing.policy) {
    case POOL_SIZING_FIXED:
        return pool->config.min_idle;
    case POOL_SIZING_PERCENT:
        return clamp_target(pool, percent_target(pool)); /* follows every bind */
    default:
        return pool->sizer.target;
    }
}

uint32_t pool__sizing_keep(const struct pool *pool)
{
    if (!dynamic(pool))
        return UINT32_MAX;
    const struct pool_sizer *sz = &pool->sizer;
    uint32_t t = pool__sizing_target(pool);
    t = sz->hold_cur > t ? sz->hold_cur : t;
    return sz->hold_prev > t ? sz->hold_prev : t;
}

uint32_t pool__sizing_cap(const struct pool *pool)
{
    uint32_t cap = pool->config.max_total, node = pool->sizer.capacity;
    return node && node < cap ? node : cap;
}

void pool__sizing_arrival(struct pool *pool, uint64_t now)
{
    struct pool_sizer *sz = &pool->sizer;
    if (!pool_rate_arrival(&sz->rate, now) || pool->config.sizing.policy != POOL_SIZING_PREDICTIVE)
        return;
    /* A burst cannot wait for the timer; everything else can. */
    if (now - sz->evaluated_at >= CLAIM_EVAL_SPACING && pool_rate_burst(&sz->rate))
        evaluate(pool, now);
}

const double pool_lead_bounds_s[POOL_LEAD_HIST_BUCKETS - 1] = {0.05, 0.1, 0.25, 0.5, 1,   2.5, 5,
                                                               10,   20,  30,   60,  120, 300, 600};

void pool__sizing_ready(struct pool *pool, uint64_t created_at, uint64_t now)
{
    struct pool_sizer *sz = &pool->sizer;
    if (!created_at || now < created_at)
        return;
    double s = (double)(now - created_at) / (double)NS_PER_S;
    pool_lead_add(&sz->lead, s);
    int i = 0;
    while (i < POOL_LEAD_HIST_BUCKETS - 1 && s > pool_lead_bounds_s[i])
        i++;
    sz->lead_hist[i]++;
    sz->lead_sum_s += s;
}

void pool__sizing_timer(struct pool *pool, uint64_t now)
{
    evaluate(pool, now);
    pool_heap_set(&pool->set->timers, &pool->sizer.timer, now + POOL_SIZING_PERIOD_NS);
    pool__settle(pool, now);
}

/* ---- public ---- */

void pool_set_wall_clock(struct pool_set *set, int64_t offset_ns)
{
    set->wall_offset = offset_ns;
}

void pool_set_capacity(struct pool *pool, uint32_t pods, uint64_t now)
{
    pool->sizer.capacity = pods;
    pool__settle(pool, now);
}

void pool_get_sizing(const struct pool *pool, uint64_t now, struct pool_sizing_info *out)
{
    const struct pool_sizer *sz = &pool->sizer;
    struct pool_rate_est r = sz->rate;
    if (now >= r.at)
        pool_rate_sync(&r, now);
    *out = (struct pool_sizing_info){
        .policy = pool->config.sizing.policy,
        .rate_short = r.fast,
        .rate_long = r.slow,
        .rate = pool->config.sizing.policy == POOL_SIZING_PREDICTIVE ? sz->rate_used : r.slow,
        .burst = pool_rate_burst(&r),
        .lead_p50_s = pool_lead_quantile(&sz->lead, 0.5),
        .lead_p90_s = pool_lead_quantile(&sz->lead, 0.9),
        .lead_p99_s = pool_lead_quantile(&sz->lead, 0.99),
        .lead_samples = sz->lead.samples,
        .target = pool__sizing_target(pool),
        .keep = pool__sizing_keep(pool),
        .capacity = sz->capacity,
        .lead_sum_s = sz->lead_sum_s,
    };
    memcpy(out->lead_buckets, sz->lead_hist, sizeof(out->lead_buckets));
}
