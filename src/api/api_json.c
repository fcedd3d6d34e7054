/* api_json: JSON of sessions, pools and readiness (see api.h, json_out.h). */
#include "api_guard.h"
#include "api_internal.h"
#include "json_out.h"

#include <stddef.h>
#include <stdio.h>

static void put_time(struct api *api, struct buf *b, uint64_t mono)
{
    json_time(b, api->svc->ops->wall_ns(api->svc, mono));
}

void api_json_session(struct api *api, struct buf *b, const struct pool_session_info *s,
                      bool with_token)
{
    JSON_LIT(b, "{\"session_id\":");
    json_str(b, s->id);
    JSON_LIT(b, ",\"pool\":");
    json_str(b, s->pool);
    JSON_LIT(b, ",\"pod\":");
    json_str(b, s->pod);
    JSON_LIT(b, ",\"address\":");
    json_str(b, s->address);
    JSON_LIT(b, ",\"node\":");
    json_str(b, s->node);
    if (with_token) {
        char token[CONNECT_TOKEN_MAX + 1];
        api_guard_sign(api, s, token);
        JSON_LIT(b, ",\"token\":");
        json_str(b, token[0] ? token : s->token); /* the core's own without a key */
    }
    JSON_LIT(b, ",\"claimed_at\":");
    put_time(api, b, s->claimed_at);
    JSON_LIT(b, ",\"expires_at\":");
    put_time(api, b, s->expires_at);
    JSON_LIT(b, ",\"idle_expires_at\":");
    if (s->idle_expires_at == UINT64_MAX)
        JSON_LIT(b, "null");
    else
        put_time(api, b, s->idle_expires_at);
    JSON_LIT(b, ",\"key\":");
    json_str_or_null(b, api_guard_unscope(s->key));
    JSON_LIT(b, ",\"request_id\":");
    json_str_or_null(b, api_guard_unscope(s->request_id));
}

static const struct {
    const char *name;
    size_t offset;
} config_fields[] = {
    {"min_idle", offsetof(struct pool_config, min_idle)},
    {"max_idle", offsetof(struct pool_config, max_idle)},
    {"max_total", offsetof(struct pool_config, max_total)},
    {"session_ttl_seconds", offsetof(struct pool_config, default_ttl_s)},
    {"session_ttl_max_seconds", offsetof(struct pool_config, max_ttl_s)},
    {"idle_timeout_seconds", offsetof(struct pool_config, idle_timeout_s)},
    {"max_waiters", offsetof(struct pool_config, max_waiters)},
    {"start_timeout_seconds", offsetof(struct pool_config, start_timeout_s)},
};

static void pool_config_json(struct buf *b, const struct pool_config *c)
{
    JSON_LIT(b, ",\"config\":{");
    for (size_t i = 0; i < sizeof config_fields / sizeof config_fields[0]; i++) {
        if (i)
            JSON_LIT(b, ",");
        json_str(b, config_fields[i].name);
        JSON_LIT(b, ":");
        json_uint(b, *(const uint32_t *)((const char *)c + config_fields[i].offset));
    }
    JSON_LIT(b, "}");
}

static uint32_t or_default(uint32_t v, uint32_t def)
{
    return v ? v : def;
}

static void schedule_item(struct buf *b, const void *config, size_t i)
{
    const struct pool_sizing_config *c = config;
    char at[8];
    unsigned minute = c->schedule[i].minute % (24 * 60);
    snprintf(at, sizeof at, "%02u:%02u", minute / 60, minute % 60);
    JSON_LIT(b, "{\"at\":");
    json_str(b, at);
    JSON_LIT(b, ",\"min_idle\":");
    json_uint(b, c->schedule[i].min_idle);
    JSON_LIT(b, "}");
}

static void schedule_json(struct buf *b, const struct pool_sizing_config *c)
{
    JSON_LIT(b, "\"schedule\":");
    json_array(b, c->nschedule, schedule_item, c);
    JSON_LIT(b, ",");
}

