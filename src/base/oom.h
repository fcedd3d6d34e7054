/*
 * oom: prewarmd's one out-of-memory policy.
 *
 * The daemon aborts when memory runs out. A warm-pool scheduler that cannot
 * allocate a few hundred bytes cannot answer, bind or release safely either;
 * crashing loudly lets the supervisor (systemd, the kubelet) restart it with
 * a clean state, which the bind journal and the pool core's recovery are
 * built for. So allocations in src/ go through these wrappers, never fail,
 * and no function in src/ returns an "out of memory" status: there is no
 * such error path to test or to forget.
 *
 * Libraries with their own contract (pool/, k8sclient/, nghttp2, libyaml,
 * cJSON) report allocation failures; src/ code that calls them treats such a
 * failure with oom_check() where the library cannot fail otherwise.
 */
#ifndef PREWARM_OOM_H
#define PREWARM_OOM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints one line and aborts. */
static inline void oom_abort(void)
{
    fputs("prewarmd: out of memory\n", stderr);
    abort();
}

/* p, or abort if it is NULL (an allocation made by a library). */
static inline void *oom_check(void *p)
{
    if (!p)
        oom_abort();
    return p;
}

static inline void *xmalloc(size_t n)
{
    return oom_check(malloc(n ? n : 1));
}

static inline void *xcalloc(size_t count, size_t size)
{
    return oom_check(calloc(count ? count : 1, size ? size : 1));
}

static inline void *xrealloc(void *p, size_t n)
{
    return oom_check(realloc(p, n ? n : 1));
}

static inline char *xstrdup(const char *s)
{
    return oom_check(strdup(s));
}

#endif
