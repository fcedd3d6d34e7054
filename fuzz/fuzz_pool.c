/*
 * fuzz_pool: interprets the input as a sequence of pool events (claims,
 * releases, keepalives, provider observations, clock steps, ticks, drains,
 * cancels, config changes) against a small two-pool set and aborts when an
 * invariant breaks: counts by state add up, a pod is bound to at most one
 * session and a session to one pod, every waiter is answered exactly once,
 * pool_set_check() passes. The interpreter is tests/pool/pool_driver.h,
 * shared with the property test.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pool_driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *err = driver_run(data, size);
    if (err) {
        fprintf(stderr, "fuzz_pool: invariant broken: %s\n", err);
        abort();
    }
    return 0;
}
