/*
 * addr_limit: open connections per client address, so that one address
 * cannot take every connection slot of a listener.
 *
 * Addresses are 16-byte keys (IPv4 as ::ffff:a.b.c.d). The table holds an
 * entry only while its address has connections, so it never holds more than
 * the listener's max_connections entries; it is sized for that once
 * (power of two, at most half full), uses linear probing with backward-shift
 * deletion (no tombstones), and hashes with a per-process random seed so
 * that a client cannot pick addresses that collide.
 *
 * Ownership: addr_limit_new allocates, addr_limit_free frees. Pure apart from
 * the allocation. Callers: src/http/http_server.c, tests/src/test_addr_limit.c.
 */
#ifndef PREWARM_ADDR_LIMIT_H
#define PREWARM_ADDR_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct addr_key {
    uint8_t b[16];
};

struct addr_limit;

/* max_entries: the most addresses with connections at once (the listener's
 * connection cap); per_addr: connections allowed per address (0 = no limit).
 * Returns NULL on allocation failure. */
struct addr_limit *addr_limit_new(size_t max_entries, uint32_t per_addr, uint64_t seed);

/* The key of a peer address (AF_INET or AF_INET6; anything else maps to
 * the all-zero key, one shared bucket). */
struct addr_key addr_key_of(const struct sockaddr *sa);

/* Counts one more connection from k: true, or false (nothing counted) when
 * k is at its limit or the table is full. */
bool addr_limit_acquire(struct addr_limit *l, const struct addr_key *k);
/* Counts one connection from k less (it must have been acquired). */
void addr_limit_release(struct addr_limit *l, const struct addr_key *k);
/* Connections counted for k now. */
uint32_t addr_limit_count(const struct addr_limit *l, const struct addr_key *k);

void addr_limit_free(struct addr_limit *l);

#endif
