/*
 * k8s_query: request paths, query strings and selectors, correctly encoded.
 *
 * `struct k8s_query` builds "PATH?k=v&k=v" in one growing heap buffer:
 *
 *     struct k8s_query q;
 *     k8s_query_init(&q);
 *     k8s_query_path(&q, "/api/v1/namespaces");   // trusted literal, appended as is
 *     k8s_query_segment(&q, ns);                  // "/" + escaped name
 *     k8s_query_path(&q, "/pods");
 *     k8s_query_add(&q, "labelSelector", "app=whoami,tier in (a,b)");
 *     k8s_query_add_int(&q, "timeoutSeconds", 0);    // 0 IS sent: calling add means "set"
 *     k8s_query_add_bool(&q, "allowWatchBookmarks", false);
 *     if (k8s_query_status(&q) != K8S_OK) ...       // errors are sticky
 *     use k8s_query_str(&q);
 *     k8s_query_free(&q);
 *
 * A parameter that is not added is not sent; there is no "zero means unset"
 * (the flaw of kubernetes-client/c, issues #158/#209).
 *
 * Query keys and values are encoded like Go's url.QueryEscape, which is what
 * kubectl and client-go send: unreserved bytes [A-Za-z0-9-_.~] stay, space
 * becomes '+', every other byte (including '=', ',', '!', '(', ')', '+',
 * '&', '%' and every non-ASCII byte) becomes %XX (upper-case hex). So
 * "app=whoami" is sent as "app%3Dwhoami".
 * Path segments are escaped like Go's url.PathEscape; "", ".", ".." and
 * segments containing '/' are refused (K8S_EINVAL), since the API server
 * cannot route them.
 *
 * `struct k8s_selector` builds a label or field selector string (not yet
 * URL-encoded: pass it to k8s_query_add). Label requirements are validated
 * client-side with apimachinery's rules (qualified key names, label values,
 * integer operands for > and <, non-empty sets for in/notin).
 * `k8s_label_selector_validate()` checks a whole selector string written by
 * a user (operators =, ==, !=, in, notin, exists, !key, >, <).
 * Field selector values are escaped with '\' before '\', ',' and '='
 * (apimachinery fields.EscapeValue).
 *
 * Ownership: the builder owns its buffer; k8s_query_str()/k8s_selector_str()
 * pointers are valid until the next call on the builder;
 * k8s_query_take()/k8s_selector_take() hand the heap string to the caller
 * (free() it) and reset the builder. No global state.
 * Callers: the transport (k8s_client.c, k8s_watch.c), the daemon's provider.
 */
#ifndef K8S_QUERY_H
#define K8S_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "k8s_error.h"

struct k8s_query {
    char *buf; /* NUL-terminated when len > 0 */
    size_t len, cap;
    bool has_query;         /* a '?' has been written */
    enum k8s_status status; /* first error; later calls are no-ops */
};

void k8s_query_init(struct k8s_query *q);
void k8s_query_free(struct k8s_query *q);

/* Appends a trusted literal (e.g. "/api/v1") verbatim. EINVAL after a query parameter. */
enum k8s_status k8s_query_path(struct k8s_query *q, const char *literal);
/* Appends "/" + escaped segment (a namespace or object name). */
enum k8s_status k8s_query_segment(struct k8s_query *q, const char *segment);
/* Appends "?key=value" or "&key=value" with both parts query-escaped. */
enum k8s_status k8s_query_add(struct k8s_query *q, const char *key, const char *value);
enum k8s_status k8s_query_add_int(struct k8s_query *q, const char *key, long long value);
/* Sends "true" / "false". */
enum k8s_status k8s_query_add_bool(struct k8s_query *q, const char *key, bool value);

enum k8s_status k8s_query_status(const struct k8s_query *q);
/* The built string ("" when empty); NULL never. Valid until the next call. */
const char *k8s_query_str(const struct k8s_query *q);
/* Returns the heap string (caller frees) and resets q; NULL on earlier error or OOM. */
char *k8s_query_take(struct k8s_query *q);

/*
 * Escapes `len` bytes of `in` with Go's QueryEscape rules into a new heap
 * string (caller frees). Returns NULL on OOM.
 */
char *k8s_query_escape(const char *in, size_t len);

/* --- selectors --- */

struct k8s_selector {
    char *buf;
    size_t len, cap;
    enum k8s_status status; /* first error (sticky) */
    char error[160];        /* why the first requirement was refused */
};

void k8s_selector_init(struct k8s_selector *s);
void k8s_selector_free(struct k8s_selector *s);

/* Label requirements; each call ANDs one requirement (joined by ','). */
enum k8s_status k8s_label_eq(struct k8s_selector *s, const char *key, const char *value);
enum k8s_status k8s_label_neq(struct k8s_selector *s, const char *key, const char *value);
enum k8s_status k8s_label_in(struct k8s_selector *s, const char *key, const char *const *values,
                             size_t n);
enum k8s_status k8s_label_notin(struct k8s_selector *s, const char *key, const char *const *values,
                                size_t n);
enum k8s_status k8s_label_exists(struct k8s_selector *s, const char *key);
enum k8s_status k8s_label_not_exists(struct k8s_selector *s, const char *key);
enum k8s_status k8s_label_gt(struct k8s_selector *s, const char *key, long long value);
enum k8s_status k8s_label_lt(struct k8s_selector *s, const char *key, long long value);

/* Field requirements (field names are not validated: the server whitelists them). */
enum k8s_status k8s_field_eq(struct k8s_selector *s, const char *field, const char *value);
enum k8s_status k8s_field_neq(struct k8s_selector *s, const char *field, const char *value);

enum k8s_status k8s_selector_status(const struct k8s_selector *s);
const char *k8s_selector_str(const struct k8s_selector *s); /* "" when empty */
char *k8s_selector_take(struct k8s_selector *s);            /* caller frees; resets s */

/*
 * Validates a label selector string with apimachinery's grammar. Returns
 * K8S_OK or K8S_EINVAL with a message naming the offending position in `err`
 * (err may be NULL).
 */
enum k8s_status k8s_label_selector_validate(const char *selector, struct k8s_error *err);

/* Validates a label key (optional DNS-subdomain prefix + '/' + name) / a label value. */
bool k8s_label_key_valid(const char *key);
bool k8s_label_value_valid(const char *value);

#endif
