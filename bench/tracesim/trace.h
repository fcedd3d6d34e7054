/*
 * trace: arrival traces for the sizing simulator. A trace is a list of
 * claims, each an arrival time and a session duration in seconds, sorted by
 * arrival. Traces come from a CSV file (`arrival_s,duration_s` rows, an
 * optional header line) or from the built-in generators, which are
 * deterministic for a seed (their own xoshiro256** generator) so every
 * machine replays the same claims:
 *
 *   poisson  2 h of steady Poisson arrivals at 4 claims/s
 *   flash    1 h at 1/s with a flash crowd at 20 min: a 30 s ramp to 40/s,
 *            5 min at 40/s, a 3 min decline
 *   diurnal  a day from 0.3/s at 03:00 to 6/s at 15:00, with 8 bursts of
 *            +5..15/s (20 s ramp, 1..5 min, 1 min decline)
 *   onoff    4 h of 40 heavy-tailed on/off sources (0.4/s each while on;
 *            Pareto on and off periods, shape 1.5, 20 s / 60 s minimum)
 *
 * Session durations: log-normal, median 60 s, sigma 1 (mean ~99 s).
 */
#ifndef PREWARM_TRACE_H
#define PREWARM_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct trace_claim {
    double arrival_s;
    double duration_s;
};

struct trace {
    struct trace_claim *claims; /* owned, sorted by arrival */
    size_t n;
    size_t cap;
};

/* xoshiro256**, seeded through splitmix64. */
struct trace_rng {
    uint64_t s[4];
};

void trace_rng_seed(struct trace_rng *r, uint64_t seed);
double trace_rng_uniform(struct trace_rng *r);          /* (0, 1) */
double trace_rng_normal(struct trace_rng *r);           /* N(0, 1) */
double trace_rng_exp(struct trace_rng *r, double rate); /* Exp(rate) */

#define TRACE_KINDS 4
extern const char *const trace_kinds[TRACE_KINDS];

/* 0 on success; -1 with a message in err on failure (unknown kind, no
 * memory). */
int trace_generate(const char *kind, uint64_t seed, struct trace *out, char *err, size_t errlen);
/* 0 on success; -1 with "path:line: what" in err. */
int trace_load(const char *path, struct trace *out, char *err, size_t errlen);
void trace_write(const struct trace *t, FILE *f);
void trace_free(struct trace *t);

#endif
