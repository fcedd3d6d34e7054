/*
 * tracesim: the sizing simulator's command line.
 *
 *   tracesim gen KIND [--seed N]             print a built-in trace as CSV
 *   tracesim run TRACE POLICY...             replay TRACE under each POLICY
 *   tracesim search TRACE                    smallest fixed / percent buffer
 *                                            reaching the hit-ratio target
 *   tracesim table                           the comparison table (Markdown)
 *                                            for every built-in trace
 *   tracesim record                          print a regression baseline
 *   tracesim check BASELINE                  replay a baseline's rows; exit 1
 *                                            if a hit ratio or idle cost got
 *                                            worse than recorded
 *
 * TRACE is a CSV file (arrival_s,duration_s) or a built-in kind (poisson,
 * flash, diurnal, onoff). POLICY is fixed:N (min_idle = max_idle = N),
 * percent:P (idle = P% of bound), schedule:X (hourly min_idle = X/10 seconds
 * of that hour's busiest minute in the trace: a schedule fitted with
 * hindsight; trace second 0 is 00:00 UTC), predictive[:MISS] (target miss
 * ratio, default 0.001). Options (anywhere): --seed N (trace seed, 1), --lead
 * MEDIAN,P99 (pod create -> Ready seconds, log-normal; 2,6), --target H (hit
 * ratio for search and table, 0.999), --warmup S (claims before S seconds
 * are replayed, not measured; 600).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "trace.h"

struct opts {
    uint64_t seed;
    double lead_median, lead_p99;
    double target;
    double warmup;
    const char *args[16];
    int nargs;
};

struct policy {
    char label[32];
    struct sim_params params;
    double hour_peak[24]; /* schedule: the busiest minute of each hour, claims/s */
};

#define SCHEDULE_CAP 4000 /* the simulator's max_idle */

static int usage(void)
{
    fprintf(stderr, "usage: tracesim gen KIND | run TRACE POLICY... | search TRACE | table | "
                    "record | check BASELINE  [--seed N] [--lead MEDIAN,P99] [--target H] "
                    "[--warmup S]\n"
                    "  KIND: poisson flash diurnal onoff; POLICY: fixed:N percent:P schedule:X "
                    "predictive[:MISS]\n");
    return 2;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.seed = 1, .lead_median = 2, .lead_p99 = 6, .target = 0.999, .warmup = 600};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(a, "--seed") == 0 && v) {
            o->seed = strtoull(v, &end, 10);
        } else if (strcmp(a, "--lead") == 0 && v) {
            o->lead_median = strtod(v, &end);
            o->lead_p99 = *end == ',' ? strtod(end + 1, &end) : 0;
            if (!(o->lead_median > 0 && o->lead_p99 >= o->lead_median))
                end = NULL;
        } else if (strcmp(a, "--warmup") == 0 && v) {
            o->warmup = strtod(v, &end);
            if (!(o->warmup >= 0))
                end = NULL;
        } else if (strcmp(a, "--target") == 0 && v) {
            o->target = strtod(v, &end);
            if (!(o->target > 0 && o->target <= 1))
                end = NULL;
        } else if (a[0] != '-' && o->nargs < 16) {
            o->args[o->nargs++] = a;
            continue;
        } else {
            return -1;
        }
        if (!end || *end)
            return -1;
        i++;
    }
    return o->nargs > 0 ? 0 : -1;
}

/* The trace's busiest minute in each hour of the day: what an operator who
 * knows the daily curve would schedule for. */
static void fit_hours(const struct trace *t, struct policy *p)
{
    uint32_t count = 0;
    uint64_t minute = UINT64_MAX;
    for (size_t i = 0; i <= t->n; i++) {
        uint64_t m = i < t->n ? (uint64_t)(t->claims[i].arrival_s / 60) : UINT64_MAX - 1;
        if (m != minute && minute != UINT64_MAX) {
            double *peak = &p->hour_peak[minute / 60 % 24];
            *peak = count / 60.0 > *peak ? count / 60.0 : *peak;
            count = 0;
        }
        minute = m;
        count++;
    }
}

static void set_level(struct policy *p, uint32_t x);

