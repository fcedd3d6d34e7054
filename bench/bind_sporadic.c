/*
 * bind_sporadic: what one fresh bind costs in the pool core when it arrives
 * alone, on caches the rest of the machine has cooled, against the same bind
 * in a hot loop.
 *
 *   bind_sporadic [--claims N] [--evict MIB] [--stride B] [--keyed] [--only cold|hot]
 *
 * Drives the core the way prewarmd does with bench/claim_rate.sh's pool (one
 * pool, min_idle 40, max_total 200, an action ring of 1024 + 2 x max_total,
 * actions drained after every call, the provider feeding pods back Ready):
 * claim, drain, release, drain, refill, pool_set_prepare(). Only pool_claim()
 * is timed, which is what prewarmd's bind_ns covers.
 *
 * cold: before every claim, writes one byte in every cache line of an
 *   --evict MiB buffer (default 64, twice a 32 MiB L3), which evicts the
 *   core's records from every cache level and the TLB, as the loop's other
 *   work and the machine's other processes do between sporadic claims.
 *   --stride 4096 writes one line per page instead: the TLB is flushed but
 *   only 1/64 of the buffer goes through the caches, which separates the cost
 *   of page walks from that of cache misses.
 * hot: the same cycle with no eviction (the in-process benchmark's case).
 *
 * Per bind: wall ns (two clock_gettime reads, their median cost subtracted),
 * TSC cycles on x86-64, and minor page faults (getrusage around the claim).
 * Run under callgrind with --collect-atstart=no --cache-sim=yes (see
 * bench/bind_compare.sh), only the measured claims are collected (client
 * requests, when valgrind's headers were there at build time): D1 and LL
 * misses per bind count the cache lines a cold bind touches, a figure the
 * machine's load cannot blur.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#define HAVE_TSC 1
#else
#define HAVE_TSC 0
#endif

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_TOGGLE_COLLECT /* no valgrind headers: nothing to toggle */
#endif

#include "pool.h"

/* 0 when built against a pool core without pool_set_prepare() (an older
 * revision, in bench/bind_compare.sh). */
#ifndef BIND_PREPARE
#define BIND_PREPARE 1
#endif

#define MAX_CLAIMS 100000

struct driver {
    struct pool_set *set;
    struct pool *pool;
    unsigned next_pod;
    uint64_t now;
    bool keyed;
    unsigned char *evict;
    size_t evict_len;
    size_t stride;
};

