/* k8s_query: paths, query strings and selectors (see k8s_query.h). */
#include "k8s_query.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char hex[] = "0123456789ABCDEF";

static bool unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

/* --- growable buffer shared by both builders --- */

static enum k8s_status grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return K8S_OK;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    char *n = realloc(*buf, ncap);
    if (!n)
        return K8S_ENOMEM;
    *buf = n;
    *cap = ncap;
    return K8S_OK;
}

static enum k8s_status append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (grow(buf, cap, *len + n + 1) != K8S_OK)
        return K8S_ENOMEM;
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return K8S_OK;
}

/* Appends s escaped; query mode turns ' ' into '+'. */
static enum k8s_status append_escaped(char **buf, size_t *len, size_t *cap, const char *s, size_t n,
                                      bool query)
{
    if (grow(buf, cap, *len + n * 3 + 1) != K8S_OK)
        return K8S_ENOMEM;
    char *w = *buf + *len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c)) {
            *w++ = (char)c;
        } else if (query && c == ' ') {
            *w++ = '+';
        } else {
            *w++ = '%';
            *w++ = hex[c >> 4];
            *w++ = hex[c & 15];
        }
    }
    *len = (size_t)(w - *buf);
    (*buf)[*len] = '\0';
    return K8S_OK;
}

char *k8s_query_escape(const char *in, size_t len)
{
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (grow(&buf, &cap, 1) != K8S_OK)
        return NULL;
    buf[0] = '\0';
    if (append_escaped(&buf, &n, &cap, in, len, true) != K8S_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* --- k8s_query --- */

void k8s_query_init(struct k8s_query *q)
{
    memset(q, 0, sizeof(*q));
}

void k8s_query_free(struct k8s_query *q)
{
    free(q->buf);
    k8s_query_init(q);
}

static enum k8s_status q_fail(struct k8s_query *q, enum k8s_status st)
{
    if (q->status == K8S_OK)
        q->status = st;
    return q->status;
}

enum k8s_status k8s_query_path(struct k8s_query *q, const char *literal)
{
    if (q->status != K8S_OK)
        return q->status;
    if (!literal || q->has_query)
        return q_fail(q, K8S_EINVAL);
    return q_fail(q, append(&q->buf, &q->len, &q->cap, literal, strlen(literal)));
}

enum k8s_status k8s_query_segment(struct k8s_query *q, const char *segment)
{
    if (q->status != K8S_OK)
        return q->status;
    if (!segment || q->has_query || !segment[0] || strchr(segment, '/') ||
        strcmp(segment, ".") == 0 || strcmp(segment, "..") == 0)
        return q_fail(q, K8S_EINVAL);
    enum k8s_status st = append(&q->buf, &q->len, &q->cap, "/", 1);
    if (st == K8S_OK)
        st = append_escaped(&q->buf, &q->len, &q->cap, segment, strlen(segment), false);
    return q_fail(q, st);
}

enum k8s_status k8s_query_add(struct k8s_query *q, const char *key, const char *value)
{
    if (q->status != K8S_OK)
        return q->status;
    if (!key || !key[0] || !value)
        return q_fail(q, K8S_EINVAL);
    enum k8s_status st = append(&q->buf, &q->len, &q->cap, q->has_query ? "&" : "?", 1);
    if (st == K8S_OK)
        st = append_escaped(&q->buf, &q->len, &q->cap, key, strlen(key), true);
    if (st == K8S_OK)
        st = append(&q->buf, &q->len, &q->cap, "=", 1);
    if (st == K8S_OK)
        st = append_escaped(&q->buf, &q->len, &q->cap, value, strlen(value), true);
    q->has_query = true;
    return q_fail(q, st);
}

enum k8s_status k8s_query_add_int(struct k8s_query *q, const char *key, long long value)
{
    char num[32];
    snprintf(num, sizeof(num), "%lld", value);
    return k8s_query_add(q, key, num);
}

enum k8s_status k8s_query_add_bool(struct k8s_query *q, const char *key, bool value)
{
    return k8s_query_add(q, key, value ? "true" : "false");
}

enum k8s_status k8s_query_status(const struct k8s_query *q)
{
    return q->status;
}

const char *k8s_query_str(const struct k8s_query *q)
{
    return q->buf ? q->buf : "";
}

char *k8s_query_take(struct k8s_query *q)
{
    char *out = NULL;
    if (q->status == K8S_OK)
        out = q->buf ? q->buf : strdup("");
    else
        free(q->buf);
    q->buf = NULL;
    k8s_query_init(q);
    return out;
}

/* --- label keys and values (apimachinery validation) --- */

static bool alnum_edges_ok(const char *s, size_t n, bool allow_underscore_dot)
{
    if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '-' || (allow_underscore_dot && (c == '_' || c == '.'))))
            return false;
    }
    return true;
}

