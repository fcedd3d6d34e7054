#include "pool_index.h"

#include <stdlib.h>
#include <string.h>

#include "pool_prefault.h"
#include "pool_rng.h"

static const char *key_of(const struct pool_index *idx, const void *rec)
{
    return (const char *)rec + idx->key_off;
}

static uint64_t hash_key(const struct pool_index *idx, const char *key)
{
    return pool_siphash(idx->sipkey, key, strlen(key));
}

static uint32_t table_size(uint32_t max_entries)
{
    uint32_t size = 8;
    while (size < 2 * (uint64_t)max_entries && size < (1u << 31))
        size <<= 1;
    return size;
}

bool pool_index_init(struct pool_index *idx, uint32_t max_entries, size_t key_off,
                     const uint64_t sipkey[2])
{
    uint32_t size = table_size(max_entries);
    idx->slots = calloc(size, sizeof(*idx->slots));
    if (!idx->slots)
        return false;
    pool_prefault(idx->slots, size * sizeof(*idx->slots));
    idx->mask = size - 1;
    idx->count = 0;
    idx->key_off = key_off;
    idx->sipkey[0] = sipkey[0];
    idx->sipkey[1] = sipkey[1];
    return true;
}

static void place(struct pool_index *idx, uint64_t hash, void *rec)
{
    uint32_t i = (uint32_t)hash & idx->mask;
    while (idx->slots[i].rec)
        i = (i + 1) & idx->mask;
    idx->slots[i].hash = hash;
    idx->slots[i].rec = rec;
    idx->count++;
}

bool pool_index_resize(struct pool_index *idx, uint32_t max_entries)
{
    uint32_t size = table_size(max_entries);
    if (size <= idx->mask + 1)
        return true;
    struct pool_index_entry *old = idx->slots;
    uint32_t old_size = idx->mask + 1;
    idx->slots = calloc(size, sizeof(*idx->slots));
    if (!idx->slots) {
        idx->slots = old;
        return false;
    }
    pool_prefault(idx->slots, size * sizeof(*idx->slots));
    idx->mask = size - 1;
    idx->count = 0;
    for (uint32_t i = 0; i < old_size; i++)
        if (old[i].rec)
            place(idx, old[i].hash, old[i].rec);
    free(old);
    return true;
}

void pool_index_free(struct pool_index *idx)
{
    free(idx->slots);
    idx->slots = NULL;
    idx->count = 0;
}

uint64_t pool_index_hash(const struct pool_index *idx, const char *key)
{
    return hash_key(idx, key);
}

void *pool_index_find(const struct pool_index *idx, const char *key)
{
    return pool_index_find_hashed(idx, key, hash_key(idx, key));
}

void *pool_index_find_hashed(const struct pool_index *idx, const char *key, uint64_t hash)
{
    for (uint32_t i = (uint32_t)hash & idx->mask;; i = (i + 1) & idx->mask) {
        const struct pool_index_entry *e = &idx->slots[i];
        if (!e->rec)
            return NULL;
        if (e->hash == hash && strcmp(key_of(idx, e->rec), key) == 0)
            return e->rec;
    }
}

void pool_index_insert(struct pool_index *idx, void *rec)
{
    place(idx, hash_key(idx, key_of(idx, rec)), rec);
}

void pool_index_insert_hashed(struct pool_index *idx, void *rec, uint64_t hash)
{
    place(idx, hash, rec);
}

/* Backward-shift deletion: move later entries of the probe run into the hole
 * when their home slot does not lie (cyclically) between the hole and them. */
static void shift_back(struct pool_index *idx, uint32_t hole)
{
    for (uint32_t j = (hole + 1) & idx->mask;; j = (j + 1) & idx->mask) {
        struct pool_index_entry *e = &idx->slots[j];
        if (!e->rec)
            break;
        uint32_t home = (uint32_t)e->hash & idx->mask;
        bool stays = (j > hole) ? (home > hole && home <= j) : (home > hole || home <= j);
        if (stays)
            continue;
        idx->slots[hole] = *e;
        e->rec = NULL;
        hole = j;
    }
}

void pool_index_remove(struct pool_index *idx, void *rec)
{
    uint64_t hash = hash_key(idx, key_of(idx, rec));
    for (uint32_t i = (uint32_t)hash & idx->mask;; i = (i + 1) & idx->mask) {
        struct pool_index_entry *e = &idx->slots[i];
        if (!e->rec)
            return;
        if (e->rec == rec) {
            e->rec = NULL;
            idx->count--;
            shift_back(idx, i);
            return;
        }
    }
}
