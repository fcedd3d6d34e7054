/* Strict JSON bodies and UTF-8: one value, no NUL, valid UTF-8, no
 * duplicate members. */
#include <criterion/criterion.h>
#include <string.h>

#include "json_strict.h"
#include "utf8.h"

static int check(const char *s, size_t n)
{
    struct json_strict_error e;
    return json_strict_check(s, n, JSON_STRICT_DEPTH_DEFAULT, &e);
}

#define OK(lit)  cr_assert_eq(check(lit, sizeof(lit) - 1), 0, "%s", lit)
#define BAD(lit) cr_assert_eq(check(lit, sizeof(lit) - 1), -1, "%s", lit)

Test(json_strict, accepts_one_value_with_whitespace)
{
    OK("{}");
    OK(" \n{\"key\":\"a\",\"n\":-1.5e+3,\"m\":{\"x\":[true,false,null]}}\r\n ");
    OK("\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\"");
    OK("0");
}

Test(json_strict, refuses_trailing_bytes_and_second_values)
{
    BAD("{} xyz");
    BAD("{}{}");
    BAD("{} 1");
    cr_assert_eq(check("{}\0xyz", 6), -1);
    cr_assert_eq(check("{}\0", 3), -1);
    BAD("");
    BAD("   ");
}

Test(json_strict, refuses_nul_in_strings)
{
    BAD("{\"key\":\"a\\u0000someone-else\"}");
    cr_assert_eq(check("{\"key\":\"a\0b\"}", 12), -1);
}

Test(json_strict, refuses_invalid_utf8)
{
    BAD("{\"key\":\"\xff\xfe\xc3\"}");
    BAD("{\"key\":\"\xc0\xaf\"}");         /* overlong '/' */
    BAD("{\"key\":\"\xed\xa0\x80\"}");     /* surrogate */
    BAD("{\"key\":\"\xf4\x90\x80\x80\"}"); /* above U+10FFFF */
    BAD("{\"key\":\"\\ud800\"}");          /* lone surrogate escape */
    BAD("{\"key\":\"\\udc00\\ud800\"}");
}

Test(json_strict, refuses_bad_grammar_and_depth)
{
    BAD("{\"a\":01}");
    BAD("{\"a\":1.}");
    BAD("{\"a\":}");
    BAD("{\"a\" 1}");
    BAD("{,}");
    BAD("[1,]");
    BAD("{\"a\":\"\\x\"}");
    BAD("{\"a\":\"tab\there\"}");
    BAD("tru");
    char deep[100];
    memset(deep, '[', 40);
    memset(deep + 40, ']', 40);
    cr_assert_eq(check(deep, 80), -1);
    cr_assert_eq(check(deep + 10, 60), 0); /* 30 deep */
}

Test(json_strict, finds_duplicates_at_any_depth)
{
    cJSON *a = cJSON_Parse("{\"key\":\"a1\",\"key\":\"b1\"}");
    cr_assert_str_eq(json_strict_duplicates(a), "key");
    cJSON_Delete(a);
    cJSON *b = cJSON_Parse("{\"m\":{\"x\":1,\"y\":2,\"x\":3}}");
    cr_assert_str_eq(json_strict_duplicates(b), "x");
    cJSON_Delete(b);
    cJSON *c = cJSON_Parse("{\"a\":1,\"b\":[{\"a\":1},{\"a\":2}]}");
    cr_assert_null(json_strict_duplicates(c));
    cJSON_Delete(c);
}

Test(utf8, validates_strictly)
{
    cr_assert(utf8_valid("plain", 5));
    cr_assert(utf8_valid("\xe2\x82\xac\xf0\x9f\x98\x80", 7));
    cr_assert_not(utf8_valid("\xe2\x82", 2));
    cr_assert_not(utf8_valid("\x80", 1));
    cr_assert_not(utf8_valid("\xe0\x80\xaf", 3));
    cr_assert_not(utf8_valid("\xf5\x80\x80\x80", 4));
}