/* RFC 1123 subdomain: lower-case labels joined by dots, at most 253 bytes. */
static bool dns_subdomain_ok(const char *s, size_t n)
{
    if (n == 0 || n > 253)
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (!alnum_edges_ok(s + start, i - start, false))
            return false;
        for (size_t k = start; k < i; k++) {
            if (isupper((unsigned char)s[k]))
                return false;
        }
        start = i + 1;
    }
    return true;
}

static bool qualified_name_ok(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    if (slash) {
        if (!dns_subdomain_ok(s, (size_t)(slash - s)))
            return false;
        n -= (size_t)(slash - s) + 1;
        s = slash + 1;
    }
    return n <= 63 && alnum_edges_ok(s, n, true);
}

static bool label_value_ok(const char *s, size_t n)
{
    return n == 0 || (n <= 63 && alnum_edges_ok(s, n, true));
}

bool k8s_label_key_valid(const char *key)
{
    return key && qualified_name_ok(key, strlen(key));
}

bool k8s_label_value_valid(const char *value)
{
    return value && label_value_ok(value, strlen(value));
}

/* --- selector builder --- */

void k8s_selector_init(struct k8s_selector *s)
{
    memset(s, 0, sizeof(*s));
}

void k8s_selector_free(struct k8s_selector *s)
{
    free(s->buf);
    k8s_selector_init(s);
}

static enum k8s_status sel_fail(struct k8s_selector *s, enum k8s_status st, const char *why,
                                const char *what)
{
    if (s->status == K8S_OK) {
        s->status = st;
        snprintf(s->error, sizeof(s->error), "%s: \"%.100s\"", why, what ? what : "(null)");
    }
    return s->status;
}

static enum k8s_status sel_put(struct k8s_selector *s, const char *text)
{
    if (s->status != K8S_OK)
        return s->status;
    enum k8s_status st = append(&s->buf, &s->len, &s->cap, text, strlen(text));
    return st == K8S_OK ? K8S_OK : sel_fail(s, st, "out of memory", "");
}

/* Starts a requirement: checks the key, writes the separator and prefix + key. */
static enum k8s_status sel_begin(struct k8s_selector *s, const char *prefix, const char *key)
{
    if (s->status != K8S_OK)
        return s->status;
    if (!k8s_label_key_valid(key))
        return sel_fail(s, K8S_EINVAL, "invalid label key", key);
    if (s->len > 0)
        sel_put(s, ",");
    sel_put(s, prefix);
    return sel_put(s, key);
}

static enum k8s_status label_op(struct k8s_selector *s, const char *key, const char *op,
                                const char *value)
{
    if (s->status == K8S_OK && !k8s_label_value_valid(value))
        return sel_fail(s, K8S_EINVAL, "invalid label value", value);
    sel_begin(s, "", key);
    sel_put(s, op);
    return sel_put(s, value);
}

enum k8s_status k8s_label_eq(struct k8s_selector *s, const char *key, const char *value)
{
    return label_op(s, key, "=", value);
}

enum k8s_status k8s_label_neq(struct k8s_selector *s, const char *key, const char *value)
{
    return label_op(s, key, "!=", value);
}

static enum k8s_status label_set(struct k8s_selector *s, const char *key, const char *op,
                                 const char *const *values, size_t n)
{
    if (s->status != K8S_OK)
        return s->status;
    if (n == 0 || !values)
        return sel_fail(s, K8S_EINVAL, "for 'in', 'notin' operators, values set can't be empty",
                        key);
    for (size_t i = 0; i < n; i++) {
        if (!k8s_label_value_valid(values[i]))
            return sel_fail(s, K8S_EINVAL, "invalid label value", values[i]);
    }
    sel_begin(s, "", key);
    sel_put(s, op);
    for (size_t i = 0; i < n; i++) {
        sel_put(s, i ? "," : "");
        sel_put(s, values[i]);
    }
    return sel_put(s, ")");
}

enum k8s_status k8s_label_in(struct k8s_selector *s, const char *key, const char *const *values,
                             size_t n)
{
    return label_set(s, key, " in (", values, n);
}

