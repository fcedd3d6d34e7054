/*
 * pool_prefault: touches freshly allocated memory once, page by page, so
 * the kernel maps it when a pool is added rather than on the first claims
 * that reach it. calloc() of a large block returns untouched zero pages;
 * the first write to each costs a page fault (about a microsecond, more in
 * a virtual machine) on whichever claim gets there first.
 *
 * Writes a zero into memory that is already zero, one byte every 4096
 * (the smallest page size of the platforms prewarm runs on), through a
 * volatile pointer so the compiler keeps the writes. Pure C, no system call.
 *
 * Callers: pool.c (action ring), pool_index.c (tables), pool_heap.c (array).
 */
#ifndef PREWARM_POOL_PREFAULT_H
#define PREWARM_POOL_PREFAULT_H

#include <stddef.h>

static inline void pool_prefault(void *mem, size_t len)
{
    volatile char *p = mem;
    for (size_t at = 0; at < len; at += 4096)
        p[at] = 0;
    if (len)
        p[len - 1] = 0;
}

#endif
