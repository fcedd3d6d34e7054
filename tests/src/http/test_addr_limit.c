/* Connections per client address: limits, release, no leftovers. */
#include <criterion/criterion.h>
#include <string.h>

#include "addr_limit.h"

static struct addr_key key_of(uint32_t v)
{
    struct addr_key k = {{0}};
    memcpy(k.b + 12, &v, 4);
    return k;
}

Test(addr_limit, counts_per_address_and_frees_entries)
{
    struct addr_limit *l = addr_limit_new(64, 3, 42);
    struct addr_key a = key_of(1), b = key_of(2);
    for (int i = 0; i < 3; i++)
        cr_assert(addr_limit_acquire(l, &a));
    cr_assert_not(addr_limit_acquire(l, &a));
    cr_assert(addr_limit_acquire(l, &b));
    addr_limit_release(l, &a);
    cr_assert(addr_limit_acquire(l, &a));
    cr_assert_eq(addr_limit_count(l, &a), 3);
    /* Many addresses in and out: the table never fills with leftovers. */
    for (uint32_t round = 0; round < 50; round++) {
        for (uint32_t i = 100; i < 160; i++) {
            struct addr_key k = key_of(i + round * 1000);
            cr_assert(addr_limit_acquire(l, &k) || i >= 162);
        }
        for (uint32_t i = 100; i < 160; i++) {
            struct addr_key k = key_of(i + round * 1000);
            addr_limit_release(l, &k);
            cr_assert_eq(addr_limit_count(l, &k), 0);
        }
        cr_assert_eq(addr_limit_count(l, &a), 3);
        cr_assert_eq(addr_limit_count(l, &b), 1);
    }
    addr_limit_free(l);
}
