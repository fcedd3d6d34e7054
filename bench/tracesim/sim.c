/*
 * sim.c: the virtual-time replay of a trace against the pool core. See
 * sim.h.
 */
#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NS           1000000000.0
#define MAX_WAIT_S   600
#define IDLE_HEADWAY 4000 /* max_idle when the caller sets none */
#define NEVER        UINT64_MAX

enum event_kind { EV_READY = 1, EV_RELEASE };

struct event {
    uint64_t at;
    enum event_kind kind;
    uint32_t pod;
    char session[POOL_SESSION_ID_LEN + 1];
};

struct sim {
    const struct trace *trace;
    struct pool_set *set;
    struct pool *pool;
    struct event *heap; /* min-heap on at */
    size_t nheap, capheap;
    uint8_t *pod_gone; /* by pod number: deleted before it was Ready */
    uint32_t npods, cappods;
    struct trace_rng rng;
    double lead_mu, lead_sigma;
    uint64_t now, first, last;
    double warmup_s;
    double *waits; /* of the claims that missed */
    size_t nwaits;
    struct sim_result *res;
};

static uint64_t ns_of(double seconds)
{
    return (uint64_t)(seconds * NS) + (uint64_t)NS; /* virtual time starts at 1 s */
}

/* ---- event heap ---- */

static void heap_swap(struct event *a, struct event *b)
{
    struct event t = *a;
    *a = *b;
    *b = t;
}

static int heap_push(struct sim *s, const struct event *e)
{
    if (s->nheap == s->capheap) {
        size_t cap = s->capheap ? s->capheap * 2 : 1024;
        struct event *h = realloc(s->heap, cap * sizeof(*h));
        if (!h)
            return -1;
        s->heap = h;
        s->capheap = cap;
    }
    size_t i = s->nheap++;
    s->heap[i] = *e;
    while (i > 0 && s->heap[(i - 1) / 2].at > s->heap[i].at) {
        heap_swap(&s->heap[(i - 1) / 2], &s->heap[i]);
        i = (i - 1) / 2;
    }
    return 0;
}

static struct event heap_pop(struct sim *s)
{
    struct event top = s->heap[0];
    s->heap[0] = s->heap[--s->nheap];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->nheap && s->heap[l].at < s->heap[m].at)
            m = l;
        if (r < s->nheap && s->heap[r].at < s->heap[m].at)
            m = r;
        if (m == i)
            break;
        heap_swap(&s->heap[i], &s->heap[m]);
        i = m;
    }
    return top;
}

/* ---- the simulated provider ---- */

static int new_pod(struct sim *s)
{
    if (s->npods == s->cappods) {
        uint32_t cap = s->cappods ? s->cappods * 2 : 4096;
        uint8_t *g = realloc(s->pod_gone, cap);
        if (!g)
            return -1;
        s->pod_gone = g;
        s->cappods = cap;
    }
    uint32_t id = s->npods++;
    s->pod_gone[id] = 0;
    char name[16];
    snprintf(name, sizeof(name), "p%u", id);
    struct pool_pod_obs obs = {.name = name, .address = "10.0.0.1:8080", .node = "sim"};
    if (pool_observe(s->pool, POOL_OBS_STARTING, &obs, s->now) != POOL_OK)
        return -1;
    double lead = exp(s->lead_mu + s->lead_sigma * trace_rng_normal(&s->rng));
    struct event e = {.at = s->now + (uint64_t)(lead * NS), .kind = EV_READY, .pod = id};
    return heap_push(s, &e);
}

static void delete_pod(struct sim *s, const char *name)
{
    uint32_t id = (uint32_t)strtoul(name + 1, NULL, 10);
    if (id < s->npods)
        s->pod_gone[id] = 1;
    struct pool_pod_obs obs = {.name = name};
    pool_observe(s->pool, POOL_OBS_GONE, &obs, s->now);
}

/* Claims that arrive during the warm-up replay but do not count. */
static bool counted(const struct sim *s, const struct trace_claim *c)
{
    return c->arrival_s >= s->warmup_s;
}

static int record_wait(struct sim *s, const struct trace_claim *c, double wait)
{
    if (!counted(s, c))
        return 0;
    if (wait >= MAX_WAIT_S)
        s->res->timed_out++;
    s->waits[s->nwaits++] = wait;
    if (wait > s->res->max_wait_s)
        s->res->max_wait_s = wait;
    return 0;
}

