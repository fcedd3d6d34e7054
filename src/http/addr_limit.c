/* addr_limit: connections per client address (see addr_limit.h). */
#include "addr_limit.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    struct addr_key key;
    uint32_t count; /* 0 = empty */
};

struct addr_limit {
    struct slot *slots;
    size_t mask, used, max_entries;
    uint32_t per_addr;
    uint64_t seed;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static size_t home(const struct addr_limit *l, const struct addr_key *k)
{
    uint64_t a, b;
    memcpy(&a, k->b, 8);
    memcpy(&b, k->b + 8, 8);
    return (size_t)(mix(mix(a ^ l->seed) ^ b ^ (l->seed >> 7)) & l->mask);
}

struct addr_limit *addr_limit_new(size_t max_entries, uint32_t per_addr, uint64_t seed)
{
    struct addr_limit *l = calloc(1, sizeof *l);
    size_t cap = 16;
    while (cap < 2 * max_entries)
        cap *= 2;
    if (!l || !(l->slots = calloc(cap, sizeof *l->slots))) {
        free(l);
        return NULL;
    }
    l->mask = cap - 1;
    l->max_entries = max_entries ? max_entries : cap / 2;
    l->per_addr = per_addr;
    l->seed = seed;
    return l;
}

struct addr_key addr_key_of(const struct sockaddr *sa)
{
    struct addr_key k = {{0}};
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        k.b[10] = k.b[11] = 0xff;
        memcpy(k.b + 12, &in->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        memcpy(k.b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    }
    return k;
}

/* The slot holding k, or the empty slot where it would go. */
static struct slot *find(const struct addr_limit *l, const struct addr_key *k)
{
    for (size_t i = home(l, k);; i = (i + 1) & l->mask) {
        struct slot *s = &l->slots[i];
        if (!s->count || !memcmp(&s->key, k, sizeof *k))
            return s;
    }
}

bool addr_limit_acquire(struct addr_limit *l, const struct addr_key *k)
{
    struct slot *s = find(l, k);
    if (s->count) {
        if (l->per_addr && s->count >= l->per_addr)
            return false;
        s->count++;
        return true;
    }
    if (l->used >= l->max_entries)
        return false;
    s->key = *k;
    s->count = 1;
    l->used++;
    return true;
}

/* Backward-shift deletion: moves later members of the probe run into the
 * hole so that lookups never stop early at it. */
static void remove_slot(struct addr_limit *l, size_t hole)
{
    for (size_t i = (hole + 1) & l->mask; l->slots[i].count; i = (i + 1) & l->mask) {
        size_t h = home(l, &l->slots[i].key);
        /* Move i into the hole unless its home lies in (hole, i]. */
        bool stays = hole <= i ? (h > hole && h <= i) : (h > hole || h <= i);
        if (stays)
            continue;
        l->slots[hole] = l->slots[i];
        hole = i;
    }
    l->slots[hole].count = 0;
    l->used--;
}

void addr_limit_release(struct addr_limit *l, const struct addr_key *k)
{
    struct slot *s = find(l, k);
    if (!s->count)
        return;
    if (--s->count == 0) {
        s->count = 1; /* remove_slot clears it */
        remove_slot(l, (size_t)(s - l->slots));
    }
}

uint32_t addr_limit_count(const struct addr_limit *l, const struct addr_key *k)
{
    return find(l, k)->count;
}

void addr_limit_free(struct addr_limit *l)
{
    if (!l)
        return;
    free(l->slots);
    free(l);
}
