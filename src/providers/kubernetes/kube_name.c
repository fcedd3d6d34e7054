/* kube_name: pod names chosen by prewarm (see kube_name.h). */
#include "kube_name.h"

#include <string.h>

static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

void kube_namer_init(struct kube_namer *n, const char *pool, uint64_t seed)
{
    size_t len = 0;
    for (const char *p = pool; *p && len < KUBE_NAME_PREFIX_MAX; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            c = '-';
        if (c == '-' && len == 0)
            continue;
        n->prefix[len++] = c;
    }
    while (len && n->prefix[len - 1] == '-')
        len--;
    if (!len) {
        memcpy(n->prefix, "pod", 3);
        len = 3;
    }
    n->prefix[len++] = '-';
    n->prefix[len] = '\0';
    n->state = seed;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void kube_namer_next(struct kube_namer *n, char out[KUBE_NAME_MAX + 1])
{
    size_t len = strlen(n->prefix);
    uint64_t r = splitmix64(&n->state);
    memcpy(out, n->prefix, len);
    for (int i = 0; i < KUBE_NAME_RANDOM; i++) {
        out[len++] = alphabet[r % (sizeof alphabet - 1)];
        r /= sizeof alphabet - 1;
    }
    out[len] = '\0';
}
