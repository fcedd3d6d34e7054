/* Bearer tokens file, roles, reload, and the per-caller rate limit. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "ratelimit.h"

#define T1 "Bearer token-api-server-0001"
#define T2 "Bearer token-dashboard-00002"

static void write_file(const char *path, const char *text)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(rename(tmp, path), 0); /* a new inode, as a Secret update */
}

static struct auth *load(const char *path, const char *text)
{
    struct auth_defaults d = {.claim_rate = 10, .claim_burst = 20, .max_waiters = 5};
    struct auth *a = NULL;
    char err[256];
    write_file(path, text);
    cr_assert_eq(auth_new(path, &d, 0, &a, err, sizeof err), 0, "%s", err);
    return a;
}

static const char *file_v1 = "# token caller roles\n"
                             "token-api-server-0001 api-server claim,read rate=100 waiters=2\n"
                             "\n"
                             "token-dashboard-00002 dashboard read\n";

Test(auth, looks_tokens_up_with_roles)
{
    char path[] = "/tmp/prewarm-auth-XXXXXX";
    close(mkstemp(path));
    struct auth *a = load(path, file_v1);
    struct auth_identity id;
    cr_assert_eq(auth_check(a, T1, strlen(T1), &id), AUTH_OK);
    cr_assert_str_eq(id.caller->name, "api-server");
    cr_assert(auth_allows(id.roles, AUTH_ROLE_CLAIM));
    cr_assert_eq(id.caller->claims.rate, 100);
    cr_assert_eq(id.caller->max_waiters, 2);
    cr_assert_eq(auth_check(a, T2, strlen(T2), &id), AUTH_OK);
    cr_assert_not(auth_allows(id.roles, AUTH_ROLE_CLAIM));
    cr_assert(auth_allows(id.roles, AUTH_ROLE_READ));
    cr_assert_eq(id.caller->claims.rate, 10);
    cr_assert_eq(auth_check(a, NULL, 0, &id), AUTH_MISSING);
    cr_assert_eq(auth_check(a, "Basic abc", 9, &id), AUTH_MISSING);
    cr_assert_eq(auth_check(a, "Bearer token-api-server-0002", 28, &id), AUTH_INVALID);
    cr_assert_eq(auth_check(a, "Bearer token-api-server-000", 27, &id), AUTH_INVALID);
    cr_assert(auth_allows(AUTH_ROLE_ADMIN, AUTH_ROLE_CLAIM | AUTH_ROLE_READ));
    auth_free(a);
    unlink(path);
}

Test(auth, reloads_on_change_and_keeps_old_table_on_error)
{
    char path[] = "/tmp/prewarm-auth-XXXXXX", err[256];
    close(mkstemp(path));
    struct auth *a = load(path, file_v1);
    struct auth_identity id;
    cr_assert_eq(auth_check(a, T1, strlen(T1), &id), AUTH_OK);
    struct auth_caller *api = id.caller;
    cr_assert_eq(auth_reload(a, false, 1, err, sizeof err), 0); /* unchanged */
    write_file(path, "token-api-server-0001 api-server claim\nnot-a-token x\n");
    cr_assert_eq(auth_reload(a, false, 2, err, sizeof err), -1);
    cr_assert(strstr(err, ":2: "), "%s", err);
    cr_assert_eq(auth_check(a, T2, strlen(T2), &id), AUTH_OK); /* old table in force */
    write_file(path, "token-rotated-api-0003 api-server admin\n");
    cr_assert_eq(auth_reload(a, false, 3, err, sizeof err), 1);
    cr_assert_eq(auth_check(a, T1, strlen(T1), &id), AUTH_INVALID);
    cr_assert_eq(auth_check(a, "Bearer token-rotated-api-0003", 29, &id), AUTH_OK);
    cr_assert_eq(id.caller, api); /* the caller's state survives */
    cr_assert_eq(auth_token_count(a), 1);
    auth_free(a);
    unlink(path);
}

Test(auth, refuses_bad_lines_naming_the_line)
{
    char path[] = "/tmp/prewarm-auth-XXXXXX", err[256];
    close(mkstemp(path));
    const char *bad[] = {"short caller read\n", "token-api-server-0001 bad/name read\n",
                         "token-api-server-0001 x root\n",
                         "token-api-server-0001 x read rate=-1\n"};
    struct auth_defaults d = {0};
    for (size_t i = 0; i < 4; i++) {
        struct auth *a = NULL;
        write_file(path, bad[i]);
        cr_assert_eq(auth_new(path, &d, 0, &a, err, sizeof err), -1, "%s", bad[i]);
        cr_assert(strstr(err, ":1: "), "%s", err);
    }
    unlink(path);
}

Test(ratelimit, bucket_refills_at_rate)
{
    struct ratelimit rl;
    uint64_t retry = 0;
    ratelimit_init(&rl, 10, 2, 0);
    cr_assert(ratelimit_take(&rl, 0, NULL));
    cr_assert(ratelimit_take(&rl, 0, NULL));
    cr_assert_not(ratelimit_take(&rl, 0, &retry));
    cr_assert_eq(retry, 100000000); /* one token per 100 ms */
    cr_assert_not(ratelimit_take(&rl, 99999999, NULL));
    cr_assert(ratelimit_take(&rl, 100000000, NULL));
    cr_assert(ratelimit_take(&rl, 1000000000000ull, NULL)); /* long idle: full, not more */
    cr_assert(ratelimit_take(&rl, 1000000000000ull, NULL));
    cr_assert_not(ratelimit_take(&rl, 1000000000000ull, NULL));
    ratelimit_init(&rl, 0, 0, 0);
    for (int i = 0; i < 1000; i++)
        cr_assert(ratelimit_take(&rl, 0, NULL));
}
