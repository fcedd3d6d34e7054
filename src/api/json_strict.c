/* json_strict: strict checks of JSON request bodies (see json_strict.h). */
#include "json_strict.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

struct scan {
    const unsigned char *s;
    size_t len, pos;
    unsigned depth, max_depth;
    const char *error;
};

static bool value(struct scan *sc);

static bool fail(struct scan *sc, const char *message)
{
    if (!sc->error)
        sc->error = message;
    return false;
}

static void skip_space(struct scan *sc)
{
    while (sc->pos < sc->len) {
        unsigned char c = sc->s[sc->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        sc->pos++;
    }
}

static bool peek(struct scan *sc, unsigned char c)
{
    return sc->pos < sc->len && sc->s[sc->pos] == c;
}

static int hex4(struct scan *sc, uint32_t *out)
{
    if (sc->len - sc->pos < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = sc->s[sc->pos + (size_t)i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    sc->pos += 4;
    *out = v;
    return 0;
}

/* After "\u": one code point, a surrogate pair counting as one. */
static bool unicode_escape(struct scan *sc)
{
    uint32_t hi, lo;
    if (hex4(sc, &hi))
        return fail(sc, "bad \\u escape");
    if (hi == 0)
        return fail(sc, "\\u0000 is not accepted in strings");
    if (hi >= 0xdc00 && hi <= 0xdfff)
        return fail(sc, "lone low surrogate in \\u escape");
    if (hi < 0xd800 || hi > 0xdbff)
        return true;
    if (sc->len - sc->pos < 2 || sc->s[sc->pos] != '\\' || sc->s[sc->pos + 1] != 'u')
        return fail(sc, "lone high surrogate in \\u escape");
    sc->pos += 2;
    if (hex4(sc, &lo) || lo < 0xdc00 || lo > 0xdfff)
        return fail(sc, "bad surrogate pair in \\u escape");
    return true;
}

static bool escape(struct scan *sc)
{
    if (sc->pos >= sc->len)
        return fail(sc, "unterminated string");
    unsigned char c = sc->s[sc->pos++];
    if (c == 'u')
        return unicode_escape(sc);
    if (strchr("\"\\/bfnrt", c) && c)
        return true;
    return fail(sc, "unknown escape in string");
}

static bool string(struct scan *sc)
{
    sc->pos++; /* opening quote */
    while (sc->pos < sc->len) {
        unsigned char c = sc->s[sc->pos];
        if (c == '"') {
            sc->pos++;
            return true;
        }
        if (c < 0x20)
            return fail(sc, c ? "control character in string" : "NUL byte in string");
        if (c == '\\') {
            sc->pos++;
            if (!escape(sc))
                return false;
            continue;
        }
        uint32_t cp;
        size_t n = c < 0x80 ? 1 : utf8_next(sc->s + sc->pos, sc->len - sc->pos, &cp);
        if (!n)
            return fail(sc, "invalid UTF-8 in string");
        sc->pos += n;
    }
    return fail(sc, "unterminated string");
}

static size_t digits(struct scan *sc)
{
    size_t start = sc->pos;
    while (sc->pos < sc->len && sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9')
        sc->pos++;
    return sc->pos - start;
}

/* RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool number(struct scan *sc)
{
    if (peek(sc, '-'))
        sc->pos++;
    if (peek(sc, '0'))
        sc->pos++;
    else if (!digits(sc))
        return fail(sc, "bad number");
    if (peek(sc, '.')) {
        sc->pos++;
        if (!digits(sc))
            return fail(sc, "bad number");
    }
    if (peek(sc, 'e') || peek(sc, 'E')) {
        sc->pos++;
        if (peek(sc, '+') || peek(sc, '-'))
            sc->pos++;
        if (!digits(sc))
            return fail(sc, "bad number");
    }
    return true;
}

static bool literal(struct scan *sc, const char *word)
{
    size_t n = strlen(word);
    if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, word, n))
        return fail(sc, "unexpected character");
    sc->pos += n;
    return true;
}

/* Object members or array elements up to the closing bracket. */
static bool container(struct scan *sc, unsigned char close, bool members)
{
    if (++sc->depth > sc->max_depth)
        return fail(sc, "nested too deeply");
    sc->pos++;
    skip_space(sc);
    bool first = true;
    while (!peek(sc, close)) {
        if (!first && !(peek(sc, ',') && (sc->pos++, skip_space(sc), true)))
            return fail(sc, members ? "expected ',' or '}'" : "expected ',' or ']'");
        first = false;
        if (members) {
            if (!peek(sc, '"'))
                return fail(sc, "expected a member name");
            if (!string(sc))
                return false;
            skip_space(sc);
            if (!peek(sc, ':'))
                return fail(sc, "expected ':'");
            sc->pos++;
        }
        if (!value(sc))
            return false;
        skip_space(sc);
    }
    sc->pos++;
    sc->depth--;
    return true;
}

static bool value(struct scan *sc)
{
    skip_space(sc);
    if (sc->pos >= sc->len)
        return fail(sc, "expected a value");
    unsigned char c = sc->s[sc->pos];
    switch (c) {
    case '{':
        return container(sc, '}', true);
    case '[':
        return container(sc, ']', false);
    case '"':
        return string(sc);
    case 't':
        return literal(sc, "true");
    case 'f':
        return literal(sc, "false");
    case 'n':
        return literal(sc, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return number(sc);
        return fail(sc, "unexpected character");
    }
}

int json_strict_check(const char *s, size_t len, unsigned max_depth, struct json_strict_error *err)
{
    struct scan sc = {.s = (const unsigned char *)s, .len = len, .max_depth = max_depth};
    if (value(&sc)) {
        skip_space(&sc);
        if (sc.pos == sc.len)
            return 0;
        fail(&sc, sc.s[sc.pos] ? "trailing bytes after the JSON value"
                               : "NUL byte after the JSON value");
    }
    err->offset = sc.pos;
    err->message = sc.error;
    return -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* Duplicate member names of one object (not its children). */
static const char *object_duplicate(const cJSON *obj)
{
    size_t n = 0, i = 0;
    for (const cJSON *it = obj->child; it; it = it->next)
        n++;
    if (n < 2)
        return NULL;
    const cJSON **v = malloc(n * sizeof *v);
    if (!v)
        abort();
    for (const cJSON *it = obj->child; it; it = it->next)
        v[i++] = it;
    qsort(v, n, sizeof *v, by_name);
    const char *dup = NULL;
    for (i = 1; i < n && !dup; i++)
        if (!strcmp(v[i - 1]->string, v[i]->string))
            dup = v[i]->string;
    free(v);
    return dup;
}

const char *json_strict_duplicates(const cJSON *root)
{
    if (!root)
        return NULL;
    if (cJSON_IsObject(root)) {
        const char *dup = object_duplicate(root);
        if (dup)
            return dup;
    }
    if (cJSON_IsObject(root) || cJSON_IsArray(root))
        for (const cJSON *it = root->child; it; it = it->next) {
            const char *dup = json_strict_duplicates(it);
            if (dup)
                return dup;
        }
    return NULL;
}