static int parse_policy(const char *spec, const struct opts *o, const struct trace *t,
                        struct policy *p)
{
    *p = (struct policy){.params = {.lead_median_s = o->lead_median,
                                    .lead_p99_s = o->lead_p99,
                                    .seed = o->seed * 7919 + 17,
                                    .warmup_s = o->warmup}};
    const char *colon = strchr(spec, ':');
    char *end = NULL;
    double v = colon ? strtod(colon + 1, &end) : 0;
    if (colon && (end == colon + 1 || *end || v < 0))
        return -1;
    snprintf(p->label, sizeof(p->label), "%s", spec);
    if (strncmp(spec, "fixed:", 6) == 0 && v <= 100000) {
        p->params.min_idle = p->params.max_idle = (uint32_t)v;
    } else if (strncmp(spec, "percent:", 8) == 0 && v >= 1 && v <= 1000) {
        p->params.sizing.policy = POOL_SIZING_PERCENT;
        p->params.sizing.percent = (uint32_t)v;
    } else if (strncmp(spec, "schedule:", 9) == 0 && v >= 1 && v <= 100000 && t) {
        p->params.sizing.policy = POOL_SIZING_SCHEDULE;
        fit_hours(t, p);
        set_level(p, (uint32_t)v);
    } else if (strcmp(spec, "predictive") == 0 ||
               (strncmp(spec, "predictive:", 11) == 0 && v > 0 && v < 0.5)) {
        p->params.sizing.policy = POOL_SIZING_PREDICTIVE;
        p->params.sizing.target_miss = v;
    } else {
        return -1;
    }
    return 0;
}

static int load(const char *what, const struct opts *o, struct trace *t)
{
    char err[256];
    for (int i = 0; i < TRACE_KINDS; i++)
        if (strcmp(what, trace_kinds[i]) == 0)
            return trace_generate(what, o->seed, t, err, sizeof(err)) == 0 ? 0 : -1;
    if (trace_load(what, t, err, sizeof(err)) == 0)
        return 0;
    fprintf(stderr, "tracesim: %s\n", err);
    return -1;
}

static int simulate(const struct trace *t, const struct policy *p, struct sim_result *r)
{
    char err[256];
    if (sim_run(t, &p->params, r, err, sizeof(err)) == 0)
        return 0;
    fprintf(stderr, "tracesim: %s: %s\n", p->label, err);
    return -1;
}

static void print_header(void)
{
    printf("| trace | policy | hit ratio | p99 wait s | max wait s | idle pod-s per claim | "
           "peak pods | pods created |\n|---|---|---|---|---|---|---|---|\n");
}

static void print_row(const char *trace, const char *label, const struct sim_result *r)
{
    printf("| %s | %s | %.4f%% | %.2f | %.2f | %.3f | %u | %llu |\n", trace, label,
           100 * r->hit_ratio, r->p99_wait_s, r->max_wait_s, r->idle_per_claim_s, r->peak_pods,
           (unsigned long long)r->pods_created);
}

/* ---- search ---- */

/* Sets the policy's buffer parameter to x: fixed N, percent P, or schedule
 * X (each hour keeps X/10 seconds of its busiest minute's claims). */
static void set_level(struct policy *p, uint32_t x)
{
    struct pool_sizing_config *s = &p->params.sizing;
    if (s->policy == POOL_SIZING_SCHEDULE) {
        s->nschedule = 24;
        for (uint32_t h = 0; h < 24; h++) {
            double want = ceil(x / 10.0 * p->hour_peak[h]);
            s->schedule[h] = (struct pool_schedule_entry){
                .minute = h * 60, .min_idle = want > SCHEDULE_CAP ? SCHEDULE_CAP : (uint32_t)want};
        }
        snprintf(p->label, sizeof(p->label), "schedule:%u", x);
    } else if (s->policy == POOL_SIZING_PERCENT) {
        p->params.sizing.percent = x;
        snprintf(p->label, sizeof(p->label), "percent:%u", x);
    } else {
        p->params.min_idle = p->params.max_idle = x;
        snprintf(p->label, sizeof(p->label), "fixed:%u", x);
    }
}

