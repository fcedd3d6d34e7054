/* k8s_base64: standard base64 with Go's StdEncoding rules (see k8s_base64.h). */
#include "k8s_base64.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int value_of(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes one 4-character quantum q (with up to two '=' at the end) into out. */
static int decode_quantum(const unsigned char q[4], bool last, unsigned char *out, size_t *n)
{
    int v[4];
    int pad = 0;
    for (int i = 0; i < 4; i++) {
        if (q[i] == '=') {
            if (i < 2 || !last)
                return -1;
            pad++;
            v[i] = 0;
            continue;
        }
        if (pad)
            return -1; /* data after padding */
        v[i] = value_of(q[i]);
        if (v[i] < 0)
            return -1;
    }
    uint32_t bits =
        (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
    out[0] = (unsigned char)(bits >> 16);
    out[1] = (unsigned char)(bits >> 8);
    out[2] = (unsigned char)bits;
    *n = 3 - (size_t)pad;
    return 0;
}

enum k8s_status k8s_base64_decode(const char *in, size_t len, char **out, size_t *out_len)
{
    size_t significant = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] != '\r' && in[i] != '\n')
            significant++;
    }
    if (significant % 4 != 0)
        return K8S_EINVAL;
    unsigned char *buf = malloc(significant / 4 * 3 + 1);
    if (!buf)
        return K8S_ENOMEM;
    size_t w = 0, seen = 0;
    unsigned char q[4];
    int qn = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '\r' || in[i] == '\n')
            continue;
        q[qn++] = (unsigned char)in[i];
        seen++;
        if (qn < 4)
            continue;
        size_t n;
        if (decode_quantum(q, seen == significant, buf + w, &n) != 0) {
            free(buf);
            return K8S_EINVAL;
        }
        w += n;
        qn = 0;
    }
    buf[w] = '\0';
    *out = (char *)buf;
    if (out_len)
        *out_len = w;
    return K8S_OK;
}

char *k8s_base64_encode(const void *in, size_t len)
{
    const unsigned char *p = in;
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    size_t w = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t bits = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            bits |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            bits |= p[i + 2];
        out[w++] = alphabet[bits >> 18 & 63];
        out[w++] = alphabet[bits >> 12 & 63];
        out[w++] = i + 1 < len ? alphabet[bits >> 6 & 63] : '=';
        out[w++] = i + 2 < len ? alphabet[bits & 63] : '=';
    }
    out[w] = '\0';
    return out;
}