static int schedule_release(struct sim *s, const char *session, double duration)
{
    struct event e = {.at = s->now + (uint64_t)(duration * NS), .kind = EV_RELEASE};
    memcpy(e.session, session, sizeof(e.session));
    return heap_push(s, &e);
}

static int handle(struct sim *s, const struct pool_action *a)
{
    const struct trace_claim *c;
    switch (a->kind) {
    case POOL_ACT_CREATE_PODS:
        for (uint32_t i = 0; i < a->count; i++)
            if (new_pod(s) != 0)
                return -1;
        return 0;
    case POOL_ACT_DELETE_POD:
        delete_pod(s, a->pod);
        return 0;
    case POOL_ACT_WAITER_BOUND:
        c = &s->trace->claims[(uintptr_t)a->waiter_data - 1];
        record_wait(s, c, (double)(s->now - ns_of(c->arrival_s)) / NS);
        return schedule_release(s, a->session.id, c->duration_s);
    case POOL_ACT_WAITER_TIMED_OUT:
        c = &s->trace->claims[(uintptr_t)a->waiter_data - 1];
        return record_wait(s, c, MAX_WAIT_S);
    default:
        return 0;
    }
}

static int drain(struct sim *s)
{
    struct pool_action a;
    while (pool_set_next_action(s->set, &a))
        if (handle(s, &a) != 0)
            return -1;
    return 0;
}

/* ---- events ---- */

static int claim(struct sim *s, size_t i)
{
    const struct trace_claim *c = &s->trace->claims[i];
    struct pool_claim_request req = {
        .wait_until = s->now + (uint64_t)MAX_WAIT_S * (uint64_t)NS,
        .waiter_data = (void *)(uintptr_t)(i + 1),
    };
    struct pool_claim_result r;
    enum pool_status st = pool_claim(s->pool, &req, s->now, &r);
    s->res->claims += counted(s, c);
    if (st != POOL_OK) /* waiters full: as good as timed out */
        return record_wait(s, c, MAX_WAIT_S);
    if (r.outcome != POOL_CLAIM_BOUND)
        return 0; /* queued: answered by WAITER_BOUND or WAITER_TIMED_OUT */ /* queued: answered by
                                                                                WAITER_BOUND or
                                                                                WAITER_TIMED_OUT */
    s->res->hits += counted(s, c);
    return schedule_release(s, r.session.id, c->duration_s);
}

static void fire(struct sim *s, const struct event *e)
{
    if (e->kind == EV_RELEASE) {
        pool_set_release(s->set, e->session, s->now);
        return;
    }
    if (s->pod_gone[e->pod])
        return;
    char name[16];
    snprintf(name, sizeof(name), "p%u", e->pod);
    struct pool_pod_obs obs = {.name = name};
    pool_observe(s->pool, POOL_OBS_READY, &obs, s->now);
}

/* Idle pods integrated over [first, last]. */
static void account(struct sim *s, uint64_t to)
{
    uint64_t a = s->now > s->first ? s->now : s->first, b = to < s->last ? to : s->last;
    struct pool_counts c;
    pool_get_counts(s->pool, &c);
    if (b > a)
        s->res->idle_pod_s += c.by_state[POOL_POD_READY] * ((double)(b - a) / NS);
    if (c.live > s->res->peak_pods)
        s->res->peak_pods = c.live;
}

/* One step: the earliest of tick, provider event and arrival. Returns 1 when
 * the replay is over, -1 on failure. */
static int step(struct sim *s, size_t *next)
{
    const struct trace *t = s->trace;
    uint64_t ta = *next < t->n ? ns_of(t->claims[*next].arrival_s) : NEVER;
    uint64_t te = s->nheap ? s->heap[0].at : NEVER;
    uint64_t td = pool_set_next_deadline(s->set);
    uint64_t at = ta < te ? ta : te;
    at = td < at ? td : at;
    at = at < s->now ? s->now : at;
    struct pool_counts c;
    pool_get_counts(s->pool, &c);
    if (*next == t->n && (c.waiters == 0 || at > s->last + (uint64_t)(MAX_WAIT_S + 60) * NS))
        return 1;
    account(s, at);
    s->now = at;
    int rc = 0;
    if (td <= at) {
        pool_set_tick(s->set, at);
    } else if (te <= at) {
        struct event e = heap_pop(s);
        fire(s, &e);
    } else {
        rc = claim(s, (*next)++);
    }
    return rc != 0 || drain(s) != 0 ? -1 : 0;
}

