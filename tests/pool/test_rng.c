/* ChaCha20 block function, SipHash and the id generator. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../pool/pool_rng.h"

static void le_words(const uint8_t *bytes, uint32_t *words, int n)
{
    for (int i = 0; i < n; i++)
        words[i] = (uint32_t)bytes[4 * i] | (uint32_t)bytes[4 * i + 1] << 8 |
                   (uint32_t)bytes[4 * i + 2] << 16 | (uint32_t)bytes[4 * i + 3] << 24;
}

/* RFC 8439 section 2.3.2: key 00..1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00,
 * block count 1. */
Test(chacha20, rfc8439_block_vector)
{
    uint8_t key_bytes[32], nonce_bytes[12] = {0, 0, 0, 9, 0, 0, 0, 0x4a, 0, 0, 0, 0};
    for (int i = 0; i < 32; i++)
        key_bytes[i] = (uint8_t)i;
    uint32_t key[8], nonce[3];
    le_words(key_bytes, key, 8);
    le_words(nonce_bytes, nonce, 3);
    static const uint8_t want[64] = {
        0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3,
        0x20, 0x71, 0xc4, 0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03, 0x04, 0x22,
        0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e, 0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa,
        0x09, 0x14, 0xc2, 0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2, 0xb5, 0x12, 0x9c, 0xd1,
        0xde, 0x16, 0x4e, 0xb9, 0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e,
    };
    uint8_t out[64];
    pool_chacha20_block(key, 1, nonce, out);
    cr_assert_arr_eq(out, want, 64);
}

/* RFC 8439 appendix A.1, test vector #1: all-zero key, nonce and counter. */
Test(chacha20, rfc8439_zero_vector)
{
    static const uint8_t want[64] = {
        0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53,
        0x86, 0xbd, 0x28, 0xbd, 0xd2, 0x19, 0xb8, 0xa0, 0x8d, 0xed, 0x1a, 0xa8, 0x36,
        0xef, 0xcc, 0x8b, 0x77, 0x0d, 0xc7, 0xda, 0x41, 0x59, 0x7c, 0x51, 0x57, 0x48,
        0x8d, 0x77, 0x24, 0xe0, 0x3f, 0xb8, 0xd8, 0x4a, 0x37, 0x6a, 0x43, 0xb8, 0xf4,
        0x15, 0x18, 0xa1, 0x1c, 0xc3, 0x87, 0xb6, 0x69, 0xb2, 0xee, 0x65, 0x86,
    };
    uint32_t key[8] = {0}, nonce[3] = {0};
    uint8_t out[64];
    pool_chacha20_block(key, 0, nonce, out);
    cr_assert_arr_eq(out, want, 64);
}

/* SipHash-2-4 reference vectors: key 00..0f, messages 00..(n-1). */
Test(siphash, reference_vectors)
{
    uint8_t kb[16], msg[15];
    for (int i = 0; i < 16; i++)
        kb[i] = (uint8_t)i;
    for (int i = 0; i < 15; i++)
        msg[i] = (uint8_t)i;
    uint64_t k[2];
    memcpy(&k[0], kb, 8); /* little-endian host assumed, as on x86-64 and arm64 */
    memcpy(&k[1], kb + 8, 8);
    cr_assert_eq(pool_siphash(k, msg, 0), 0x726fdb47dd0e0e31ull);
    cr_assert_eq(pool_siphash(k, msg, 15), 0xa129ca6149be45e5ull);
}

Test(rng, same_seed_same_stream_different_seed_differs)
{
    uint8_t seed[32] = {1, 2, 3};
    struct pool_rng a, b, c;
    pool_rng_init(&a, seed);
    pool_rng_init(&b, seed);
    seed[31] = 9;
    pool_rng_init(&c, seed);
    uint8_t x[100], y[100], z[100];
    pool_rng_bytes(&a, x, 37);
    pool_rng_bytes(&a, x + 37, 63);
    pool_rng_bytes(&b, y, 100);
    pool_rng_bytes(&c, z, 100);
    cr_assert_arr_eq(x, y, 100, "split reads must give the same stream");
    cr_assert_arr_neq(x, z, 100);
}

Test(rng, hex_is_lowercase_and_balanced)
{
    uint8_t seed[32] = {42};
    struct pool_rng r;
    pool_rng_init(&r, seed);
    unsigned digits[16] = {0};
    char hex[65];
    for (int round = 0; round < 1000; round++) {
        pool_rng_hex(&r, hex, 32);
        cr_assert_eq(strlen(hex), 64);
        for (int i = 0; i < 64; i++) {
            const char *p = strchr("0123456789abcdef", hex[i]);
            cr_assert(p && *p, "bad digit %c", hex[i]);
            digits[p - "0123456789abcdef"]++;
        }
    }
    /* 64000 digits, 4000 expected per value; a broken generator is far off. */
    for (int d = 0; d < 16; d++)
        cr_assert(digits[d] > 3500 && digits[d] < 4500, "digit %d seen %u times", d, digits[d]);
}
