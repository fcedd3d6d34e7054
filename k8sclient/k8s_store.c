#include "k8s_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_object.h"

void k8s_store_init(struct k8s_store *s)
{
    s->buckets = NULL;
    s->nbuckets = s->count = 0;
}

void k8s_store_free(struct k8s_store *s)
{
    for (size_t i = 0; i < s->nbuckets; i++) {
        struct k8s_store_entry *e = s->buckets[i];
        while (e) {
            struct k8s_store_entry *next = e->next;
            free(e->key);
            cJSON_Delete(e->obj);
            free(e);
            e = next;
        }
    }
    free(s->buckets);
    k8s_store_init(s);
}

char *k8s_store_key(const char *ns, const char *name)
{
    if (!name)
        return NULL;
    char *k = NULL;
    if (asprintf(&k, "%s%s%s", ns ? ns : "", ns ? "/" : "", name) < 0)
        return NULL;
    return k;
}

char *k8s_store_key_of(const cJSON *obj)
{
    return k8s_store_key(k8s_obj_namespace(obj), k8s_obj_name(obj));
}

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

struct k8s_store_entry *k8s_store_find(const struct k8s_store *s, const char *key)
{
    if (!s->nbuckets)
        return NULL;
    for (struct k8s_store_entry *e = s->buckets[hash(key) % s->nbuckets]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static bool grow(struct k8s_store *s)
{
    size_t n = s->nbuckets ? s->nbuckets * 2 : 64;
    struct k8s_store_entry **b = calloc(n, sizeof *b);
    if (!b)
        return false;
    for (size_t i = 0; i < s->nbuckets; i++) {
        struct k8s_store_entry *e = s->buckets[i];
        while (e) {
            struct k8s_store_entry *next = e->next;
            size_t j = hash(e->key) % n;
            e->next = b[j];
            b[j] = e;
            e = next;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = n;
    return true;
}

cJSON *k8s_store_put(struct k8s_store *s, const char *key, cJSON *obj, enum k8s_status *err)
{
    *err = K8S_OK;
    struct k8s_store_entry *e = k8s_store_find(s, key);
    if (e) {
        cJSON *old = e->obj;
        e->obj = obj;
        return old;
    }
    if (s->count >= s->nbuckets && !grow(s) && !s->nbuckets) {
        *err = K8S_ENOMEM;
        return NULL;
    }
    e = malloc(sizeof *e);
    char *k = e ? strdup(key) : NULL;
    if (!k) {
        free(e);
        *err = K8S_ENOMEM;
        return NULL;
    }
    size_t i = hash(key) % s->nbuckets;
    *e = (struct k8s_store_entry){k, obj, s->buckets[i]};
    s->buckets[i] = e;
    s->count++;
    return NULL;
}

cJSON *k8s_store_take(struct k8s_store *s, const char *key)
{
    if (!s->nbuckets)
        return NULL;
    struct k8s_store_entry **pp = &s->buckets[hash(key) % s->nbuckets];
    for (; *pp; pp = &(*pp)->next) {
        struct k8s_store_entry *e = *pp;
        if (strcmp(e->key, key) != 0)
            continue;
        *pp = e->next;
        cJSON *obj = e->obj;
        free(e->key);
        free(e);
        s->count--;
        return obj;
    }
    return NULL;
}

void k8s_store_foreach(const struct k8s_store *s, void (*fn)(void *arg, struct k8s_store_entry *e),
                       void *arg)
{
    for (size_t i = 0; i < s->nbuckets; i++)
        for (struct k8s_store_entry *e = s->buckets[i]; e; e = e->next)
            fn(arg, e);
}
