/*
 * pool_rng: ChaCha20 block function (RFC 8439, section 2.3) and the id
 * generator built on it, plus SipHash-2-4 for the hash indexes.
 *
 * The pool core may not make system calls, so it cannot call getrandom().
 * The caller seeds the generator once with 32 unpredictable bytes; the
 * generator then runs ChaCha20 in counter mode with the seed as key and hands
 * out the keystream. Output is unpredictable to anyone who does not know the
 * seed; the state lives in the pool set's memory, which holds the live tokens
 * anyway, so no forward secrecy is attempted.
 *
 * The keystream is made four blocks at a time into a buffer, and
 * pool_rng_prepare() tops the buffer up ahead of use, so a caller with idle
 * time can keep the ChaCha20 rounds off its latency path (a claim takes 48
 * bytes). Bytes handed out are erased from the buffer.
 *
 * Ownership: struct pool_rng is a plain value embedded by its user; nothing
 * is allocated. Callers: pool.c (session ids, tokens, hash keys), tests.
 */
#ifndef PREWARM_POOL_RNG_H
#define PREWARM_POOL_RNG_H

#include <stddef.h>
#include <stdint.h>

/* One ChaCha20 block: key as 8 little-endian words, 32-bit block counter,
 * nonce as 3 little-endian words; 64 bytes of keystream out. */
void pool_chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                         uint8_t out[64]);

#define POOL_RNG_BUF 256 /* four blocks */

struct pool_rng {
    uint32_t used; /* bytes of buf already handed out */
    uint32_t key[8];
    uint64_t block; /* next block number (low word counter, high word nonce[0]) */
    uint8_t buf[POOL_RNG_BUF];
};

void pool_rng_init(struct pool_rng *rng, const uint8_t seed[32]);
void pool_rng_bytes(struct pool_rng *rng, void *out, size_t len);
uint64_t pool_rng_u64(struct pool_rng *rng);

/* Writes len random bytes as 2*len lowercase hex digits plus a NUL. */
void pool_rng_hex(struct pool_rng *rng, char *out, size_t len);

/* Makes sure at least `need` (<= POOL_RNG_BUF) bytes are buffered: when
 * fewer are left, erases them and makes a fresh buffer. The stream stays
 * unpredictable; it is not the same stream as without the call. */
void pool_rng_prepare(struct pool_rng *rng, size_t need);

/* SipHash-2-4 of data under the 128-bit key k. */
uint64_t pool_siphash(const uint64_t k[2], const void *data, size_t len);

#endif