enum k8s_status k8s_label_notin(struct k8s_selector *s, const char *key, const char *const *values,
                                size_t n)
{
    return label_set(s, key, " notin (", values, n);
}

enum k8s_status k8s_label_exists(struct k8s_selector *s, const char *key)
{
    return sel_begin(s, "", key);
}

enum k8s_status k8s_label_not_exists(struct k8s_selector *s, const char *key)
{
    return sel_begin(s, "!", key);
}

enum k8s_status k8s_label_gt(struct k8s_selector *s, const char *key, long long value)
{
    char num[32];
    snprintf(num, sizeof(num), "%lld", value);
    sel_begin(s, "", key);
    sel_put(s, ">");
    return sel_put(s, num);
}

enum k8s_status k8s_label_lt(struct k8s_selector *s, const char *key, long long value)
{
    char num[32];
    snprintf(num, sizeof(num), "%lld", value);
    sel_begin(s, "", key);
    sel_put(s, "<");
    return sel_put(s, num);
}

static enum k8s_status field_op(struct k8s_selector *s, const char *field, const char *op,
                                const char *value)
{
    if (s->status != K8S_OK)
        return s->status;
    if (!field || !field[0] || strpbrk(field, ",=! \\"))
        return sel_fail(s, K8S_EINVAL, "invalid field name", field);
    if (!value)
        return sel_fail(s, K8S_EINVAL, "missing field value", field);
    if (s->len > 0)
        sel_put(s, ",");
    sel_put(s, field);
    sel_put(s, op);
    for (const char *p = value; *p && s->status == K8S_OK; p++) {
        char esc[3] = {'\\', *p, '\0'};
        sel_put(s, (*p == '\\' || *p == ',' || *p == '=') ? esc : esc + 1);
    }
    return s->status;
}

enum k8s_status k8s_field_eq(struct k8s_selector *s, const char *field, const char *value)
{
    return field_op(s, field, "=", value);
}

enum k8s_status k8s_field_neq(struct k8s_selector *s, const char *field, const char *value)
{
    return field_op(s, field, "!=", value);
}

enum k8s_status k8s_selector_status(const struct k8s_selector *s)
{
    return s->status;
}

const char *k8s_selector_str(const struct k8s_selector *s)
{
    return s->buf ? s->buf : "";
}

char *k8s_selector_take(struct k8s_selector *s)
{
    char *out = NULL;
    if (s->status == K8S_OK)
        out = s->buf ? s->buf : strdup("");
    else
        free(s->buf);
    s->buf = NULL;
    k8s_selector_init(s);
    return out;
}

/* --- label selector validation (apimachinery labels.Parse grammar) --- */

enum tok {
    T_END,
    T_IDENT,
    T_NOT,   /* ! */
    T_NEQ,   /* != */
    T_OPEN,  /* ( */
    T_CLOSE, /* ) */
    T_COMMA, /* , */
    T_EQ,    /* = or == */
    T_GT,    /* > */
    T_LT,    /* < */
    T_IN,    /* in */
    T_NOTIN, /* notin */
};

struct lexer {
    const char *s;
    size_t pos;
    const char *tok; /* start of the current token */
    size_t toklen;
};

