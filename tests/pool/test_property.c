/* Property test: random event sequences through pool_driver, every invariant
 * checked after every step. The seeds are fixed so failures reproduce. */
#include <criterion/criterion.h>

#include "pool_driver.h"

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

Test(property, random_event_sequences_keep_invariants, .timeout = 60)
{
    enum { RUNS = 300, LEN = 3000 };
    static uint8_t buf[LEN];
    uint64_t state = 0x9e3779b97f4a7c15ull;
    struct pool_counters sum = {0};
    for (int run = 0; run < RUNS; run++) {
        for (int i = 0; i < LEN; i++)
            buf[i] = (uint8_t)xorshift(&state);
        const char *err = driver_run_sum(buf, LEN, &sum);
        cr_assert_null(err, "run %d: %s", run, err);
    }
    /* The sequences must reach every path worth checking, or the test
     * proves little. */
    cr_log_info("bound %lu queued %lu empty %lu key_reused %lu replay %lu waiters_bound %lu "
                "timed_out %lu cancelled %lu released %lu expired %lu died %lu "
                "start_timeouts %lu illegal %lu",
                (unsigned long)sum.claims_bound, (unsigned long)sum.claims_queued,
                (unsigned long)sum.claims_empty, (unsigned long)sum.key_reused,
                (unsigned long)sum.idempotent_replay, (unsigned long)sum.waiters_bound,
                (unsigned long)sum.waiters_timed_out, (unsigned long)sum.waiters_cancelled,
                (unsigned long)sum.released, (unsigned long)sum.expired,
                (unsigned long)sum.pod_died_bound, (unsigned long)sum.start_timeouts,
                (unsigned long)sum.illegal_transitions);
    cr_assert_gt(sum.claims_bound, 100);
    cr_assert_gt(sum.claims_queued, 10);
    cr_assert_gt(sum.key_reused, 10);
    cr_assert_gt(sum.idempotent_replay, 10);
    cr_assert_gt(sum.waiters_bound, 10);
    cr_assert_gt(sum.waiters_timed_out, 10);
    cr_assert_gt(sum.waiters_cancelled, 0);
    cr_assert_gt(sum.released, 10);
    cr_assert_gt(sum.expired, 10);
    cr_assert_gt(sum.pod_died_bound, 10);
    cr_assert_gt(sum.start_timeouts, 10);
    cr_assert_gt(sum.illegal_transitions, 10);
}

Test(property, empty_and_tiny_inputs)
{
    cr_assert_null(driver_run(NULL, 0));
    const uint8_t one[] = {0};
    cr_assert_null(driver_run(one, 1));
}