/* Smallest level in [lo, max] whose hit ratio reaches the target (hit ratio
 * grows with the buffer); *r gets its result. -1 if none does. */
static int search_level(const struct trace *t, struct policy *p, uint32_t lo, uint32_t max,
                        double target, struct sim_result *r)
{
    struct sim_result probe;
    uint32_t hi = lo ? lo : 1;
    for (;; hi *= 2) { /* find a level that reaches it */
        set_level(p, hi > max ? max : hi);
        if (simulate(t, p, &probe) != 0)
            return -1;
        if (probe.hit_ratio >= target)
            break;
        if (hi >= max)
            return -1;
        lo = hi + 1;
    }
    hi = hi > max ? max : hi;
    *r = probe;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        set_level(p, mid);
        if (simulate(t, p, &probe) != 0)
            return -1;
        if (probe.hit_ratio >= target)
            hi = mid, *r = probe;
        else
            lo = mid + 1;
    }
    set_level(p, hi);
    return 0;
}

/* The three policies of a comparison: predictive, then the smallest fixed
 * and percent buffers reaching the same hit ratio (or the target, if
 * higher). */
#define NCOMPARED 4

struct comparison {
    struct policy pol[NCOMPARED]; /* predictive, fixed, percent, schedule */
    struct sim_result res[NCOMPARED];
    bool found[NCOMPARED]; /* a buffer reaching the hit ratio was found */
};

static int compare(const struct trace *t, const struct opts *o, struct comparison *c)
{
    *c = (struct comparison){0};
    if (parse_policy("predictive", o, t, &c->pol[0]) || simulate(t, &c->pol[0], &c->res[0]))
        return -1;
    c->found[0] = true;
    double target = c->res[0].hit_ratio > o->target ? c->res[0].hit_ratio : o->target;
    parse_policy("fixed:1", o, t, &c->pol[1]);
    parse_policy("percent:1", o, t, &c->pol[2]);
    parse_policy("schedule:1", o, t, &c->pol[3]);
    c->found[1] = search_level(t, &c->pol[1], 0, 4000, target, &c->res[1]) == 0;
    c->found[2] = search_level(t, &c->pol[2], 1, 1000, target, &c->res[2]) == 0;
    c->found[3] = search_level(t, &c->pol[3], 1, 6000, target, &c->res[3]) == 0;
    if (!c->found[1])
        snprintf(c->pol[1].label, sizeof(c->pol[1].label), "fixed: none <= 4000");
    if (!c->found[2])
        snprintf(c->pol[2].label, sizeof(c->pol[2].label), "percent: none <= 1000%%");
    if (!c->found[3])
        snprintf(c->pol[3].label, sizeof(c->pol[3].label), "schedule: none <= 600 s");
    return 0;
}

/* ---- commands ---- */

static int cmd_gen(const struct opts *o)
{
    struct trace t;
    char err[256];
    if (o->nargs != 2 || trace_generate(o->args[1], o->seed, &t, err, sizeof(err)) != 0) {
        fprintf(stderr, "tracesim: %s\n", o->nargs != 2 ? "gen takes one KIND" : err);
        return 2;
    }
    trace_write(&t, stdout);
    trace_free(&t);
    return 0;
}

static int cmd_run(const struct opts *o)
{
    struct trace t;
    if (o->nargs < 3 || load(o->args[1], o, &t) != 0)
        return o->nargs < 3 ? usage() : 1;
    int rc = 0;
    print_header();
    for (int i = 2; i < o->nargs && rc == 0; i++) {
        struct policy p;
        struct sim_result r;
        if (parse_policy(o->args[i], o, &t, &p) != 0) {
            fprintf(stderr, "tracesim: bad policy '%s'\n", o->args[i]);
            rc = 2;
        } else if (simulate(&t, &p, &r) != 0) {
            rc = 1;
        } else {
            print_row(o->args[1], p.label, &r);
        }
    }
    trace_free(&t);
    return rc;
}

