/*
 * pool_index: an open-addressing hash index from an inline string key to a
 * record, for the pool core's lookups (pods by name, sessions by id, key and
 * request id).
 *
 * The index stores pointers to records that the caller owns (slab entries);
 * the key is a NUL-terminated string inside each record at `key_off`. It never
 * owns or frees records. Linear probing with backward-shift deletion (no
 * tombstones), keyed SipHash so crafted keys cannot force long probes. The
 * table is allocated once at the size given to pool_index_init() (at least
 * twice the most entries the caller will insert) and never grows on its own;
 * pool_index_resize() rebuilds it and is only called outside the claim path.
 *
 * Callers: pool.c and its siblings.
 */
#ifndef PREWARM_POOL_INDEX_H
#define PREWARM_POOL_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool_index_entry {
    uint64_t hash;
    void *rec; /* NULL = empty */
};

struct pool_index {
    struct pool_index_entry *slots; /* owned, freed by pool_index_free() */
    uint32_t mask;                  /* capacity - 1 */
    uint32_t count;
    size_t key_off;
    uint64_t sipkey[2];
};

/* Sizes the table to the next power of two >= 2 * max_entries. Returns false
 * when the allocation fails. */
bool pool_index_init(struct pool_index *idx, uint32_t max_entries, size_t key_off,
                     const uint64_t sipkey[2]);
bool pool_index_resize(struct pool_index *idx, uint32_t max_entries);
void pool_index_free(struct pool_index *idx);

void *pool_index_find(const struct pool_index *idx, const char *key);
/* The caller guarantees the key is not present and the table is not full. */
void pool_index_insert(struct pool_index *idx, void *rec);

/* The same with the key's hash computed once by the caller, for a lookup
 * followed by an insert of the same key. */
uint64_t pool_index_hash(const struct pool_index *idx, const char *key);
void *pool_index_find_hashed(const struct pool_index *idx, const char *key, uint64_t hash);
void pool_index_insert_hashed(struct pool_index *idx, void *rec, uint64_t hash);
/* Removes rec if present. */
void pool_index_remove(struct pool_index *idx, void *rec);

#endif