struct sample {
    uint64_t ns;
    uint64_t cycles;
    long minflt;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t cycles(void)
{
#if HAVE_TSC
    return __rdtsc();
#else
    return 0;
#endif
}

static long minflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

static void die(const char *what, enum pool_status st)
{
    fprintf(stderr, "bind_sporadic: %s: %s\n", what, pool_status_str(st));
    exit(1);
}

/* The provider: every CREATE_PODS becomes Ready pods at once, every
 * DELETE_POD is confirmed gone. */
static void provide(struct driver *d)
{
    struct pool_action a;
    for (;;) {
        unsigned create = 0, gone = 0;
        while (pool_set_next_action(d->set, &a)) {
            if (a.kind == POOL_ACT_CREATE_PODS) {
                create += a.count;
            } else if (a.kind == POOL_ACT_DELETE_POD) {
                struct pool_pod_obs obs = {.name = a.pod};
                pool_observe(d->pool, POOL_OBS_GONE, &obs, d->now);
                gone++;
            }
        }
        if (create == 0 && gone == 0)
            return;
        for (; create > 0; create--, d->next_pod++) {
            char name[40], addr[40];
            snprintf(name, sizeof(name), "demo-%08x", d->next_pod);
            snprintf(addr, sizeof(addr), "127.0.0.1:%u", 20000 + d->next_pod % 40000);
            struct pool_pod_obs obs = {.name = name, .address = addr, .node = "localhost"};
            enum pool_status st = pool_observe(d->pool, POOL_OBS_READY, &obs, d->now);
            if (st != POOL_OK)
                die("observe", st);
        }
    }
}

static void setup(struct driver *d)
{
    uint8_t seed[POOL_SEED_LEN];
    for (int i = 0; i < POOL_SEED_LEN; i++)
        seed[i] = (uint8_t)(now_ns() >> (i % 8));
    struct pool_config cfg = {.name = "demo",
                              .min_idle = 40,
                              .max_idle = 60,
                              .max_total = 200,
                              .default_ttl_s = 300,
                              .max_ttl_s = 300,
                              .start_timeout_s = 60};
    enum pool_status st = pool_set_new(seed, 1024 + 2 * cfg.max_total, &d->set);
    if (st != POOL_OK)
        die("pool_set_new", st);
    if ((st = pool_set_add(d->set, &cfg, &d->pool)) != POOL_OK)
        die("pool_set_add", st);
    d->now = 1000000000ull;
    pool_set_tick(d->set, d->now);
    provide(d);
}

static void cool(struct driver *d)
{
    for (size_t i = 0; i < d->evict_len; i += d->stride)
        d->evict[i]++;
}

/* One sporadic cycle: (cool), timed claim, drain, release, refill. */
static struct sample cycle(struct driver *d, unsigned i, bool cold, bool measured)
{
    char key[48], rid[48];
    struct pool_claim_request req = {0};
    struct pool_claim_result r; /* on the stack, as in prewarmd's API */
    if (d->keyed) {
        snprintf(key, sizeof(key), "~1/user-%u", i);
        snprintf(rid, sizeof(rid), "~1/req-%u", i);
        req.key = key;
        req.request_id = rid;
    }
    d->now += 20000000; /* 50 claims/s */
    if (cold)
        cool(d);
    struct sample s;
    long f0 = minflt();
    uint64_t t0 = now_ns(), c0 = cycles();
    if (measured)
        CALLGRIND_TOGGLE_COLLECT;
    enum pool_status st = pool_claim(d->pool, &req, d->now, &r);
    if (measured)
        CALLGRIND_TOGGLE_COLLECT;
    uint64_t c1 = cycles(), t1 = now_ns();
    s.minflt = minflt() - f0;
    s.ns = t1 - t0;
    s.cycles = c1 - c0;
    if (st != POOL_OK || r.outcome != POOL_CLAIM_BOUND)
        die("claim", st);
    provide(d);
    if ((st = pool_set_release(d->set, r.session.id, d->now)) != POOL_OK)
        die("release", st);
    pool_set_tick(d->set, d->now);
    provide(d);
#if BIND_PREPARE
    pool_set_prepare(d->set); /* as prewarmd does after each drain */
#endif
    return s;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t clock_overhead(void)
{
    enum { N = 10001 };
    static uint64_t s[N];
    for (int i = 0; i < N; i++) {
        uint64_t t0 = now_ns();
        s[i] = now_ns() - t0;
    }
    qsort(s, N, sizeof(s[0]), cmp_u64);
    return s[N / 2];
}

static void quantiles(uint64_t *v, unsigned n, uint64_t sub, uint64_t out[3])
{
    qsort(v, n, sizeof(v[0]), cmp_u64);
    uint64_t q[3] = {v[n / 2], v[n * 9 / 10], v[n * 99 / 100]};
    for (int i = 0; i < 3; i++)
        out[i] = q[i] > sub ? q[i] - sub : 0;
}

static void run(struct driver *d, const char *name, bool cold, unsigned n, uint64_t overhead)
{
    static uint64_t ns[MAX_CLAIMS], cyc[MAX_CLAIMS];
    long faults = 0;
    for (unsigned i = 0; i < n; i++) {
        struct sample s = cycle(d, i, cold, true);
        ns[i] = s.ns;
        cyc[i] = s.cycles;
        faults += s.minflt;
    }
    uint64_t qn[3], qc[3];
    quantiles(ns, n, overhead, qn);
    quantiles(cyc, n, 0, qc);
    printf("%-6s %7u %8lu %8lu %8lu %10lu %10lu %10lu %9.3f\n", name, n, (unsigned long)qn[0],
           (unsigned long)qn[1], (unsigned long)qn[2], (unsigned long)qc[0], (unsigned long)qc[1],
           (unsigned long)qc[2], (double)faults / n);
}

int main(int argc, char **argv)
{
    static struct driver d;
    unsigned claims = 2000;
    size_t evict_mib = 64;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--claims") && i + 1 < argc)
            claims = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--evict") && i + 1 < argc)
            evict_mib = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--stride") && i + 1 < argc)
            d.stride = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--keyed"))
            d.keyed = true;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(stderr,
                    "usage: %s [--claims N] [--evict MIB] [--stride B] [--keyed] "
                    "[--only cold|hot]\n",
                    argv[0]);
            return 2;
        }
    }
    if (claims < 100 || claims > MAX_CLAIMS) {
        fprintf(stderr, "bind_sporadic: --claims must be 100..%d\n", MAX_CLAIMS);
        return 2;
    }
    if (d.stride == 0)
        d.stride = 64;
    d.evict_len = evict_mib << 20;
    if (!(d.evict = calloc(d.evict_len + 1, 1)))
        return 1;
    setup(&d);
    uint64_t overhead = clock_overhead();
    for (unsigned i = 0; i < 500; i++) /* every record and ring slot touched once */
        cycle(&d, i, false, false);
    printf("pool core fresh binds (claim_rate.sh's pool: 40 idle, max_total 200%s); clock pair "
           "%lu ns subtracted\n",
           d.keyed ? ", key + request id" : "", (unsigned long)overhead);
    printf("%-6s %7s %8s %8s %8s %10s %10s %10s %9s\n", "case", "binds", "ns p50", "p90", "p99",
           HAVE_TSC ? "cycles p50" : "(no TSC)", "p90", "p99", "minflt");
    if (!only || !strcmp(only, "hot"))
        run(&d, "hot", false, claims, overhead);
    if (!only || !strcmp(only, "cold"))
        run(&d, "cold", true, claims, overhead);
    if (pool_set_check(d.set) != POOL_OK)
        die("pool_set_check", POOL_E_CORRUPT);
    pool_set_free(d.set);
    free(d.evict);
    return 0;
}