/* ---- setup ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static uint32_t peak_concurrency(const struct trace *t)
{
    double *ends = malloc(t->n * sizeof(*ends));
    if (!ends)
        return UINT32_MAX;
    for (size_t i = 0; i < t->n; i++)
        ends[i] = t->claims[i].arrival_s + t->claims[i].duration_s;
    uint32_t live = 0, peak = 0;
    size_t e = 0;
    qsort(ends, t->n, sizeof(*ends), cmp_double);
    for (size_t i = 0; i < t->n; i++) {
        for (; e < t->n && ends[e] <= t->claims[i].arrival_s; e++)
            live--;
        if (++live > peak)
            peak = live;
    }
    free(ends);
    return peak;
}

static enum pool_status setup(struct sim *s, const struct sim_params *p)
{
    uint8_t seed[POOL_SEED_LEN] = {1};
    uint32_t max_idle = p->max_idle ? p->max_idle : IDLE_HEADWAY;
    uint32_t peak = peak_concurrency(s->trace);
    if (peak > (1u << 22))
        return POOL_E_INVALID;
    struct pool_config cfg = {
        .name = "sim",
        .min_idle = p->min_idle,
        .max_idle = max_idle,
        /* Sessions that waited end later than the trace says: room for them. */
        .max_total = peak + peak / 4 + max_idle + 64,
        .max_waiters = 4096,
        .default_ttl_s = 30 * 86400,
        .max_ttl_s = 30 * 86400,
        .start_timeout_s = 3600,
        .sizing = p->sizing,
    };
    enum pool_status st = pool_set_new(seed, 4096, &s->set);
    if (st != POOL_OK)
        return st;
    pool_set_wall_clock(s->set, -(int64_t)ns_of(0)); /* trace second 0 is 00:00 UTC */
    st = pool_set_add(s->set, &cfg, &s->pool);
    return st;
}

static void finish(struct sim *s)
{
    struct sim_result *r = s->res;
    struct pool_counters c;
    pool_get_counters(s->pool, &c);
    r->pods_created = c.pods_requested;
    r->hit_ratio = r->claims ? (double)r->hits / (double)r->claims : 1.0;
    r->idle_per_claim_s = r->claims ? r->idle_pod_s / (double)r->claims : 0;
    qsort(s->waits, s->nwaits, sizeof(*s->waits), cmp_double);
    uint64_t rank = (uint64_t)ceil(0.99 * (double)r->claims); /* 1-based */
    r->p99_wait_s = rank > r->hits && s->nwaits ? s->waits[rank - r->hits - 1] : 0;
}

int sim_run(const struct trace *t, const struct sim_params *p, struct sim_result *out, char *err,
            size_t errlen)
{
    struct sim s = {.trace = t, .res = out};
    *out = (struct sim_result){0};
    int rc = -1;
    s.waits = malloc((t->n + 1) * sizeof(*s.waits));
    enum pool_status st = s.waits ? setup(&s, p) : POOL_E_NOMEM;
    if (st != POOL_OK) {
        snprintf(err, errlen, "pool set-up: %s", pool_status_str(st));
        goto done;
    }
    trace_rng_seed(&s.rng, p->seed);
    s.lead_mu = log(p->lead_median_s);
    s.lead_sigma = log(p->lead_p99_s / p->lead_median_s) / 2.3263;
    s.warmup_s = p->warmup_s;
    s.first = ns_of(t->claims[0].arrival_s > p->warmup_s ? t->claims[0].arrival_s : p->warmup_s);
    s.last = ns_of(t->claims[t->n - 1].arrival_s);
    s.now = ns_of(0);
    for (size_t next = 0; (rc = step(&s, &next)) == 0;)
        ;
    if (rc < 0)
        snprintf(err, errlen, "replay failed at t=%.3f s (out of memory or pool refused)",
                 (double)s.now / NS - 1);
    else
        finish(&s);
    rc = rc < 0 ? -1 : 0;
done:
    pool_set_free(s.set);
    free(s.heap);
    free(s.pod_gone);
    free(s.waits);
    return rc;
}
