/*
 * trace.c: the built-in trace generators, CSV reading and writing. See
 * trace.h.
 */
#include "trace.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void trace_rng_seed(struct trace_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(struct trace_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double trace_rng_uniform(struct trace_rng *r)
{
    return ((double)(next_u64(r) >> 11) + 0.5) / 9007199254740992.0;
}

double trace_rng_normal(struct trace_rng *r)
{
    double u = trace_rng_uniform(r), v = trace_rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

double trace_rng_exp(struct trace_rng *r, double rate)
{
    return -log(trace_rng_uniform(r)) / rate;
}

static double pareto(struct trace_rng *r, double xm, double shape)
{
    return xm / pow(trace_rng_uniform(r), 1.0 / shape);
}

/* ---- building ---- */

static int push(struct trace *t, double arrival, double duration)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        struct trace_claim *c = realloc(t->claims, cap * sizeof(*c));
        if (!c)
            return -1;
        t->claims = c;
        t->cap = cap;
    }
    t->claims[t->n++] = (struct trace_claim){arrival, duration};
    return 0;
}

static int by_arrival(const void *a, const void *b)
{
    double x = ((const struct trace_claim *)a)->arrival_s;
    double y = ((const struct trace_claim *)b)->arrival_s;
    return (x > y) - (x < y);
}

static double session_duration(struct trace_rng *r)
{
    return 60.0 * exp(trace_rng_normal(r)); /* median 60 s, sigma 1 */
}

void trace_free(struct trace *t)
{
    free(t->claims);
    *t = (struct trace){0};
}

/* ---- rate shapes ---- */

#define BURSTS_MAX 8

struct burst {
    double start, ramp, hold, fall, extra;
};

struct shape {
    const char *kind;
    double length_s;
    double base, low, high; /* flat rate, or the diurnal range */
    struct burst bursts[BURSTS_MAX];
    int nbursts;
};

static double burst_rate(const struct burst *b, double t)
{
    double x = t - b->start;
    if (x < 0 || x > b->ramp + b->hold + b->fall)
        return 0;
    if (x < b->ramp)
        return b->extra * x / b->ramp;
    if (x < b->ramp + b->hold)
        return b->extra;
    return b->extra * (1.0 - (x - b->ramp - b->hold) / b->fall);
}

static double shape_rate(const struct shape *s, double t)
{
    double rate = s->base;
    if (s->high > 0) { /* diurnal: lowest at 03:00, highest at 15:00 */
        double phase = 2.0 * M_PI * (t - 3 * 3600.0) / 86400.0;
        rate = s->low + (s->high - s->low) * (1.0 - cos(phase)) / 2.0;
    }
    for (int i = 0; i < s->nbursts; i++)
        rate += burst_rate(&s->bursts[i], t);
    return rate;
}

static double shape_max(const struct shape *s)
{
    double extra = 0;
    for (int i = 0; i < s->nbursts; i++)
        extra += s->bursts[i].extra;
    return (s->high > 0 ? s->high : s->base) + extra;
}

/* Non-homogeneous Poisson arrivals by thinning. */
static int generate_shape(const struct shape *s, struct trace_rng *r, struct trace *out)
{
    double max = shape_max(s);
    for (double t = trace_rng_exp(r, max); t < s->length_s; t += trace_rng_exp(r, max))
        if (trace_rng_uniform(r) * max < shape_rate(s, t) && push(out, t, session_duration(r)))
            return -1;
    return 0;
}

static void diurnal_bursts(struct shape *s, struct trace_rng *r)
{
    s->nbursts = BURSTS_MAX;
    for (int i = 0; i < BURSTS_MAX; i++)
        s->bursts[i] = (struct burst){
            .start = (1.0 + 22.0 * trace_rng_uniform(r)) * 3600.0,
            .ramp = 20,
            .hold = 60 + 240 * trace_rng_uniform(r),
            .fall = 60,
            .extra = 5 + 10 * trace_rng_uniform(r),
        };
}

#define ONOFF_SOURCES 10

