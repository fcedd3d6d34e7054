/*
 * json_field: the value of "field":"..." (a string) in a JSON body, for the
 * tests that read prewarmd's answers as text. Included by test files only
 * (static).
 */
#ifndef PREWARM_TEST_JSON_FIELD_H
#define PREWARM_TEST_JSON_FIELD_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* Copies the value into out (cap bytes); the test fails when the body has
 * no such field or the value does not fit. */
static void json_field(const char *body, const char *field, char *out, size_t cap)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":\"", field);
    const char *p = strstr(body, key);
    cr_assert_not_null(p, "%s not in %s", field, body);
    p += strlen(key);
    size_t n = strcspn(p, "\"");
    cr_assert_lt(n, cap);
    memcpy(out, p, n);
    out[n] = '\0';
}

#endif
