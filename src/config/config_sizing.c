/*
 * config_sizing: the "sizing:" block of a pool, read into the pool core's
 * struct pool_sizing_config (pool/pool.h "Sizing" explains each policy):
 *
 *     sizing:
 *       policy: predictive           # fixed (default) | percent | schedule | predictive
 *       target_miss_ratio: 0.001     # predictive: chance a claim finds no idle pod
 *       short_window_ms: 1000        # predictive: burst window
 *       long_window_seconds: 60      # predictive: steady window, longer than the short one
 *       lead_time_hint_ms: 5000      # predictive, schedule: create -> Ready before the first pod
 *       scale_down_delay_seconds: 60 # percent, schedule, predictive
 *       percent: 25                  # percent: idle = 25% of bound pods
 *       schedule:                    # schedule: min_idle from each time of day, UTC
 *         - {at: "08:00", min_idle: 10}
 *         - {at: "20:00", min_idle: 2}
 *
 * A field of another policy is an error (it would be silently ignored), as
 * is a percent or schedule policy without its field. The block is read after
 * the pool's sizes, so a schedule entry above max_idle is caught here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_yaml.h"

enum sizing_key {
    K_POLICY,
    K_MISS,
    K_SHORT,
    K_LONG,
    K_LEAD,
    K_DELAY,
    K_PERCENT,
    K_SCHEDULE,
    NKEYS
};

static const char *const sizing_keys[NKEYS] = {"policy",
                                               "target_miss_ratio",
                                               "short_window_ms",
                                               "long_window_seconds",
                                               "lead_time_hint_ms",
                                               "scale_down_delay_seconds",
                                               "percent",
                                               "schedule"};

#define P(policy) (1u << (policy))
#define DYNAMIC   (P(POOL_SIZING_PERCENT) | P(POOL_SIZING_SCHEDULE) | P(POOL_SIZING_PREDICTIVE))

/* The policies each key belongs to. */
static const unsigned key_policies[NKEYS] = {
    [K_POLICY] = ~0u,
    [K_MISS] = P(POOL_SIZING_PREDICTIVE),
    [K_SHORT] = P(POOL_SIZING_PREDICTIVE),
    [K_LONG] = P(POOL_SIZING_PREDICTIVE),
    [K_LEAD] = P(POOL_SIZING_PREDICTIVE) | P(POOL_SIZING_SCHEDULE),
    [K_DELAY] = DYNAMIC,
    [K_PERCENT] = P(POOL_SIZING_PERCENT),
    [K_SCHEDULE] = P(POOL_SIZING_SCHEDULE),
};

struct sizing_read {
    const struct config_pool *pool;
    struct pool_sizing_config *s;
    yaml_node_t *given[NKEYS];
    char paths[NKEYS][160];
};

static enum config_status get_policy(struct config_ctx *c, yaml_node_t *v, const char *path,
                                     enum pool_sizing_policy *out)
{
    char *name = NULL;
    enum config_status rc = config_get_string(c, v, path, 32, &name);
    int i = 0;
    while (rc == CONFIG_OK && i < POOL_SIZING_POLICY_COUNT &&
           strcmp(name, pool_sizing_policy_str((enum pool_sizing_policy)i)))
        i++;
    if (rc == CONFIG_OK && i == POOL_SIZING_POLICY_COUNT)
        rc = config_fail(c, v, path, "must be fixed, percent, schedule or predictive");
    else if (rc == CONFIG_OK)
        *out = (enum pool_sizing_policy)i;
    free(name);
    return rc;
}

static enum config_status get_ratio(struct config_ctx *c, yaml_node_t *v, const char *path,
                                    double *out)
{
    enum config_status rc = config_visit(c, v, path);
    const char *text = rc == CONFIG_OK ? config_scalar(v) : NULL;
    if (rc)
        return rc;
    char *end = NULL;
    double x = text ? strtod(text, &end) : NAN;
    if (!text || end == text || *end || !isfinite(x) || x <= 0 || x >= 0.5)
        return config_fail(c, v, path, "must be a number above 0 and below 0.5 (e.g. 0.001)");
    *out = x;
    return CONFIG_OK;
}

/* "HH:MM" -> minute of the day. */
static int parse_time_of_day(const char *s, uint32_t *minute)
{
    if (strlen(s) != 5 || s[2] != ':' || strspn(s, "0123456789:") != 5)
        return -1;
    unsigned h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
    unsigned m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
    if (h > 23 || m > 59 || s[0] == ':' || s[1] == ':' || s[3] == ':' || s[4] == ':')
        return -1;
    *minute = h * 60 + m;
    return 0;
}

static const char *const entry_keys[] = {"at", "min_idle"};

struct entry_read {
    const struct config_pool *pool;
    struct pool_schedule_entry *e;
    bool has_at, has_min;
};

