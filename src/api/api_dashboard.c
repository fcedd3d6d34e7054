/*
 * api_dashboard: GET /dashboard (the page), GET /dashboard/state (what it
 * polls) and GET /openapi.yaml (this API's document). The page and the
 * document are compiled into prewarmd (cmake/embed.cmake); nothing is read
 * from disk or fetched at run time.
 *
 * /dashboard/state?since=N answers, per pool, the pod counts, waiters,
 * claims by outcome and the claim, bind and lead-time histograms (bucket
 * bounds and non-cumulative counts: the page takes windowed percentiles from
 * the difference of two polls), plus the events numbered above N:
 *
 *   {"time_ms":..,"leader":{"elected":..,"leading":..,"epoch":..},
 *    "next_seq":N,"events":[...],
 *    "pools":[{"name":..,"pods":{..},"sessions":..,"waiters":..,"min_idle":..,
 *              "max_total":..,"target_idle":..,"claims":{"bound":..,..},
 *              "histograms":{"claim_seconds":{"le":[..],"counts":[..]},..}}]}
 */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "json_out.h"
#include "loop.h"
#include "prewarm_dashboard_html.h"
#include "prewarm_openapi_yaml.h"

static void respond_bytes(struct http_exchange *ex, const char *type, const unsigned char *data,
                          size_t len)
{
    struct http_header h[] = {{"Content-Type", 12, type, strlen(type)},
                              {"Cache-Control", 13, "no-cache", 8}};
    http_respond(ex, 200, h, 2, (const char *)data, len);
}

void api_dashboard_page(void *ctx, struct http_exchange *ex, const struct http_request *req,
                        const struct http_route_match *m)
{
    (void)ctx, (void)req, (void)m;
    respond_bytes(ex, "text/html; charset=utf-8", prewarm_dashboard_html,
                  prewarm_dashboard_html_len);
}

void api_openapi(void *ctx, struct http_exchange *ex, const struct http_request *req,
                 const struct http_route_match *m)
{
    (void)ctx, (void)req, (void)m;
    respond_bytes(ex, "application/yaml", prewarm_openapi_yaml, prewarm_openapi_yaml_len);
}

/* {"le":[bounds],"counts":[n bounds + 1 counts]} */
static void histogram_json(struct buf *b, const double *bounds, size_t nbounds,
                           const uint64_t *counts)
{
    JSON_LIT(b, "{\"le\":[");
    for (size_t i = 0; i < nbounds; i++)
        buf_appendf(b, "%s%.9g", i ? "," : "", bounds[i]);
    JSON_LIT(b, "],\"counts\":[");
    for (size_t i = 0; i <= nbounds; i++) {
        if (i)
            JSON_LIT(b, ",");
        json_uint(b, counts[i]);
    }
    JSON_LIT(b, "]}");
}

static void pool_counts_json(struct buf *b, const struct service_pool_info *p)
{
    const uint32_t *st = p->counts.by_state;
    buf_appendf(b,
                "\"pods\":{\"creating\":%u,\"starting\":%u,\"ready\":%u,\"bound\":%u,"
                "\"draining\":%u},\"sessions\":%u,\"waiters\":%u,\"min_idle\":%u,"
                "\"max_total\":%u,\"target_idle\":%u,",
                st[POOL_POD_CREATING], st[POOL_POD_STARTING], st[POOL_POD_READY],
                st[POOL_POD_BOUND], st[POOL_POD_DRAINING], p->counts.sessions, p->counts.waiters,
                p->limits.min_idle, p->limits.max_total, p->sizing.target);
    const struct pool_counters *c = &p->counters;
    buf_appendf(b,
                "\"claims\":{\"bound\":%llu,\"key_reused\":%llu,\"replayed\":%llu,\"waited\":%llu,"
                "\"empty\":%llu,\"timed_out\":%llu,\"cancelled\":%llu,\"error\":%llu}",
                (unsigned long long)c->claims_bound, (unsigned long long)c->key_reused,
                (unsigned long long)c->idempotent_replay, (unsigned long long)c->waiters_bound,
                (unsigned long long)c->claims_empty, (unsigned long long)c->waiters_timed_out,
                (unsigned long long)c->waiters_cancelled, (unsigned long long)p->claims_error);
}

static void pool_state_json(struct buf *b, const struct service_pool_info *p)
{
    JSON_LIT(b, "{\"name\":");
    json_str(b, p->name);
    JSON_LIT(b, ",");
    pool_counts_json(b, p);
    JSON_LIT(b, ",\"histograms\":{\"claim_seconds\":");
    histogram_json(b, p->claim->bounds, p->claim->nbounds, p->claim->buckets);
    JSON_LIT(b, ",\"bind_seconds\":");
    histogram_json(b, p->bind->bounds, p->bind->nbounds, p->bind->buckets);
    JSON_LIT(b, ",\"lead_seconds\":");
    histogram_json(b, pool_lead_bounds_s, POOL_LEAD_HIST_BUCKETS - 1, p->sizing.lead_buckets);
    JSON_LIT(b, "}}");
}

/* {"elected":..,"leading":..,"epoch":..}: leading is false without election. */
static void leader_json(struct service *svc, struct buf *b)
{
    struct service_leader l = {0};
    if (svc->ops->leader)
        svc->ops->leader(svc, &l);
    JSON_LIT(b, "{\"elected\":");
    json_bool(b, l.elected);
    JSON_LIT(b, ",\"leading\":");
    json_bool(b, l.elected && l.leading);
    JSON_LIT(b, ",\"epoch\":");
    json_uint(b, l.epoch);
    JSON_LIT(b, "}");
}

/* ?since=N (digits); 0 when absent or malformed. */
static uint64_t since_of(const struct http_request *req)
{
    const char *q = req->query, *end = req->query + req->query_len;
    uint64_t n = 0;
    if (req->query_len < 6 || memcmp(q, "since=", 6))
        return 0;
    for (q += 6; q < end && *q >= '0' && *q <= '9' && n < UINT64_MAX / 10; q++)
        n = n * 10 + (uint64_t)(*q - '0');
    return n;
}

static void pool_state_item(struct buf *b, const void *api, size_t i)
{
    struct service *svc = ((const struct api *)api)->svc;
    struct service_pool_info p;
    svc->ops->pool_info(svc, i, &p);
    pool_state_json(b, &p);
}

void api_dashboard_state(void *ctx, struct http_exchange *ex, const struct http_request *req,
                         const struct http_route_match *m)
{
    (void)m;
    struct service *svc = ((struct api *)ctx)->svc;
    const struct events *ev = svc->ops->events(svc);
    struct buf b = {0};
    JSON_LIT(&b, "{\"time_ms\":");
    json_uint(&b, (uint64_t)(svc->ops->wall_ns(svc, loop_clock_ns()) / 1000000));
    JSON_LIT(&b, ",\"leader\":");
    leader_json(svc, &b);
    JSON_LIT(&b, ",\"next_seq\":");
    json_uint(&b, ev->last_seq);
    JSON_LIT(&b, ",\"events\":");
    events_write_json(ev, since_of(req), &b);
    JSON_LIT(&b, ",\"pools\":");
    json_array(&b, svc->ops->pool_count(svc), pool_state_item, ctx);
    JSON_LIT(&b, "}");
    api_respond_buf(ex, 200, &b, API_JSON_TYPE);
}