/* table and search: predictive against the best fixed and percent buffers. */
static int cmd_table(const struct opts *o, const char *only)
{
    print_header();
    for (int k = 0; k < TRACE_KINDS; k++) {
        const char *kind = only ? only : trace_kinds[k];
        struct trace t;
        struct comparison c;
        if (load(kind, o, &t) != 0)
            return 1;
        int rc = compare(&t, o, &c);
        trace_free(&t);
        if (rc != 0)
            return 1;
        for (int i = 0; i < NCOMPARED; i++)
            if (c.found[i])
                print_row(kind, c.pol[i].label, &c.res[i]);
            else
                printf("| %s | %s | | | | | | |\n", kind, c.pol[i].label);
        if (c.found[1] && c.res[1].idle_pod_s > 0)
            printf("| %s | predictive vs %s | | | | %+.1f%% idle | | |\n", kind, c.pol[1].label,
                   100 * (c.res[0].idle_pod_s / c.res[1].idle_pod_s - 1));
        if (only)
            break;
    }
    return 0;
}

static int cmd_record(const struct opts *o)
{
    printf("# trace policy hit_ratio idle_pod_s_per_claim (tracesim record; seed %llu, "
           "lead %g,%g)\n",
           (unsigned long long)o->seed, o->lead_median, o->lead_p99);
    for (int k = 0; k < TRACE_KINDS; k++) {
        struct trace t;
        struct comparison c;
        if (load(trace_kinds[k], o, &t) != 0)
            return 1;
        int rc = compare(&t, o, &c);
        trace_free(&t);
        if (rc != 0)
            return 1;
        for (int i = 0; i < NCOMPARED; i++)
            if (c.found[i])
                printf("%s %s %.6f %.6f\n", trace_kinds[k], c.pol[i].label, c.res[i].hit_ratio,
                       c.res[i].idle_per_claim_s);
    }
    return 0;
}

/* One baseline row: replays it and compares. Returns 0 ok, 1 worse, -1
 * error. Tolerances absorb libm differences between machines only. */
static int check_row(const struct opts *o, const char *kind, const char *label, double hit,
                     double idle)
{
    struct trace t;
    struct policy p;
    struct sim_result r;
    if (load(kind, o, &t) != 0)
        return -1;
    int rc = parse_policy(label, o, &t, &p) == 0 ? simulate(&t, &p, &r) : -1;
    trace_free(&t);
    if (rc != 0)
        return -1;
    bool worse = r.hit_ratio < hit - 1e-5 || r.idle_per_claim_s > idle * 1.005 + 1e-6;
    printf("%-8s %-14s hit %.4f%% (recorded %.4f%%)  idle/claim %.3f s (recorded %.3f)  %s\n", kind,
           label, 100 * r.hit_ratio, 100 * hit, r.idle_per_claim_s, idle, worse ? "WORSE" : "ok");
    return worse ? 1 : 0;
}

static int cmd_check(const struct opts *o)
{
    FILE *f = o->nargs == 2 ? fopen(o->args[1], "r") : NULL;
    if (!f) {
        fprintf(stderr, "tracesim: check needs a readable baseline file\n");
        return 2;
    }
    char line[256], kind[32], label[32];
    int worse = 0, rows = 0, rc = 0;
    for (int no = 1; rc >= 0 && fgets(line, sizeof(line), f); no++) {
        double hit, idle;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "%31s %31s %lf %lf", kind, label, &hit, &idle) != 4) {
            fprintf(stderr, "tracesim: %s:%d: expected 'trace policy hit idle'\n", o->args[1], no);
            rc = -1;
            break;
        }
        rc = check_row(o, kind, label, hit, idle);
        worse += rc > 0;
        rows++;
    }
    fclose(f);
    if (rc < 0 || rows == 0)
        return 2;
    printf("%d rows, %d worse than recorded\n", rows, worse);
    return worse ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse_opts(argc, argv, &o) != 0)
        return usage();
    const char *cmd = o.args[0];
    if (strcmp(cmd, "gen") == 0)
        return cmd_gen(&o);
    if (strcmp(cmd, "run") == 0)
        return cmd_run(&o);
    if (strcmp(cmd, "search") == 0 && o.nargs == 2)
        return cmd_table(&o, o.args[1]);
    if (strcmp(cmd, "table") == 0)
        return cmd_table(&o, NULL);
    if (strcmp(cmd, "record") == 0)
        return cmd_record(&o);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(&o);
    return usage();
}
