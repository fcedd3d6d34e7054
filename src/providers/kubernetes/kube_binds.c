/* kube_binds: queued binding records and their encoding (see kube_binds.h). */
#include "kube_binds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "k8s_time.h"
#include "kube_pod.h"

/* ---- encoding ---- */

static bool add_time(cJSON *o, const char *key, int64_t ns)
{
    char buf[K8S_TIME_BUFSZ];
    k8s_time_format_micro(ns, buf);
    return cJSON_AddStringToObject(o, key, buf) != NULL;
}

static cJSON *binding_json(const struct kube_binding *b)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "session", b->session) &&
              add_time(o, "claimedAt", b->claimed_at_ns) &&
              add_time(o, "expiresAt", b->expires_at_ns) &&
              cJSON_AddNumberToObject(o, "epoch", (double)b->epoch) &&
              (!b->key[0] || cJSON_AddStringToObject(o, "key", b->key)) &&
              (!b->request_id[0] || cJSON_AddStringToObject(o, "requestId", b->request_id)) &&
              (!b->owner[0] || cJSON_AddStringToObject(o, "owner", b->owner));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

bool kube_binding_encode(const struct kube_binding *b, char *out, size_t cap)
{
    cJSON *o = binding_json(b);
    bool ok = o && cJSON_PrintPreallocated(o, out, (int)cap, 0);
    cJSON_Delete(o);
    return ok;
}

char *kube_binding_patch(const struct kube_binding *b, const char *resource_version)
{
    cJSON *o = binding_json(b);
    char *value = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON *patch = cJSON_CreateObject();
    cJSON *meta = patch ? cJSON_AddObjectToObject(patch, "metadata") : NULL;
    cJSON *ann = meta ? cJSON_AddObjectToObject(meta, "annotations") : NULL;
    char *body = NULL;
    if (value && ann && cJSON_AddStringToObject(ann, KUBE_ANNOTATION_BIND, value) &&
        (!resource_version || cJSON_AddStringToObject(meta, "resourceVersion", resource_version)))
        body = cJSON_PrintUnformatted(patch);
    cJSON_Delete(o);
    cJSON_Delete(patch);
    free(value);
    return body;
}

static bool copy_str(const cJSON *o, const char *key, char *dst, size_t cap, bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return !required;
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap)
        return false;
    memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
    return true;
}

static bool read_time(const cJSON *o, const char *key, int64_t *ns)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) &&
           k8s_time_parse(v->valuestring, strlen(v->valuestring), ns) == K8S_OK;
}

bool kube_binding_decode(const char *text, struct kube_binding *out)
{
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    const cJSON *epoch = cJSON_GetObjectItemCaseSensitive(o, "epoch");
    out->session[0] = out->key[0] = out->request_id[0] = out->owner[0] = '\0';
    bool ok = cJSON_IsObject(o) &&
              copy_str(o, "session", out->session, sizeof out->session, true) && out->session[0] &&
              copy_str(o, "key", out->key, sizeof out->key, false) &&
              copy_str(o, "requestId", out->request_id, sizeof out->request_id, false) &&
              copy_str(o, "owner", out->owner, sizeof out->owner, false) &&
              read_time(o, "claimedAt", &out->claimed_at_ns) &&
              read_time(o, "expiresAt", &out->expires_at_ns) && cJSON_IsNumber(epoch) &&
              epoch->valuedouble >= 0;
    if (ok)
        out->epoch = (uint64_t)epoch->valuedouble;
    cJSON_Delete(o);
    return ok;
}

struct kube_journal_entry kube_binding_journal_entry(const struct kube_binding *b,
                                                     const char *pool_name)
{
    return (struct kube_journal_entry){.pool = pool_name,
                                       .pod = b->pod,
                                       .session = b->session,
                                       .key = b->key,
                                       .request_id = b->request_id,
                                       .owner = b->owner,
                                       .claimed_at_ns = b->claimed_at_ns,
                                       .expires_at_ns = b->expires_at_ns,
                                       .epoch = b->epoch};
}

void kube_binding_from_journal(const struct kube_journal_entry *e, struct kube_binding *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->pod, sizeof out->pod, "%s", e->pod);
    snprintf(out->session, sizeof out->session, "%s", e->session);
    snprintf(out->key, sizeof out->key, "%s", e->key);
    snprintf(out->request_id, sizeof out->request_id, "%s", e->request_id);
    snprintf(out->owner, sizeof out->owner, "%s", e->owner ? e->owner : "");
    out->claimed_at_ns = e->claimed_at_ns;
    out->expires_at_ns = e->expires_at_ns;
    out->epoch = e->epoch;
}

/* ---- queue ---- */

