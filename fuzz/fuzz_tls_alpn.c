/*
 * libFuzzer target for the ALPN choice (http_tls_alpn_choose in
 * src/http/http_tls.c): the client's protocol list is the one part of a TLS
 * handshake prewarm parses itself.
 *
 * Checks the answer against a second, independent reading of the list: a
 * malformed list (an empty name, a length running past the end) is refused;
 * otherwise h2 is chosen whenever it is offered, else http/1.1 whenever it
 * is offered, else nothing; a choice always points inside the input.
 */
#include "http_tls.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Reference reading: 1 + offers bits (1: h2, 2: http/1.1), or 0 if malformed. */
static int offers(const uint8_t *in, size_t len)
{
    int bits = 0;
    const uint8_t *p = in, *end = in + len;
    while (p < end) {
        size_t n = *p++;
        if (n == 0 || (size_t)(end - p) < n)
            return 0;
        if (n == 2 && !memcmp(p, "h2", 2))
            bits |= 1;
        if (n == 8 && !memcmp(p, "http/1.1", 8))
            bits |= 2;
        p += n;
    }
    return 1 + bits;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *out = NULL;
    unsigned char outlen = 0;
    int rc = http_tls_alpn_choose(data, size, &out, &outlen);
    int ref = offers(data, size);
    if (ref == 0) {
        if (rc != -1)
            abort();
        return 0;
    }
    int bits = ref - 1;
    if (rc == 0) {
        if (bits != 0)
            abort();
        return 0;
    }
    if (rc != 1 || out < data || out + outlen > data + size || out == data)
        abort();
    if (bits & 1) {
        if (outlen != 2 || memcmp(out, "h2", 2) || out[-1] != 2)
            abort();
    } else if (outlen != 8 || memcmp(out, "http/1.1", 8) || out[-1] != 8) {
        abort();
    }
    return 0;
}