/* The policy's own settings, defaults filled in ({} for fixed). */
static void sizing_settings_json(struct buf *b, const struct pool_sizing_config *c)
{
    JSON_LIT(b, ",\"settings\":{");
    if (c->policy == POOL_SIZING_FIXED) {
        JSON_LIT(b, "}");
        return;
    }
    if (c->policy == POOL_SIZING_PERCENT) {
        JSON_LIT(b, "\"percent\":");
        json_uint(b, c->percent);
        JSON_LIT(b, ",");
    } else if (c->policy == POOL_SIZING_SCHEDULE) {
        schedule_json(b, c);
    } else {
        JSON_LIT(b, "\"target_miss_ratio\":");
        json_double(b, c->target_miss > 0 ? c->target_miss : POOL_SIZING_DEFAULT_MISS);
        JSON_LIT(b, ",\"short_window_ms\":");
        json_uint(b, or_default(c->short_window_ms, POOL_SIZING_DEFAULT_SHORT_MS));
        JSON_LIT(b, ",\"long_window_seconds\":");
        json_uint(b, or_default(c->long_window_s, POOL_SIZING_DEFAULT_LONG_S));
        JSON_LIT(b, ",");
    }
    JSON_LIT(b, "\"scale_down_delay_seconds\":");
    json_uint(b, or_default(c->scale_down_delay_s, POOL_SIZING_DEFAULT_DOWN_DELAY));
    JSON_LIT(b, "}");
}

/* "name":value pairs, comma-separated. */
static void numbers_json(struct buf *b, const char *const *names, const double *values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            JSON_LIT(b, ",");
        json_str(b, names[i]);
        JSON_LIT(b, ":");
        json_double(b, values[i]);
    }
}

/* Why the pool has the size it has: the policy, its target and the
 * estimates behind it. */
static void sizing_json(struct buf *b, const struct pool_config *c,
                        const struct pool_sizing_info *s)
{
    JSON_LIT(b, ",\"sizing\":{\"policy\":");
    json_str(b, pool_sizing_policy_str(s->policy));
    JSON_LIT(b, ",\"target_idle\":");
    json_uint(b, s->target);
    JSON_LIT(b, ",\"keep_idle\":");
    if (s->keep == UINT32_MAX)
        json_uint(b, c->max_idle);
    else
        json_uint(b, s->keep);
    JSON_LIT(b, ",\"node_capacity\":");
    if (s->capacity)
        json_uint(b, s->capacity);
    else
        JSON_LIT(b, "null");
    JSON_LIT(b, ",\"arrival_rate\":{");
    const char *const rates[] = {"short", "long", "sized_for"};
    numbers_json(b, rates, (const double[]){s->rate_short, s->rate_long, s->rate}, 3);
    JSON_LIT(b, ",\"burst\":");
    json_bool(b, s->burst);
    JSON_LIT(b, "},\"lead_time_seconds\":{");
    const char *const leads[] = {"p50", "p90", "p99"};
    numbers_json(b, leads, (const double[]){s->lead_p50_s, s->lead_p90_s, s->lead_p99_s}, 3);
    JSON_LIT(b, ",\"samples\":");
    json_uint(b, s->lead_samples);
    JSON_LIT(b, "}");
    sizing_settings_json(b, &c->sizing);
    JSON_LIT(b, "}");
}

void api_json_pool(struct buf *b, const struct service_pool_info *p)
{
    JSON_LIT(b, "{\"name\":");
    json_str(b, p->name);
    JSON_LIT(b, ",\"provider\":");
    json_str(b, p->provider);
    JSON_LIT(b, ",\"pods\":{");
    for (int st = POOL_POD_CREATING; st < POOL_POD_STATE_COUNT; st++) {
        if (st > POOL_POD_CREATING)
            JSON_LIT(b, ",");
        json_str(b, pool_pod_state_str(st));
        JSON_LIT(b, ":");
        json_uint(b, p->counts.by_state[st]);
    }
    JSON_LIT(b, "},\"live\":");
    json_uint(b, p->counts.live);
    JSON_LIT(b, ",\"sessions\":");
    json_uint(b, p->counts.sessions);
    JSON_LIT(b, ",\"waiters\":");
    json_uint(b, p->counts.waiters);
    JSON_LIT(b, ",\"reached_min_idle\":");
    json_bool(b, p->reached_min_idle);
    pool_config_json(b, &p->limits);
    sizing_json(b, &p->limits, &p->sizing);
    JSON_LIT(b, "}");
}

void api_json_readyz(struct api *api, struct buf *b, bool ready)
{
    struct service *svc = api->svc;
    JSON_LIT(b, "{\"ready\":");
    json_bool(b, ready);
    JSON_LIT(b, ",\"pools\":{");
    for (size_t i = 0; i < svc->ops->pool_count(svc); i++) {
        struct service_pool_info p;
        svc->ops->pool_info(svc, i, &p);
        if (i)
            JSON_LIT(b, ",");
        json_str(b, p.name);
        JSON_LIT(b, ":");
        json_bool(b, p.reached_min_idle);
    }
    JSON_LIT(b, "}}");
}