static bool special(char c)
{
    return c == '!' || c == '=' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

static enum tok lex(struct lexer *lx)
{
    while (isspace((unsigned char)lx->s[lx->pos]))
        lx->pos++;
    lx->tok = lx->s + lx->pos;
    char c = lx->s[lx->pos];
    char n = c ? lx->s[lx->pos + 1] : '\0';
    lx->toklen = 1;
    switch (c) {
    case '\0':
        lx->toklen = 0;
        return T_END;
    case '!':
        lx->pos += n == '=' ? 2 : 1;
        lx->toklen = n == '=' ? 2 : 1;
        return n == '=' ? T_NEQ : T_NOT;
    case '=':
        lx->pos += n == '=' ? 2 : 1;
        lx->toklen = n == '=' ? 2 : 1;
        return T_EQ;
    case '(':
        lx->pos++;
        return T_OPEN;
    case ')':
        lx->pos++;
        return T_CLOSE;
    case ',':
        lx->pos++;
        return T_COMMA;
    case '>':
        lx->pos++;
        return T_GT;
    case '<':
        lx->pos++;
        return T_LT;
    }
    size_t start = lx->pos;
    while (lx->s[lx->pos] && !isspace((unsigned char)lx->s[lx->pos]) && !special(lx->s[lx->pos]))
        lx->pos++;
    lx->toklen = lx->pos - start;
    if (lx->toklen == 2 && memcmp(lx->tok, "in", 2) == 0)
        return T_IN;
    if (lx->toklen == 5 && memcmp(lx->tok, "notin", 5) == 0)
        return T_NOTIN;
    return T_IDENT;
}

static enum k8s_status sel_error(struct lexer *lx, struct k8s_error *err, const char *what)
{
    return k8s_error_set(err, K8S_EINVAL, "invalid label selector at column %zu: %s",
                         (size_t)(lx->tok - lx->s) + 1, what);
}

/* Parses "( v1, v2 )" after in/notin. */
static enum k8s_status parse_set(struct lexer *lx, struct k8s_error *err)
{
    if (lex(lx) != T_OPEN)
        return sel_error(lx, err, "expected '(' after in/notin");
    size_t count = 0;
    enum tok t = lex(lx);
    if (t == T_CLOSE)
        return sel_error(lx, err, "for 'in', 'notin' operators, values set can't be empty");
    for (;;) {
        if (t == T_IDENT) {
            if (!label_value_ok(lx->tok, lx->toklen))
                return sel_error(lx, err, "invalid label value");
            count++;
            t = lex(lx);
        } else if (t == T_COMMA || t == T_CLOSE) {
            count++; /* empty value, allowed by the grammar */
        } else {
            return sel_error(lx, err, "expected a value, ',' or ')'");
        }
        if (t == T_CLOSE)
            return K8S_OK;
        if (t != T_COMMA)
            return sel_error(lx, err, "expected ',' or ')'");
        t = lex(lx);
    }
}

static bool is_integer(const char *s, size_t n)
{
    size_t i = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i == n || n > 20)
        return false;
    for (; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

/* Parses the operator and operand of one requirement; *next gets the following token. */
static enum k8s_status parse_operator(struct lexer *lx, enum tok op, enum tok *next,
                                      struct k8s_error *err)
{
    if (op == T_IN || op == T_NOTIN) {
        enum k8s_status st = parse_set(lx, err);
        *next = lex(lx);
        return st;
    }
    if (op != T_EQ && op != T_NEQ && op != T_GT && op != T_LT)
        return sel_error(lx, err, "expected an operator (=, ==, !=, in, notin, >, <) or ','");
    enum tok v = lex(lx);
    if (v == T_END || v == T_COMMA) {
        if (op == T_GT || op == T_LT)
            return sel_error(lx, err, "for 'Gt', 'Lt' operators, exactly one value is required");
        *next = v; /* "k=" selects an empty value */
        return K8S_OK;
    }
    if (v != T_IDENT)
        return sel_error(lx, err, "expected a value");
    if ((op == T_GT || op == T_LT) ? !is_integer(lx->tok, lx->toklen)
                                   : !label_value_ok(lx->tok, lx->toklen))
        return sel_error(lx, err,
                         (op == T_GT || op == T_LT)
                             ? "for 'Gt', 'Lt' operators, the value must be an integer"
                             : "invalid label value");
    *next = lex(lx);
    return K8S_OK;
}

static enum k8s_status parse_requirement(struct lexer *lx, enum tok t, enum tok *next,
                                         struct k8s_error *err)
{
    bool negated = t == T_NOT;
    if (negated)
        t = lex(lx);
    if (t != T_IDENT)
        return sel_error(lx, err, "expected a label key");
    if (!qualified_name_ok(lx->tok, lx->toklen))
        return sel_error(lx, err, "invalid label key");
    enum tok op = lex(lx);
    if (op == T_END || op == T_COMMA) {
        *next = op; /* exists / does not exist */
        return K8S_OK;
    }
    if (negated)
        return sel_error(lx, err, "'!key' takes no operator");
    return parse_operator(lx, op, next, err);
}

enum k8s_status k8s_label_selector_validate(const char *selector, struct k8s_error *err)
{
    if (!selector)
        return k8s_error_set(err, K8S_EINVAL, "invalid label selector: NULL");
    struct lexer lx = {.s = selector};
    enum tok t = lex(&lx);
    if (t == T_END)
        return K8S_OK; /* the empty selector matches everything */
    for (;;) {
        enum tok next = T_END;
        enum k8s_status st = parse_requirement(&lx, t, &next, err);
        if (st != K8S_OK)
            return st;
        if (next == T_END)
            return K8S_OK;
        if (next != T_COMMA)
            return sel_error(&lx, err, "expected ','");
        t = lex(&lx);
    }
}
