/*
 * k8s_store: the informer's hash table of objects keyed "namespace/name".
 * Separate chaining, doubled when the load passes 1. The store owns its
 * keys and objects (cJSON trees): k8s_store_put takes the object,
 * k8s_store_take hands it back, k8s_store_free deletes what is left.
 */
#ifndef K8S_STORE_H
#define K8S_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "k8s_error.h"

struct k8s_store_entry {
    char *key;
    cJSON *obj;
    struct k8s_store_entry *next;
};

struct k8s_store {
    struct k8s_store_entry **buckets;
    size_t nbuckets, count;
};

void k8s_store_init(struct k8s_store *s);
void k8s_store_free(struct k8s_store *s);
/* Writes "ns/name" or "name" into a new string; NULL if the object has no
 * name or memory ran out. */
char *k8s_store_key(const char *ns, const char *name);
char *k8s_store_key_of(const cJSON *obj);
struct k8s_store_entry *k8s_store_find(const struct k8s_store *s, const char *key);
/* Takes obj; replaces and returns the previous object (caller frees), or
 * NULL. *err set to K8S_ENOMEM on failure (obj then still the caller's). */
cJSON *k8s_store_put(struct k8s_store *s, const char *key, cJSON *obj, enum k8s_status *err);
/* Removes key; returns its object (caller frees) or NULL. */
cJSON *k8s_store_take(struct k8s_store *s, const char *key);
void k8s_store_foreach(const struct k8s_store *s, void (*fn)(void *arg, struct k8s_store_entry *e),
                       void *arg);

#endif
