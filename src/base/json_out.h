/*
 * json_out: the one way src/ writes JSON.
 *
 * Appends only, no printf: punctuation and field names are literals written
 * with JSON_LIT (",\"pool\":"), values with the typed writers below, which
 * escape strings and format numbers and times without a format string. The
 * claim answer is on the hot path and printf was most of its cost; using the
 * same style everywhere keeps one escaping rule and one time format.
 *
 *     JSON_LIT(b, "{\"name\":");
 *     json_str(b, name);
 *     JSON_LIT(b, ",\"live\":");
 *     json_uint(b, live);
 *     JSON_LIT(b, "}");
 *
 * Arrays go through json_array with a function that writes one element, so
 * the separators are written in one place.
 *
 * Ownership: output goes into the caller's struct buf (buf.h).
 */
#ifndef PREWARM_JSON_OUT_H
#define PREWARM_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Appends a string literal (punctuation, field names) as is. */
#define JSON_LIT(b, lit) buf_append((b), (lit), sizeof(lit) - 1)

/* A quoted, escaped string ('"', '\\' and control bytes; invalid UTF-8 as
 * U+FFFD); NULL writes "". */
void json_str(struct buf *b, const char *s);
/* Like json_str, but NULL or "" writes null. */
void json_str_or_null(struct buf *b, const char *s);
void json_uint(struct buf *b, uint64_t v);
void json_bool(struct buf *b, bool v);
/* A number with 6 significant digits; NaN and infinities write null. */
void json_double(struct buf *b, double v);
/* Unix wall time in ns as a quoted RFC 3339 UTC time in milliseconds:
 * "2026-12-06T07:28:14.123Z". */
void json_time(struct buf *b, int64_t wall_ns);

/* Writes one array element, number i, with the typed writers above. */
typedef void json_item_fn(struct buf *b, const void *ctx, size_t i);

/* An array of n elements: the brackets and commas here, each element by
 * item(b, ctx, i) for i = 0 .. n - 1. */
void json_array(struct buf *b, size_t n, json_item_fn *item, const void *ctx);

#endif
