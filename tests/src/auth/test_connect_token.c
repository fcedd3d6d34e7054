/* Connect tokens: HMAC-SHA256 against RFC 4231, sign/verify round trips,
 * and every way a token can be wrong. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "connect_token.h"

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void check_hmac(const uint8_t *key, size_t klen, const void *msg, size_t mlen,
                       const char *want)
{
    uint8_t mac[32];
    char got[65];
    connect_hmac_sha256(key, klen, msg, mlen, mac);
    hex(mac, 32, got);
    cr_assert_str_eq(got, want);
}

Test(hmac, rfc4231_test_cases_1_to_4_6_7)
{
    uint8_t k[131], d[50];
    memset(k, 0x0b, 20);
    check_hmac(k, 20, "Hi There", 8,
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    check_hmac((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28,
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(k, 0xaa, 20);
    memset(d, 0xdd, 50);
    check_hmac(k, 20, d, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++)
        k[i] = (uint8_t)(i + 1);
    memset(d, 0xcd, 50);
    check_hmac(k, 25, d, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(k, 0xaa, 131);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    check_hmac(k, 131, m6, strlen(m6),
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    const char *m7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the "
                     "HMAC algorithm.";
    check_hmac(k, 131, m7, strlen(m7),
               "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static const uint8_t key[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t other_key[32] = "fedcba9876543210fedcba9876543210";

static size_t sign(char *tok)
{
    struct connect_claims c = {.session_id = "s-00112233445566778899aabbccddeeff",
                               .pool = "demo",
                               .pod = "local-7",
                               .expires_unix = 2000000000,
                               .epoch = 3};
    return connect_token_sign(key, sizeof key, &c, tok, CONNECT_TOKEN_MAX + 1);
}

Test(connect_token, round_trip)
{
    char tok[CONNECT_TOKEN_MAX + 1];
    size_t n = sign(tok);
    cr_assert_gt(n, 0);
    cr_assert_eq(strncmp(tok, "v1.", 3), 0);
    struct connect_claims out;
    cr_assert_eq(connect_token_verify(key, sizeof key, tok, n, "demo", "local-7", 1900000000, &out),
                 CONNECT_TOKEN_OK);
    cr_assert_str_eq(out.session_id, "s-00112233445566778899aabbccddeeff");
    cr_assert_str_eq(out.pool, "demo");
    cr_assert_str_eq(out.pod, "local-7");
    cr_assert_eq(out.expires_unix, 2000000000);
    cr_assert_eq(out.epoch, 3);
}

Test(connect_token, refuses_other_key_other_pod_expired_and_tampering)
{
    char tok[CONNECT_TOKEN_MAX + 1];
    size_t n = sign(tok);
    struct connect_claims out;
    cr_assert_eq(connect_token_verify(other_key, 32, tok, n, NULL, NULL, 0, &out),
                 CONNECT_TOKEN_BAD_MAC);
    cr_assert_eq(connect_token_verify(key, 32, tok, n, "demo", "local-8", 0, &out),
                 CONNECT_TOKEN_WRONG_POD);
    cr_assert_eq(connect_token_verify(key, 32, tok, n, "other", "local-7", 0, &out),
                 CONNECT_TOKEN_WRONG_POD);
    cr_assert_eq(connect_token_verify(key, 32, tok, n, "demo", "local-7", 2000000000, &out),
                 CONNECT_TOKEN_EXPIRED);
    for (size_t i = 3; i < n; i++) { /* any altered character is caught */
        char copy[CONNECT_TOKEN_MAX + 1];
        memcpy(copy, tok, n + 1);
        copy[i] = copy[i] == 'A' ? 'B' : 'A';
        cr_assert_neq(connect_token_verify(key, 32, copy, n, NULL, NULL, 0, &out), CONNECT_TOKEN_OK,
                      "altered at %zu", i);
    }
    cr_assert_eq(connect_token_verify(key, 32, tok, n - 1, NULL, NULL, 0, &out),
                 CONNECT_TOKEN_MALFORMED);
    cr_assert_eq(connect_token_verify(key, 32, "x", 1, NULL, NULL, 0, &out),
                 CONNECT_TOKEN_MALFORMED);
    cr_assert_eq(connect_token_verify(key, 32, "", 0, NULL, NULL, 0, &out),
                 CONNECT_TOKEN_MALFORMED);
}

Test(connect_token, refuses_fields_with_separators)
{
    char tok[CONNECT_TOKEN_MAX + 1];
    struct connect_claims c = {.session_id = "s-1", .pool = "p", .pod = "a|b", .expires_unix = 1};
    cr_assert_eq(connect_token_sign(key, 32, &c, tok, sizeof tok), 0);
    struct connect_claims e = {.session_id = "", .pool = "p", .pod = "p", .expires_unix = 1};
    cr_assert_eq(connect_token_sign(key, 32, &e, tok, sizeof tok), 0);
}

Test(connect_token, key_file_bounds)
{
    char path[] = "/tmp/prewarm-key-XXXXXX", err[256];
    uint8_t k[CONNECT_KEY_MAX];
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("short\n", f);
    fflush(f);
    cr_assert_eq(connect_key_load(path, k, err, sizeof err), 0);
    cr_assert(strstr(err, path));
    rewind(f);
    fputs("0123456789abcdef0123456789abcdef\n", f);
    fclose(f);
    cr_assert_eq(connect_key_load(path, k, err, sizeof err), 32);
    cr_assert_eq(memcmp(k, key, 32), 0);
    unlink(path);
    cr_assert_eq(connect_key_load(path, k, err, sizeof err), 0);
}
