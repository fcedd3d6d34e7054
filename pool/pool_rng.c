#include "pool_rng.h"

#include <string.h>

static uint32_t rotl32(uint32_t v, int n)
{
    return (v << n) | (v >> (32 - n));
}

static uint32_t load32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#define QUARTER(a, b, c, d)                                                                        \
    do {                                                                                           \
        a += b;                                                                                    \
        d = rotl32(d ^ a, 16);                                                                     \
        c += d;                                                                                    \
        b = rotl32(b ^ c, 12);                                                                     \
        a += b;                                                                                    \
        d = rotl32(d ^ a, 8);                                                                      \
        c += d;                                                                                    \
        b = rotl32(b ^ c, 7);                                                                      \
    } while (0)

void pool_chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                         uint8_t out[64])
{
    uint32_t in[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
    memcpy(&in[4], key, 8 * sizeof(uint32_t));
    in[12] = counter;
    in[13] = nonce[0];
    in[14] = nonce[1];
    in[15] = nonce[2];
    uint32_t x[16];
    memcpy(x, in, sizeof(x));
    for (int i = 0; i < 10; i++) {
        QUARTER(x[0], x[4], x[8], x[12]);
        QUARTER(x[1], x[5], x[9], x[13]);
        QUARTER(x[2], x[6], x[10], x[14]);
        QUARTER(x[3], x[7], x[11], x[15]);
        QUARTER(x[0], x[5], x[10], x[15]);
        QUARTER(x[1], x[6], x[11], x[12]);
        QUARTER(x[2], x[7], x[8], x[13]);
        QUARTER(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        store32(out + 4 * i, x[i] + in[i]);
}

void pool_rng_init(struct pool_rng *rng, const uint8_t seed[32])
{
    for (int i = 0; i < 8; i++)
        rng->key[i] = load32(seed + 4 * i);
    rng->block = 0;
    rng->used = sizeof(rng->buf);
}

static void refill(struct pool_rng *rng)
{
    for (size_t at = 0; at < sizeof(rng->buf); at += 64) {
        const uint32_t nonce[3] = {(uint32_t)(rng->block >> 32), 0x70726577 /* "prew" */, 0};
        pool_chacha20_block(rng->key, (uint32_t)rng->block, nonce, rng->buf + at);
        rng->block++;
    }
    rng->used = 0;
}

/* The next n (> 0) buffered bytes, at most what is left; they count as used
 * once the caller has read them and erased them. */
static uint8_t *take(struct pool_rng *rng, size_t *n)
{
    if (rng->used == sizeof(rng->buf))
        refill(rng);
    size_t left = sizeof(rng->buf) - rng->used;
    if (*n > left)
        *n = left;
    uint8_t *p = rng->buf + rng->used;
    rng->used += (uint32_t)*n;
    return p;
}

void pool_rng_bytes(struct pool_rng *rng, void *out, size_t len)
{
    uint8_t *p = out;
    while (len > 0) {
        size_t n = len;
        uint8_t *src = take(rng, &n);
        memcpy(p, src, n);
        /* Erase what was handed out so a later memory dump cannot replay it. */
        memset(src, 0, n);
        p += n;
        len -= n;
    }
}

uint64_t pool_rng_u64(struct pool_rng *rng)
{
    uint8_t b[8];
    pool_rng_bytes(rng, b, sizeof(b));
    return (uint64_t)load32(b) | (uint64_t)load32(b + 4) << 32;
}

/* Hex straight from the buffer: no copy of the secret bytes elsewhere. */
void pool_rng_hex(struct pool_rng *rng, char *out, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    while (len > 0) {
        size_t n = len;
        uint8_t *src = take(rng, &n);
        for (size_t i = 0; i < n; i++) {
            *out++ = digits[src[i] >> 4];
            *out++ = digits[src[i] & 15];
        }
        memset(src, 0, n);
        len -= n;
    }
    *out = '\0';
}

void pool_rng_prepare(struct pool_rng *rng, size_t need)
{
    size_t left = sizeof(rng->buf) - rng->used;
    if (left >= need)
        return;
    memset(rng->buf + rng->used, 0, left);
    refill(rng);
}

static uint64_t rotl64(uint64_t v, int n)
{
    return (v << n) | (v >> (64 - n));
}

#define SIPROUND(v0, v1, v2, v3)                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = rotl64(v1, 13);                                                                       \
        v1 ^= v0;                                                                                  \
        v0 = rotl64(v0, 32);                                                                       \
        v2 += v3;                                                                                  \
        v3 = rotl64(v3, 16);                                                                       \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = rotl64(v3, 21);                                                                       \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = rotl64(v1, 17);                                                                       \
        v1 ^= v2;                                                                                  \
        v2 = rotl64(v2, 32);                                                                       \
    } while (0)

static uint64_t load64(const uint8_t *p)
{
    return (uint64_t)load32(p) | (uint64_t)load32(p + 4) << 32;
}

uint64_t pool_siphash(const uint64_t k[2], const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t v0 = k[0] ^ 0x736f6d6570736575ULL;
    uint64_t v1 = k[1] ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k[0] ^ 0x6c7967656e657261ULL;
    uint64_t v3 = k[1] ^ 0x7465646279746573ULL;
    size_t whole = len & ~(size_t)7;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = load64(p + i);
        v3 ^= m;
        SIPROUND(v0, v1, v2, v3);
        SIPROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    uint64_t last = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++)
        last |= (uint64_t)p[whole + i] << (8 * i);
    v3 ^= last;
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    for (int i = 0; i < 4; i++)
        SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}
