/*
 * pool_bench: latency of the pool core's claim path on a pool of 10,000
 * Ready pods, the way the daemon drives it (one thread, actions drained
 * after every call, the provider feeding pods back Ready after a release).
 *
 * Each operation is timed with two clock_gettime(CLOCK_MONOTONIC) reads; the
 * median cost of an empty pair of reads is measured first and subtracted
 * from every sample (both raw and corrected figures are printed). Draining
 * actions and the provider's feedback are done outside the timed regions and
 * reported separately. Throughput is measured without per-op timers.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pool.h"

#define PODS         10000
#define ROUNDS       20
#define KEYED_ROUNDS 5

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

struct bench {
    struct pool_set *set;
    struct pool *pool;
    unsigned next_name;
    uint64_t fake_now; /* the pool's clock: advances 1 us per op */
    char ids[PODS][POOL_SESSION_ID_LEN + 1];
};

static void die(const char *what, enum pool_status st)
{
    fprintf(stderr, "pool_bench: %s: %s\n", what, pool_status_str(st));
    exit(1);
}

/* The provider: confirms deletes, starts and readies requested pods. */
static void provide(struct bench *b)
{
    struct pool_action a;
    unsigned create = 0;
    char gone[64][POOL_POD_NAME_MAX + 1];
    unsigned ngone = 0;
    for (;;) {
        while (pool_set_next_action(b->set, &a)) {
            if (a.kind == POOL_ACT_CREATE_PODS)
                create += a.count;
            else if (a.kind == POOL_ACT_DELETE_POD && ngone < 64)
                memcpy(gone[ngone++], a.pod, sizeof(gone[0]));
        }
        if (create == 0 && ngone == 0)
            return;
        for (unsigned i = 0; i < ngone; i++) {
            struct pool_pod_obs obs = {.name = gone[i]};
            pool_observe(b->pool, POOL_OBS_GONE, &obs, b->fake_now);
        }
        ngone = 0;
        for (; create > 0; create--) {
            char name[32], addr[32];
            snprintf(name, sizeof(name), "pod-%06u", b->next_name);
            snprintf(addr, sizeof(addr), "10.1.%u.%u:8080", (b->next_name >> 8) & 255,
                     b->next_name & 255);
            b->next_name++;
            struct pool_pod_obs obs = {.name = name, .address = addr, .node = "node-1"};
            enum pool_status st = pool_observe(b->pool, POOL_OBS_READY, &obs, b->fake_now);
            if (st != POOL_OK)
                die("observe", st);
        }
    }
}

static void drain(struct bench *b)
{
    struct pool_action a;
    while (pool_set_next_action(b->set, &a))
        ;
}

static void setup(struct bench *b)
{
    uint8_t seed[POOL_SEED_LEN];
    for (int i = 0; i < POOL_SEED_LEN; i++)
        seed[i] = (uint8_t)(now_ns() >> (i % 8));
    enum pool_status st = pool_set_new(seed, 1024, &b->set);
    if (st != POOL_OK)
        die("pool_set_new", st);
    struct pool_config cfg = {
        .name = "bench",
        .min_idle = PODS,
        .max_idle = PODS,
        .max_total = PODS,
        .max_waiters = 0,
        .default_ttl_s = 3600,
        .max_ttl_s = 3600,
        .idle_timeout_s = 600,
        .start_timeout_s = 60,
    };
    if ((st = pool_set_add(b->set, &cfg, &b->pool)) != POOL_OK)
        die("pool_set_add", st);
    b->fake_now = 1000000000ull;
    pool_set_tick(b->set, b->fake_now);
    provide(b);
    struct pool_counts c;
    pool_get_counts(b->pool, &c);
    if (c.by_state[POOL_POD_READY] != PODS) {
        fprintf(stderr, "pool_bench: %u ready, want %u\n", c.by_state[POOL_POD_READY], PODS);
        exit(1);
    }
}

static uint64_t timer_overhead(void)
{
    enum { N = 100001 };
    static uint64_t s[N];
    for (int i = 0; i < N; i++) {
        uint64_t t0 = now_ns();
        uint64_t t1 = now_ns();
        s[i] = t1 - t0;
    }
    qsort(s, N, sizeof(s[0]), cmp_u64);
    return s[N / 2];
}

struct series {
    const char *name;
    uint64_t *ns;
    size_t n;
};

static void report(const struct series *s, uint64_t overhead)
{
    qsort(s->ns, s->n, sizeof(s->ns[0]), cmp_u64);
    uint64_t p50 = s->ns[s->n / 2], p99 = s->ns[s->n * 99 / 100];
    uint64_t p999 = s->ns[s->n * 999 / 1000], max = s->ns[s->n - 1];
#define SUB(x) ((x) > overhead ? (x)-overhead : 0)
    printf("%-22s %9zu %8lu %8lu %8lu %9lu   %8lu %8lu %8lu\n", s->name, s->n,
           (unsigned long)SUB(p50), (unsigned long)SUB(p99), (unsigned long)SUB(p999),
           (unsigned long)SUB(max), (unsigned long)p50, (unsigned long)p99, (unsigned long)p999);
#undef SUB
}

/* keyed: every claim carries a distinct key and request id (two more hash
 * lookups and inserts). */
