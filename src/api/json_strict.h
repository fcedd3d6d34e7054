/*
 * json_strict: what prewarm demands of a JSON request body beyond what
 * cJSON checks, so that the bytes a caller sent and the values prewarm acts
 * on can never disagree.
 *
 * json_strict_check() runs over the raw bytes before cJSON parses them and
 * refuses:
 *   - anything but exactly one JSON value (trailing bytes after it, a NUL
 *     byte and then more, a second value), with whitespace allowed around it;
 *   - invalid UTF-8 anywhere (strict: no overlong forms, no surrogates);
 *   - raw control characters inside strings, unknown escapes, lone or
 *     reversed UTF-16 surrogates in \u escapes;
 *   - the escape \u0000: strings are C strings after parsing, and a NUL
 *     would silently cut them short ("a\u0000b" would act as "a");
 *   - nesting deeper than max_depth (cJSON's recursion is then bounded too).
 * json_strict_duplicates() runs over the parsed tree and finds an object
 * with the same member name twice, at any depth (the config refuses
 * duplicate keys too; "last one wins" would let two readers of the same
 * body see different values). Members are sorted by name per object, so a
 * hostile object with many members costs O(n log n), not O(n^2).
 *
 * Pure, no I/O. Callers: src/api/api_claim.c, tests/src/test_json_strict.c,
 * fuzz/fuzz_api.c.
 */
#ifndef PREWARM_JSON_STRICT_H
#define PREWARM_JSON_STRICT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define JSON_STRICT_DEPTH_DEFAULT 32

struct json_strict_error {
    size_t offset;       /* byte offset of the problem in the body */
    const char *message; /* static text, e.g. "trailing bytes after the JSON value" */
};

/* 0 if s[0..len) is exactly one acceptable JSON value, else -1 with *err. */
int json_strict_check(const char *s, size_t len, unsigned max_depth, struct json_strict_error *err);

/* The name of the first member that occurs twice in one object (a pointer
 * into the tree), or NULL if there is none. -1 cannot happen: on allocation
 * failure prewarm aborts, as everywhere on the request path. */
const char *json_strict_duplicates(const cJSON *root);

#endif
