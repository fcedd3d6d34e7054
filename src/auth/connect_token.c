/* connect_token: HMAC-SHA256 signed session tokens (see connect_token.h). */
#include "connect_token.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAC_LEN     32
#define MAC_B64_LEN 43 /* ceil(32 * 4 / 3) without padding */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const char *connect_token_status_str(enum connect_token_status st)
{
    switch (st) {
    case CONNECT_TOKEN_OK:
        return "ok";
    case CONNECT_TOKEN_MALFORMED:
        return "malformed token";
    case CONNECT_TOKEN_BAD_MAC:
        return "bad signature";
    case CONNECT_TOKEN_WRONG_POD:
        return "token issued for another backend";
    case CONNECT_TOKEN_EXPIRED:
        return "token expired";
    }
    return "unknown";
}

void connect_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg, size_t msg_len,
                         uint8_t mac[32])
{
    unsigned int n = MAC_LEN;
    if (!HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, mac, &n))
        memset(mac, 0, MAC_LEN); /* only on allocation failure inside OpenSSL */
}

/* Encodes n bytes; returns the length written (no NUL). out has room. */
static size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
        out[o++] = b64url[v & 63];
    }
    if (n - i == 1) {
        out[o++] = b64url[in[i] >> 2];
        out[o++] = b64url[(in[i] & 3) << 4];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];
        out[o++] = b64url[v >> 10];
        out[o++] = b64url[v >> 4 & 63];
        out[o++] = b64url[(v & 15) << 2];
    }
    return o;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64url, c) : NULL;
    return p ? (int)(p - b64url) : -1;
}

/* Decodes n characters into out (cap bytes); returns the length or -1. */
static long b64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    if (n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap)
                return -1;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (acc & ((1u << bits) - 1))
        return -1; /* non-canonical: leftover bits must be zero */
    return (long)o;
}

static bool field_ok(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    return n > 0 && n <= max && !memchr(s, '|', n);
}

size_t connect_token_sign(const uint8_t *key, size_t key_len, const struct connect_claims *c,
                          char *out, size_t out_len)
{
    char payload[CONNECT_SESSION_MAX + CONNECT_POOL_MAX + CONNECT_POD_MAX + 48];
    uint8_t mac[MAC_LEN];
    if (!field_ok(c->session_id, CONNECT_SESSION_MAX) || !field_ok(c->pool, CONNECT_POOL_MAX) ||
        !field_ok(c->pod, CONNECT_POD_MAX) || out_len < CONNECT_TOKEN_MAX + 1)
        return 0;
    int n = snprintf(payload, sizeof payload, "%s|%s|%s|%" PRIu64 "|%" PRIu64, c->session_id,
                     c->pool, c->pod, c->expires_unix, c->epoch);
    size_t len = 3;
    memcpy(out, "v1.", 3);
    len += b64_encode((const uint8_t *)payload, (size_t)n, out + len);
    connect_hmac_sha256(key, key_len, out, len, mac);
    out[len++] = '.';
    len += b64_encode(mac, MAC_LEN, out + len);
    out[len] = '\0';
    return len;
}

static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* Copies field f[0..len) into out (cap bytes with the NUL); false if empty,
 * too long or holding a NUL. */
static bool copy_field(const char *f, size_t len, char *out, size_t cap)
{
    if (!len || len >= cap || memchr(f, 0, len))
        return false;
    memcpy(out, f, len);
    out[len] = '\0';
    return true;
}

/* Splits "session|pool|pod|expires|epoch" into *c. */
static bool parse_payload(const char *p, size_t n, struct connect_claims *c)
{
    const char *end = p + n, *f[5];
    size_t len[5];
    for (int i = 0; i < 5; i++) {
        const char *bar = i < 4 ? memchr(p, '|', (size_t)(end - p)) : end;
        if (!bar)
            return false;
        f[i] = p;
        len[i] = (size_t)(bar - p);
        p = bar + 1;
    }
    return !memchr(f[4], '|', len[4]) &&
           copy_field(f[0], len[0], c->session_id, sizeof c->session_id) &&
           copy_field(f[1], len[1], c->pool, sizeof c->pool) &&
           copy_field(f[2], len[2], c->pod, sizeof c->pod) &&
           parse_u64(f[3], len[3], &c->expires_unix) && parse_u64(f[4], len[4], &c->epoch);
}

enum connect_token_status connect_token_verify(const uint8_t *key, size_t key_len,
                                               const char *token, size_t len, const char *pool,
                                               const char *pod, uint64_t now_unix,
                                               struct connect_claims *out)
{
    uint8_t mac[MAC_LEN], given[MAC_LEN];
    char payload[CONNECT_TOKEN_MAX];
    if (len > CONNECT_TOKEN_MAX || len < 3 + 1 + MAC_B64_LEN || memcmp(token, "v1.", 3))
        return CONNECT_TOKEN_MALFORMED;
    size_t signed_len = len - MAC_B64_LEN - 1;
    if (token[signed_len] != '.' ||
        b64_decode(token + signed_len + 1, MAC_B64_LEN, given, sizeof given) != MAC_LEN)
        return CONNECT_TOKEN_MALFORMED;
    connect_hmac_sha256(key, key_len, token, signed_len, mac);
    if (CRYPTO_memcmp(mac, given, MAC_LEN) != 0)
        return CONNECT_TOKEN_BAD_MAC;
    long n = b64_decode(token + 3, signed_len - 3, (uint8_t *)payload, sizeof payload);
    if (n < 0 || !parse_payload(payload, (size_t)n, out))
        return CONNECT_TOKEN_MALFORMED;
    if ((pool && strcmp(pool, out->pool) != 0) || (pod && strcmp(pod, out->pod) != 0))
        return CONNECT_TOKEN_WRONG_POD;
    if (out->expires_unix <= now_unix)
        return CONNECT_TOKEN_EXPIRED;
    return CONNECT_TOKEN_OK;
}

size_t connect_key_load(const char *path, uint8_t key[CONNECT_KEY_MAX], char *err, size_t err_len)
{
    uint8_t tmp[CONNECT_KEY_MAX + 2];
    FILE *f = fopen(path, "rbe");
    if (!f) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return 0;
    }
    size_t n = fread(tmp, 1, sizeof tmp, f);
    bool bad = ferror(f);
    fclose(f);
    if (n > 0 && tmp[n - 1] == '\n')
        n--;
    bool printable = true;
    for (size_t i = 0; i < n; i++)
        printable = printable && tmp[i] > ' ' && tmp[i] <= '~';
    if (bad || n < CONNECT_KEY_MIN || n > CONNECT_KEY_MAX || !printable) {
        snprintf(err, err_len, "%s: a connect key must be %d to %d printable ASCII bytes", path,
                 CONNECT_KEY_MIN, CONNECT_KEY_MAX);
        OPENSSL_cleanse(tmp, sizeof tmp);
        return 0;
    }
    memcpy(key, tmp, n);
    OPENSSL_cleanse(tmp, sizeof tmp);
    return n;
}
