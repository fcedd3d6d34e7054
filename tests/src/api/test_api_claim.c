/* The claim body parser (src/api_claim.c): accepted shapes, 400 vs 422. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "api_claim.h"

struct parsed {
    cJSON *root;
    struct api_claim_args args;
    struct api_claim_error err;
    int status;
};

static struct parsed parse(const char *body)
{
    struct parsed p;
    p.status = api_claim_parse(body, strlen(body), &p.root, &p.args, &p.err);
    return p;
}

static void expect_error(const char *body, int status, const char *message)
{
    struct parsed p = parse(body);
    cr_expect_eq(p.status, status, "%s -> %d", body, p.status);
    cr_expect_str_eq(p.err.reason, status == 400 ? "BadRequest" : "Invalid", "%s", body);
    cr_expect_str_eq(p.err.message, message, "%s", body);
    cJSON_Delete(p.root);
}

Test(api_claim, empty_body_is_defaults)
{
    struct parsed p = parse("");
    cr_assert_eq(p.status, 0);
    cr_assert_null(p.args.key);
    cr_assert_null(p.args.request_id);
    cr_assert_eq(p.args.ttl_seconds, 0);
    cr_assert_eq(p.args.wait_ms, 0);
    cJSON_Delete(p.root);
}

Test(api_claim, all_fields)
{
    struct parsed p = parse("{\"key\":\"alice\",\"request_id\":\"r-1\",\"ttl_seconds\":90,"
                            "\"wait_ms\":30000,\"metadata\":{\"a\":[1,2]}}");
    cr_assert_eq(p.status, 0);
    cr_assert_str_eq(p.args.key, "alice");
    cr_assert_str_eq(p.args.request_id, "r-1");
    cr_assert_eq(p.args.ttl_seconds, 90);
    cr_assert_eq(p.args.wait_ms, 30000);
    cJSON_Delete(p.root);
}

Test(api_claim, nulls_mean_none)
{
    struct parsed p = parse("{\"key\":null,\"request_id\":null,\"metadata\":null}");
    cr_assert_eq(p.status, 0);
    cr_assert_null(p.args.key);
    cr_assert_null(p.args.request_id);
    cJSON_Delete(p.root);
}

Test(api_claim, key_of_128_bytes_fits)
{
    char body[200];
    snprintf(body, sizeof body, "{\"key\":\"%0128d\"}", 0);
    struct parsed p = parse(body);
    cr_assert_eq(p.status, 0);
    cr_assert_eq(strlen(p.args.key), 128);
    cJSON_Delete(p.root);
    snprintf(body, sizeof body, "{\"key\":\"%0129d\"}", 0);
    expect_error(body, 400, "key: longer than 128 bytes");
}

/* Bodies refused: 400 for what is not a claim, 422 for values out of range. */
static const struct {
    const char *body;
    int status;
    const char *message;
} refused[] = {
    {"{", 400, "malformed JSON at byte 1: expected a member name"},
    {"{} x", 400, "malformed JSON at byte 3: trailing bytes after the JSON value"},
    {"{\"key\":\"a\",\"key\":\"b\"}", 400, "key: duplicate field"},
    {"[1]", 400, "the body must be a JSON object"},
    {"\"key\"", 400, "the body must be a JSON object"},
    {"{\"key\":1}", 400, "key: must be a string"},
    {"{\"request_id\":[]}", 400, "request_id: must be a string"},
    {"{\"ttl_seconds\":\"9\"}", 400, "ttl_seconds: must be a number"},
    {"{\"metadata\":3}", 400, "metadata: must be an object"},
    {"{\"keys\":\"a\"}", 400, "keys: unknown field"},
    {"{\"ttl_seconds\":0}", 422, "ttl_seconds: must be at least 1"},
    {"{\"ttl_seconds\":-1}", 422, "ttl_seconds: out of range"},
    {"{\"ttl_seconds\":1.5}", 422, "ttl_seconds: out of range"},
    {"{\"ttl_seconds\":4294967296}", 422, "ttl_seconds: out of range"},
    {"{\"wait_ms\":30001}", 422, "wait_ms: out of range"},
    {"{\"wait_ms\":1e400}", 422, "wait_ms: out of range"},
};

Test(api_claim, malformed_is_400_out_of_range_is_422)
{
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        expect_error(refused[i].body, refused[i].status, refused[i].message);
}

Test(api_claim, long_field_names_are_cut_in_the_message)
{
    char body[400];
    char name[201];
    memset(name, 'n', 200);
    name[200] = '\0';
    snprintf(body, sizeof body, "{\"%s\":1}", name);
    struct parsed p = parse(body);
    cr_assert_eq(p.status, 400);
    cr_assert_eq(strlen(p.err.message), 64 + strlen(": unknown field"));
    cJSON_Delete(p.root);
}