/* 10 sources, each alternating Pareto off and on periods, Poisson while on. */
static int generate_onoff(struct trace_rng *r, struct trace *out)
{
    const double length = 4 * 3600.0, rate = 1.5;
    for (int src = 0; src < ONOFF_SOURCES; src++) {
        double t = pareto(r, 120, 1.2) * trace_rng_uniform(r); /* start mid-period */
        while (t < length) {
            double end = t + pareto(r, 30, 1.4);
            for (t += trace_rng_exp(r, rate); t < end && t < length; t += trace_rng_exp(r, rate))
                if (push(out, t, session_duration(r)))
                    return -1;
            t = end + pareto(r, 120, 1.2);
        }
    }
    qsort(out->claims, out->n, sizeof(out->claims[0]), by_arrival);
    return 0;
}

const char *const trace_kinds[TRACE_KINDS] = {"poisson", "flash", "diurnal", "onoff"};

int trace_generate(const char *kind, uint64_t seed, struct trace *out, char *err, size_t errlen)
{
    struct trace_rng r;
    trace_rng_seed(&r, seed);
    *out = (struct trace){0};
    struct shape s = {.kind = kind};
    int rc;
    if (strcmp(kind, "poisson") == 0) {
        s.length_s = 2 * 3600.0, s.base = 4;
        rc = generate_shape(&s, &r, out);
    } else if (strcmp(kind, "flash") == 0) {
        s.length_s = 3600.0, s.base = 1, s.nbursts = 1;
        s.bursts[0] =
            (struct burst){.start = 1200, .ramp = 30, .hold = 300, .fall = 180, .extra = 39};
        rc = generate_shape(&s, &r, out);
    } else if (strcmp(kind, "diurnal") == 0) {
        s.length_s = 86400.0, s.low = 0.3, s.high = 6;
        diurnal_bursts(&s, &r);
        rc = generate_shape(&s, &r, out);
    } else if (strcmp(kind, "onoff") == 0) {
        rc = generate_onoff(&r, out);
    } else {
        snprintf(err, errlen, "unknown trace kind '%s' (poisson, flash, diurnal, onoff)", kind);
        return -1;
    }
    if (rc != 0) {
        trace_free(out);
        snprintf(err, errlen, "out of memory");
    }
    return rc;
}

/* ---- CSV ---- */

static int parse_row(const char *line, double *arrival, double *duration)
{
    char *end;
    errno = 0;
    *arrival = strtod(line, &end);
    if (end == line || *end != ',' || errno)
        return -1;
    const char *p = end + 1;
    *duration = strtod(p, &end);
    if (end == p || errno)
        return -1;
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
        end++;
    if (*end || !isfinite(*arrival) || !isfinite(*duration) || *arrival < 0 || *duration < 0)
        return -1;
    return 0;
}

int trace_load(const char *path, struct trace *out, char *err, size_t errlen)
{
    *out = (struct trace){0};
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[256];
    int rc = 0;
    for (size_t no = 1; fgets(line, sizeof(line), f); no++) {
        double a, d;
        if (line[0] == '\n' || (no == 1 && strncmp(line, "arrival_s", 9) == 0))
            continue;
        if (parse_row(line, &a, &d) != 0) {
            snprintf(err, errlen, "%s:%zu: expected 'arrival_s,duration_s' (two numbers >= 0)",
                     path, no);
            rc = -1;
            break;
        }
        if (push(out, a, d) != 0) {
            snprintf(err, errlen, "%s: out of memory", path);
            rc = -1;
            break;
        }
    }
    fclose(f);
    if (rc == 0 && out->n == 0) {
        snprintf(err, errlen, "%s: no claims", path);
        rc = -1;
    }
    if (rc != 0)
        trace_free(out);
    else
        qsort(out->claims, out->n, sizeof(out->claims[0]), by_arrival);
    return rc;
}

void trace_write(const struct trace *t, FILE *f)
{
    fprintf(f, "arrival_s,duration_s\n");
    for (size_t i = 0; i < t->n; i++)
        fprintf(f, "%.3f,%.3f\n", t->claims[i].arrival_s, t->claims[i].duration_s);
}
