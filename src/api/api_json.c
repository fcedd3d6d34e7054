/* api_json: JSON of sessions, pools and readiness (see api.h, json_out.h). */
#include "api_internal.h"
#include "json_out.h"

#include <stddef.h>

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
        JSON_LIT(b, ",\"token\":");
        json_str(b, s->token);
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
    json_str_or_null(b, s->key);
    JSON_LIT(b, ",\"request_id\":");
    json_str_or_null(b, s->request_id);
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
