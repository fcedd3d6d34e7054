/*
 * api_claim: the claim body parser of POST /v1/pools/{pool}/claims.
 *
 * Pure: bytes in, fields or an HTTP error out; no I/O, no pool access, so
 * unit tests and the fuzzer (fuzz/fuzz_api.c) drive it directly. The body is
 * optional (empty = defaults); when present it must be a JSON object with
 * only these fields:
 *   key, request_id  string <= API_KEY_MAX bytes, or null (= none)
 *   ttl_seconds      integer 1..2^32-1 (0 = pool default is not accepted)
 *   wait_ms          integer 0..API_WAIT_MS_MAX
 *   metadata         object or null (accepted, not interpreted)
 * The body must pass json_strict.h first: exactly one JSON value, valid
 * UTF-8, no NUL in strings, no duplicate fields at any depth. Wrong JSON,
 * wrong types, unknown fields and over-long strings are 400 BadRequest;
 * well-typed values out of range are 422 Invalid.
 *
 * Ownership: on success the strings in *args point into *root, which the
 * caller frees with cJSON_Delete() (also on error; NULL is fine).
 * Callers: api_claims.c, tests/src/api/test_api_claim.c, fuzz/fuzz_api.c.
 */
#ifndef PREWARM_API_CLAIM_H
#define PREWARM_API_CLAIM_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define API_WAIT_MS_MAX 30000
#define API_KEY_MAX     128 /* key and request_id, in bytes */

struct api_claim_args {
    const char *key;        /* NULL = none */
    const char *request_id; /* NULL = none */
    uint32_t ttl_seconds;   /* 0 = pool default */
    uint32_t wait_ms;       /* 0 = do not wait */
};

struct api_claim_error {
    int status;         /* 400 or 422 */
    const char *reason; /* "BadRequest" or "Invalid" */
    char message[256];  /* names the field */
};

/* Returns 0 with *args filled, or the HTTP status with *err filled. */
int api_claim_parse(const char *body, size_t len, cJSON **root, struct api_claim_args *args,
                    struct api_claim_error *err);

#endif