struct entry {
    struct kube_binding b;
    struct entry *prev, *next; /* waiting FIFO (not while in flight) */
    struct entry *hnext;
    bool in_flight;
    bool dirty;     /* replaced while in flight: write again */
    bool forgotten; /* pod gone while in flight: drop when finished */
};

struct kube_binds {
    struct entry **buckets;
    size_t nbuckets, count, capacity;
    struct entry *head, *tail;
    struct kube_budget budget;
    struct kube_binds_stats stats;
};

struct kube_binds *kube_binds_new(size_t capacity, double rate, uint32_t burst,
                                  uint32_t max_in_flight, uint64_t now)
{
    struct kube_binds *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->nbuckets = 64;
    while (q->nbuckets < capacity)
        q->nbuckets *= 2;
    q->capacity = capacity;
    if (!(q->buckets = calloc(q->nbuckets, sizeof *q->buckets))) {
        free(q);
        return NULL;
    }
    kube_budget_init(&q->budget, rate, burst, max_in_flight, now);
    return q;
}

void kube_binds_free(struct kube_binds *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->nbuckets; i++)
        for (struct entry *e = q->buckets[i], *n; e; e = n) {
            n = e->hnext;
            free(e);
        }
    free(q->buckets);
    free(q);
}

static struct entry **slot(struct kube_binds *q, const char *pod)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)pod; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    struct entry **pp = &q->buckets[h & (q->nbuckets - 1)];
    while (*pp && strcmp((*pp)->b.pod, pod))
        pp = &(*pp)->hnext;
    return pp;
}

static void fifo_append(struct kube_binds *q, struct entry *e)
{
    e->next = NULL;
    e->prev = q->tail;
    if (q->tail)
        q->tail->next = e;
    else
        q->head = e;
    q->tail = e;
}

static void fifo_unlink(struct kube_binds *q, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        q->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        q->tail = e->prev;
    e->prev = e->next = NULL;
}

static void drop(struct kube_binds *q, struct entry **pp)
{
    struct entry *e = *pp;
    if (!e->in_flight)
        fifo_unlink(q, e);
    *pp = e->hnext;
    q->count--;
    free(e);
}

bool kube_binds_push(struct kube_binds *q, const struct kube_binding *b)
{
    struct entry **pp = slot(q, b->pod);
    struct entry *e = *pp;
    if (e) {
        e->b = *b;
        e->dirty = e->in_flight;
        e->forgotten = false;
        q->stats.coalesced++;
        return true;
    }
    if (q->count >= q->capacity || !(e = calloc(1, sizeof *e))) {
        q->stats.refused++;
        return false;
    }
    e->b = *b;
    *pp = e;
    q->count++;
    fifo_append(q, e);
    q->stats.queued++;
    return true;
}

void kube_binds_forget(struct kube_binds *q, const char *pod)
{
    struct entry **pp = slot(q, pod);
    if (!*pp)
        return;
    if ((*pp)->in_flight) {
        (*pp)->forgotten = true;
        return;
    }
    q->stats.dropped++;
    drop(q, pp);
}

bool kube_binds_next(struct kube_binds *q, uint64_t now, struct kube_binding *out)
{
    if (!q->head || !kube_budget_take(&q->budget, now))
        return false;
    struct entry *e = q->head;
    fifo_unlink(q, e);
    e->in_flight = true;
    e->dirty = false;
    *out = e->b;
    return true;
}

void kube_binds_finished(struct kube_binds *q, const char *pod, enum kube_bind_outcome outcome,
                         uint64_t now)
{
    struct entry **pp = slot(q, pod);
    struct entry *e = *pp;
    if (!e || !e->in_flight)
        return;
    kube_budget_done(&q->budget);
    e->in_flight = false;
    if (outcome == KUBE_BIND_RETRY) {
        kube_budget_fail(&q->budget, now);
        q->stats.retried++;
    } else {
        kube_budget_ok(&q->budget);
        q->stats.written += outcome == KUBE_BIND_WRITTEN;
        q->stats.dropped += outcome == KUBE_BIND_DROP;
    }
    bool again = !e->forgotten && (outcome == KUBE_BIND_RETRY || e->dirty);
    if (!again) {
        e->in_flight = true; /* not in the FIFO: drop() must not unlink it */
        drop(q, pp);
        return;
    }
    fifo_append(q, e);
}

uint64_t kube_binds_wake(const struct kube_binds *q, uint64_t now)
{
    if (!q->head || q->budget.in_flight >= q->budget.max_in_flight)
        return UINT64_MAX;
    return kube_budget_next(&q->budget, now);
}

void kube_binds_get_stats(const struct kube_binds *q, struct kube_binds_stats *out)
{
    *out = q->stats;
    out->depth = q->count;
    out->in_flight = q->budget.in_flight;
}
