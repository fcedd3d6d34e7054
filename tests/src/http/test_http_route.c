/* Tests of the route table's pattern matching (src/http/http_route.c); the
 * dispatch order (404, resolve, 405 + Allow, guard, handler) is tested
 * through prewarmd's own table in tests/src/api/test_api_routes.c. */
#include <criterion/criterion.h>
#include <string.h>

#include "http_route.h"

static bool match(const char *pattern, const char *path, struct http_route_match *m)
{
    return http_route_match_path(pattern, path, strlen(path), m);
}

Test(http_route, literal_segments)
{
    struct http_route_match m;
    cr_assert(match("/v1/pools", "/v1/pools", &m));
    cr_assert_eq(m.count, 0);
    cr_assert_not(match("/v1/pools", "/v1/pools/", &m));
    cr_assert_not(match("/v1/pools", "/v1/poolsX", &m));
    cr_assert_not(match("/v1/pools", "/v1/pool", &m));
    cr_assert_not(match("/v1/pools", "/v1", &m));
    cr_assert_not(match("/healthz", "healthz", &m));
}

Test(http_route, parameters_take_one_non_empty_segment)
{
    struct http_route_match m;
    cr_assert(match("/v1/pools/{pool}/claims", "/v1/pools/demo/claims", &m));
    cr_assert_eq(m.count, 1);
    cr_assert_eq(m.params[0].name_len, 4);
    cr_assert_eq(memcmp(m.params[0].name, "pool", 4), 0);
    cr_assert_eq(m.params[0].len, 4);
    cr_assert_eq(memcmp(m.params[0].value, "demo", 4), 0);
    cr_assert_not(match("/v1/pools/{pool}/claims", "/v1/pools//claims", &m));
    cr_assert_not(match("/v1/pools/{pool}/claims", "/v1/pools/a/b/claims", &m));
    cr_assert_not(match("/v1/pools/{pool}", "/v1/pools/demo/claims", &m));
    cr_assert(match("/a/{x}/b/{y}", "/a/1/b/22", &m));
    cr_assert_eq(m.count, 2);
    cr_assert_eq(m.params[1].len, 2);
}
