/* utf8: strict UTF-8 validation (see utf8.h). */
#include "utf8.h"

/* The first byte gives the length and the smallest code point that length
 * may encode (anything below is an overlong form). */
static size_t lead_length(unsigned char c, uint32_t *cp, uint32_t *min)
{
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        *cp = c & 0x1f;
        *min = 0x80;
        return 2;
    }
    if (c >= 0xe0 && c <= 0xef) {
        *cp = c & 0x0f;
        *min = 0x800;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        *cp = c & 0x07;
        *min = 0x10000;
        return 4;
    }
    return 0; /* continuation byte, 0xc0/0xc1 (always overlong) or > 0xf4 */
}

size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    uint32_t v = 0, min = 0;
    size_t n = lead_length(s[0], &v, &min);
    if (n <= 1) {
        *cp = v;
        return n;
    }
    if (n > len)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

bool utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) { /* ASCII runs are the common case */
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_next(p + i, len - i, &cp);
        if (!n)
            return false;
        i += n;
    }
    return true;
}