static enum config_status entry_field(struct config_ctx *c, size_t i, yaml_node_t *v,
                                      const char *path, void *obj)
{
    struct entry_read *er = obj;
    if (i == 1) {
        er->has_min = true;
        return config_get_uint(c, v, path, 0, er->pool->max_idle, &er->e->min_idle);
    }
    char *text = NULL;
    enum config_status rc = config_get_string(c, v, path, 16, &text);
    if (rc == CONFIG_OK && parse_time_of_day(text, &er->e->minute) != 0)
        rc = config_fail(c, v, path, "must be a time of day \"HH:MM\" (UTC)");
    er->has_at = true;
    free(text);
    return rc;
}

static enum config_status get_schedule(struct config_ctx *c, yaml_node_t *node, const char *path,
                                       struct sizing_read *sr)
{
    enum config_status rc = config_visit(c, node, path);
    if (rc)
        return rc;
    size_t n = node->type == YAML_SEQUENCE_NODE
                   ? (size_t)(node->data.sequence.items.top - node->data.sequence.items.start)
                   : 0;
    if (n == 0 || n > POOL_SCHEDULE_MAX)
        return config_fail(c, node, path, "must be a list of 1 to %d {at, min_idle} entries",
                           POOL_SCHEDULE_MAX);
    for (size_t i = 0; i < n; i++) {
        char sub[192];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        yaml_node_t *item = config_node_at(c, node->data.sequence.items.start[i]);
        struct entry_read er = {.pool = sr->pool, .e = &sr->s->schedule[i]};
        if (!item)
            return config_fail(c, node, sub, "missing item");
        if ((rc = config_walk_map(c, item, sub, entry_keys, 2, entry_field, &er)))
            return rc;
        if (!er.has_at || !er.has_min)
            return config_fail(c, item, sub, "needs both at and min_idle");
        if (i > 0 && sr->s->schedule[i].minute <= sr->s->schedule[i - 1].minute)
            return config_fail(c, item, sub, "must come later in the day than the entry before");
        sr->s->nschedule = (uint32_t)i + 1;
    }
    return CONFIG_OK;
}

static enum config_status sizing_field(struct config_ctx *c, size_t i, yaml_node_t *v,
                                       const char *path, void *obj)
{
    struct sizing_read *sr = obj;
    struct pool_sizing_config *s = sr->s;
    sr->given[i] = v;
    snprintf(sr->paths[i], sizeof sr->paths[i], "%s", path);
    switch ((enum sizing_key)i) {
    case K_POLICY:
        return get_policy(c, v, path, &s->policy);
    case K_MISS:
        return get_ratio(c, v, path, &s->target_miss);
    case K_SHORT:
        return config_get_uint(c, v, path, 10, 600000, &s->short_window_ms);
    case K_LONG:
        return config_get_uint(c, v, path, 1, 86400, &s->long_window_s);
    case K_LEAD:
        return config_get_uint(c, v, path, 1, 3600000, &s->lead_time_hint_ms);
    case K_DELAY:
        return config_get_uint(c, v, path, 1, 86400, &s->scale_down_delay_s);
    case K_PERCENT:
        return config_get_uint(c, v, path, 1, 1000, &s->percent);
    default:
        return get_schedule(c, v, path, sr);
    }
}

/* Once the policy is known: no field of another policy, none missing. */
static enum config_status check_policy(struct config_ctx *c, yaml_node_t *node, const char *path,
                                       const struct sizing_read *sr)
{
    const struct pool_sizing_config *s = sr->s;
    const char *policy = pool_sizing_policy_str(s->policy);
    for (int k = 0; k < NKEYS; k++)
        if (sr->given[k] && !(key_policies[k] & P(s->policy)))
            return config_fail(c, sr->given[k], sr->paths[k], "not used by policy %s", policy);
    if (s->policy == POOL_SIZING_PERCENT && !sr->given[K_PERCENT])
        return config_fail(c, node, path, "policy percent needs percent");
    if (s->policy == POOL_SIZING_SCHEDULE && !sr->given[K_SCHEDULE])
        return config_fail(c, node, path, "policy schedule needs schedule");
    uint64_t short_ms = s->short_window_ms ? s->short_window_ms : 1000;
    uint64_t long_ms = (s->long_window_s ? s->long_window_s : 60) * 1000ull;
    if (short_ms >= long_ms)
        return config_fail(c, node, path,
                           "short_window_ms (%llu) must be shorter than long_window_seconds "
                           "(%llu ms)",
                           (unsigned long long)short_ms, (unsigned long long)long_ms);
    return CONFIG_OK;
}

enum config_status config_sizing_parse(struct config_ctx *c, yaml_node_t *node, const char *path,
                                       struct config_pool *p)
{
    struct sizing_read sr = {.pool = p, .s = &p->sizing};
    enum config_status rc = config_walk_map(c, node, path, sizing_keys, NKEYS, sizing_field, &sr);
    return rc ? rc : check_policy(c, node, path, &sr);
}
