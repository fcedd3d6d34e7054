/*
 * pool_restore.c: recovery of pods and sessions found at start (see
 * pool_restore() in pool.h). No sizing, no actions: the caller restores
 * everything, then ticks.
 */
#include "pool_internal.h"

#include <string.h>

static enum pool_status check(const struct pool *pool, enum pool_obs what,
                              const struct pool_pod_obs *obs, const struct pool_restore_session *s,
                              uint64_t now)
{
    if (!obs || !obs->name || !obs->name[0] ||
        (what != POOL_OBS_STARTING && what != POOL_OBS_READY))
        return POOL_E_INVALID;
    if (!pool__fits(obs->name, POOL_POD_NAME_MAX) ||
        (obs->address && !pool__fits(obs->address, POOL_ADDR_MAX)) ||
        (obs->node && !pool__fits(obs->node, POOL_NODE_MAX)))
        return POOL_E_TOO_LONG;
    if (pool_index_find(&pool->pod_by_name, obs->name))
        return POOL_E_EXISTS;
    uint32_t live = 0;
    for (int st = POOL_POD_CREATING; st < POOL_POD_STATE_COUNT; st++)
        live += pool->counts[st];
    if (link_empty(&pool->free_pods) || live >= pool->config.max_total)
        return POOL_E_FULL;
    if (!s)
        return POOL_OK;
    if (!s->id || strlen(s->id) != POOL_SESSION_ID_LEN || strncmp(s->id, "s-", 2) ||
        (s->token && s->token[0] && strlen(s->token) != POOL_TOKEN_LEN))
        return POOL_E_INVALID;
    if ((s->key && !pool__fits(s->key, POOL_KEY_MAX)) ||
        (s->request_id && !pool__fits(s->request_id, POOL_KEY_MAX)) ||
        (s->owner && !pool__fits(s->owner, POOL_OWNER_MAX)))
        return POOL_E_TOO_LONG;
    if (pool_index_find(&pool->set->session_by_id, s->id) ||
        (s->key && s->key[0] && pool_index_find(&pool->session_by_key, s->key)) ||
        (s->request_id && s->request_id[0] &&
         pool_index_find(&pool->session_by_request, s->request_id)))
        return POOL_E_EXISTS;
    if (s->expires_at <= now)
        return POOL_E_TTL;
    return POOL_OK;
}

static void bind_restored(struct pool *pool, struct pool_pod *pod,
                          const struct pool_restore_session *r, uint64_t now)
{
    struct pool_set *set = pool->set;
    struct pool_session *s = CONTAINER_OF(pool->free_sessions.next, struct pool_session, link);
    link_remove(&s->link);
    link_append(&pool->live_sessions, &s->link);
    pool__copy(s->id, r->id, POOL_SESSION_ID_LEN);
    if (r->token && r->token[0])
        pool__copy(s->token, r->token, POOL_TOKEN_LEN);
    else
        pool_rng_hex(&set->rng, s->token, 32);
    pool__session_keys(s, r->key ? r->key : "", r->request_id ? r->request_id : "");
    pool__copy(s->owner, r->owner ? r->owner : "", POOL_OWNER_MAX);
    s->pod = pod;
    pod->session = s;
    pool__transition(pod, POOL_POD_BOUND, now);
    s->claimed_at = r->claimed_at;
    s->expires_at = r->expires_at;
    s->last_keepalive = now;
    s->idle_expires_at =
        pool->config.idle_timeout_s ? deadline_after(now, pool->config.idle_timeout_s) : UINT64_MAX;
    pool_heap_set(&set->timers, &s->timer,
                  s->expires_at < s->idle_expires_at ? s->expires_at : s->idle_expires_at);
    pool__session_indexed(s, pool_index_hash(&set->session_by_id, s->id));
}

enum pool_status pool_restore(struct pool *pool, enum pool_obs what, const struct pool_pod_obs *obs,
                              const struct pool_restore_session *session, uint64_t now)
{
    enum pool_status st = check(pool, what, obs, session, now);
    if (st != POOL_OK)
        return st;
    struct pool_pod *pod = CONTAINER_OF(pool->free_pods.next, struct pool_pod, link);
    pool__pod_place(pod, obs->name, obs->address ? obs->address : "", obs->node ? obs->node : "");
    pool_index_insert(&pool->pod_by_name, pod);
    pod->indexed = true;
    pool__transition(pod, session || what == POOL_OBS_READY ? POOL_POD_READY : POOL_POD_STARTING,
                     now);
    if (session)
        bind_restored(pool, pod, session, now);
    return POOL_OK;
}