static void claim_all(struct bench *b, uint64_t *out, bool keyed)
{
    struct pool_claim_request req = {.ttl_seconds = 0};
    struct pool_claim_result r;
    char key[32], rid[32];
    for (unsigned i = 0; i < PODS; i++) {
        if (keyed) {
            snprintf(key, sizeof(key), "user-%u-%u", i, b->next_name);
            snprintf(rid, sizeof(rid), "req-%u-%u", i, b->next_name);
            req.key = key;
            req.request_id = rid;
        }
        b->fake_now += 1000;
        uint64_t t0 = now_ns();
        enum pool_status st = pool_claim(b->pool, &req, b->fake_now, &r);
        uint64_t t1 = now_ns();
        if (st != POOL_OK) {
            struct pool_counts c;
            pool_get_counts(b->pool, &c);
            fprintf(stderr, "claim %u: ready %u creating %u bound %u\n", i,
                    c.by_state[POOL_POD_READY], c.by_state[POOL_POD_CREATING],
                    c.by_state[POOL_POD_BOUND]);
            die("claim", st);
        }
        out[i] = t1 - t0;
        memcpy(b->ids[i], r.session.id, sizeof(b->ids[i]));
        drain(b); /* RECORD_BINDING, CREATE_PODS: untimed */
    }
}

static void release_all(struct bench *b, uint64_t *out)
{
    for (unsigned i = 0; i < PODS; i++) {
        b->fake_now += 1000;
        uint64_t t0 = now_ns();
        enum pool_status st = pool_set_release(b->set, b->ids[i], b->fake_now);
        uint64_t t1 = now_ns();
        if (st != POOL_OK)
            die("release", st);
        out[i] = t1 - t0;
        provide(b); /* DELETE_POD -> GONE, CREATE_PODS -> READY: untimed */
    }
}

static void pairs(struct bench *b, uint64_t *out)
{
    struct pool_claim_request req = {.ttl_seconds = 0};
    struct pool_claim_result r;
    for (unsigned i = 0; i < PODS; i++) {
        b->fake_now += 1000;
        uint64_t t0 = now_ns();
        enum pool_status st = pool_claim(b->pool, &req, b->fake_now, &r);
        if (st == POOL_OK)
            st = pool_set_release(b->set, r.session.id, b->fake_now);
        uint64_t t1 = now_ns();
        if (st != POOL_OK)
            die("pair", st);
        out[i] = t1 - t0;
        provide(b);
    }
}

/* Whole cycles with no per-op timer: claim, drain, release, provider
 * feedback. Returns cycles per second. */
static double throughput(struct bench *b, unsigned cycles, double *claim_only)
{
    struct pool_claim_request req = {.ttl_seconds = 0};
    struct pool_claim_result r;
    uint64_t t0 = now_ns();
    for (unsigned i = 0; i < cycles; i++) {
        b->fake_now += 1000;
        if (pool_claim(b->pool, &req, b->fake_now, &r) != POOL_OK ||
            pool_set_release(b->set, r.session.id, b->fake_now) != POOL_OK)
            die("cycle", POOL_E_INVALID);
        provide(b);
    }
    uint64_t t1 = now_ns();
    /* Claims only: take every idle pod, draining as the daemon does. */
    uint64_t t2 = now_ns();
    for (unsigned i = 0; i < PODS; i++) {
        b->fake_now += 1000;
        if (pool_claim(b->pool, &req, b->fake_now, &r) != POOL_OK)
            die("claim", POOL_E_INVALID);
        memcpy(b->ids[i], r.session.id, sizeof(b->ids[i]));
        drain(b);
    }
    uint64_t t3 = now_ns();
    *claim_only = PODS / ((double)(t3 - t2) / 1e9);
    return cycles / ((double)(t1 - t0) / 1e9);
}

int main(void)
{
    static struct bench b;
    static uint64_t claim_ns[ROUNDS * PODS], release_ns[ROUNDS * PODS], pair_ns[ROUNDS * PODS];
    static uint64_t keyed_ns[KEYED_ROUNDS * PODS], scratch[PODS];
    setup(&b);
#ifndef __OPTIMIZE__
    printf("warning: built without optimisation; use -DCMAKE_BUILD_TYPE=Release\n");
#endif
    uint64_t overhead = timer_overhead();
    for (unsigned r = 0; r < ROUNDS; r++) {
        claim_all(&b, claim_ns + (size_t)r * PODS, false);
        release_all(&b, release_ns + (size_t)r * PODS);
        pairs(&b, pair_ns + (size_t)r * PODS);
    }
    for (unsigned r = 0; r < KEYED_ROUNDS; r++) {
        claim_all(&b, keyed_ns + (size_t)r * PODS, true);
        release_all(&b, scratch);
    }
    double claim_rate;
    double cycle_rate = throughput(&b, 200000, &claim_rate);
    for (unsigned i = 0; i < PODS; i++)
        pool_set_release(b.set, b.ids[i], b.fake_now), drain(&b);
    if (pool_set_check(b.set) != POOL_OK)
        die("pool_set_check", POOL_E_CORRUPT);

    printf("pool core: %u Ready pods, %u rounds; clock_gettime pair overhead %lu ns "
           "(median, subtracted)\n\n",
           PODS, ROUNDS, (unsigned long)overhead);
    printf("%-22s %9s %8s %8s %8s %9s   %8s %8s %8s\n", "operation (ns)", "samples", "p50", "p99",
           "p999", "max", "raw p50", "raw p99", "raw p999");
    report(&(struct series){"claim", claim_ns, ROUNDS * PODS}, overhead);
    report(&(struct series){"release", release_ns, ROUNDS * PODS}, overhead);
    report(&(struct series){"claim+release pair", pair_ns, ROUNDS * PODS}, overhead);
    report(&(struct series){"claim, key+request id", keyed_ns, KEYED_ROUNDS * PODS}, overhead);
    printf("\nthroughput (no per-op timers):\n");
    printf("  claims (+ action drain)                       %12.0f ops/s\n", claim_rate);
    printf("  claim+release+provider refill cycles          %12.0f cycles/s\n", cycle_rate);
    pool_set_free(b.set);
    return 0;
}
