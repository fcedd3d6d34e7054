/* The token bucket's arithmetic (time passed in; no sleeping). */
#include <criterion/criterion.h>

#include "k8s_ratelimit.h"

Test(ratelimit, burst_then_qps)
{
    struct k8s_ratelimit rl;
    k8s_ratelimit_init(&rl, 5.0, 10, 1000);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(k8s_ratelimit_take(&rl, 1000), 0, "token %d", i);
    uint64_t wait = k8s_ratelimit_take(&rl, 1000);
    cr_assert(wait >= 199 && wait <= 201, "wait %llu", (unsigned long long)wait);
    /* a refused take does not consume: after the wait one token is there */
    cr_assert_eq(k8s_ratelimit_take(&rl, 1000 + wait), 0);
    cr_assert_gt(k8s_ratelimit_take(&rl, 1000 + wait), 0);
}

Test(ratelimit, steady_rate_over_ten_seconds)
{
    struct k8s_ratelimit rl;
    k8s_ratelimit_init(&rl, 5.0, 10, 0);
    int granted = 0;
    for (uint64_t t = 0; t <= 10000; t += 1)
        while (k8s_ratelimit_take(&rl, t) == 0)
            granted++;
    /* burst + 10 s at 5/s */
    cr_assert(granted >= 59 && granted <= 61, "granted %d", granted);
}

Test(ratelimit, refill_caps_at_burst)
{
    struct k8s_ratelimit rl;
    k8s_ratelimit_init(&rl, 100.0, 3, 0);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(k8s_ratelimit_take(&rl, 0), 0);
    int granted = 0;
    while (k8s_ratelimit_take(&rl, 3600 * 1000) == 0)
        granted++;
    cr_assert_eq(granted, 3);
}

Test(ratelimit, disabled_never_waits)
{
    struct k8s_ratelimit rl;
    k8s_ratelimit_init(&rl, 0, 1, 0);
    for (int i = 0; i < 100000; i++)
        cr_assert_eq(k8s_ratelimit_take(&rl, 0), 0);
}

Test(ratelimit, clock_going_backwards_is_harmless)
{
    struct k8s_ratelimit rl;
    k8s_ratelimit_init(&rl, 1.0, 1, 5000);
    cr_assert_eq(k8s_ratelimit_take(&rl, 5000), 0);
    cr_assert_gt(k8s_ratelimit_take(&rl, 100), 0);
}
