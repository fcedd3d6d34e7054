/* api_claim: claim body parser (see api_claim.h). */
#include "api_claim.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json_strict.h"
#include "pool.h"

/* Reads a non-negative integer field; returns 0, or the HTTP status. */
static int get_count(const cJSON *item, uint32_t max, uint32_t *out, const char **msg)
{
    if (!cJSON_IsNumber(item)) {
        *msg = "must be a number";
        return 400;
    }
    double v = item->valuedouble;
    if (!isfinite(v) || v != floor(v) || v < 0 || v > max) {
        *msg = "out of range";
        return 422;
    }
    *out = (uint32_t)v;
    return 0;
}

static int get_string(const cJSON *it, const char **out, const char **msg)
{
    if (cJSON_IsNull(it)) {
        *out = NULL;
        return 0;
    }
    if (!cJSON_IsString(it)) {
        *msg = "must be a string";
        return 400;
    }
    if (strlen(it->valuestring) > API_KEY_MAX) {
        *msg = "longer than 128 bytes";
        return 400;
    }
    *out = it->valuestring;
    return 0;
}

/* Checks one field of the claim body; returns 0 or the HTTP status. */
static int claim_field(const cJSON *it, struct api_claim_args *a, const char **msg)
{
    const char *name = it->string;
    if (!strcmp(name, "key"))
        return get_string(it, &a->key, msg);
    if (!strcmp(name, "request_id"))
        return get_string(it, &a->request_id, msg);
    if (!strcmp(name, "ttl_seconds")) {
        int st = get_count(it, UINT32_MAX, &a->ttl_seconds, msg);
        if (!st && !a->ttl_seconds) {
            *msg = "must be at least 1";
            st = 422;
        }
        return st;
    }
    if (!strcmp(name, "wait_ms"))
        return get_count(it, API_WAIT_MS_MAX, &a->wait_ms, msg);
    if (!strcmp(name, "metadata")) {
        *msg = "must be an object";
        return cJSON_IsObject(it) || cJSON_IsNull(it) ? 0 : 400;
    }
    *msg = "unknown field";
    return 400;
}

static int fail(struct api_claim_error *err, int status, const char *field, const char *msg)
{
    err->status = status;
    err->reason = status == 400 ? "BadRequest" : "Invalid";
    if (field)
        snprintf(err->message, sizeof err->message, "%.64s: %s", field, msg);
    else
        snprintf(err->message, sizeof err->message, "%s", msg);
    return status;
}

int api_claim_parse(const char *body, size_t len, cJSON **root, struct api_claim_args *args,
                    struct api_claim_error *err)
{
    *args = (struct api_claim_args){0};
    *root = NULL;
    if (len == 0)
        return 0;
    struct json_strict_error jerr;
    if (json_strict_check(body, len, JSON_STRICT_DEPTH_DEFAULT, &jerr)) {
        err->status = 400;
        err->reason = "BadRequest";
        snprintf(err->message, sizeof err->message, "malformed JSON at byte %zu: %s", jerr.offset,
                 jerr.message);
        return 400;
    }
    *root = cJSON_ParseWithLength(body, len);
    if (!*root || !cJSON_IsObject(*root))
        return fail(err, 400, NULL, "the body must be a JSON object");
    const char *dup = json_strict_duplicates(*root);
    if (dup)
        return fail(err, 400, dup, "duplicate field");
    for (const cJSON *it = (*root)->child; it; it = it->next) {
        const char *msg = "";
        int st = claim_field(it, args, &msg);
        if (st)
            return fail(err, st, it->string, msg);
    }
    return 0;
}
