/*
 * utf8: strict UTF-8 validation (RFC 3629) for bytes that come from the
 * network: request paths, header values and JSON bodies.
 *
 * Strict means: no overlong forms, no surrogates (U+D800..U+DFFF), nothing
 * above U+10FFFF, no truncated sequences. A NUL byte is valid UTF-8; callers
 * that store C strings refuse it separately (json_strict.h does).
 *
 * utf8_next() decodes one code point so that an escaper can walk a string
 * and replace what is not valid (buf_append_json_string writes U+FFFD for
 * each invalid byte, so nothing prewarm echoes can break its JSON).
 *
 * Pure functions, no allocation. Callers: src/base/buf.c, src/api (claim
 * body, pool names), tests/src/test_utf8.c.
 */
#ifndef PREWARM_UTF8_H
#define PREWARM_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the code point at s[0..len) (len >= 1). Returns the sequence
 * length (1-4) with *cp set, or 0 if s does not start a valid sequence. */
size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp);

/* True if all len bytes are valid UTF-8. */
bool utf8_valid(const char *s, size_t len);

#endif
