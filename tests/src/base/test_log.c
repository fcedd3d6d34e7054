/* Tests of src/base/log.c: JSON lines, levels, cutting long lines. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static size_t fmt(char *out, size_t cap, const char *msg, const struct log_field *f, size_t n)
{
    /* 2026-12-06T07:41:02.123456Z */
    return log_format(out, cap, 1796542862123456789LL, LOG_LEVEL_WARN, msg, f, n);
}

Test(log, one_json_object_per_line)
{
    char out[LOG_LINE_MAX];
    struct log_field f[] = {LOG_STR("pool", "de\"mo\n"), LOG_UINT("count", 3),
                            LOG_INT("delta", -2),        LOG_F64("ratio", 0.25),
                            LOG_BOOL("ok", true),        LOG_STR("key", NULL)};
    size_t n = fmt(out, sizeof out, "pods could not be created", f, 6);
    out[n] = '\0';
    cr_assert_str_eq(out, "{\"ts\":\"2026-12-06T07:41:02.123456Z\",\"level\":\"warn\","
                          "\"msg\":\"pods could not be created\",\"pool\":\"de\\\"mo\\n\","
                          "\"count\":3,\"delta\":-2,\"ratio\":0.25,\"ok\":true,\"key\":null}\n");
}

Test(log, control_bytes_are_escaped)
{
    char out[256];
    struct log_field f[] = {LOG_STR("s", "a\x01\tb\\")};
    size_t n = fmt(out, sizeof out, "m", f, 1);
    out[n] = '\0';
    cr_assert(strstr(out, "\"s\":\"a\\u0001\\tb\\\\\"}"), "%s", out);
}

Test(log, a_long_line_is_cut_and_stays_json)
{
    char big[4000], out[LOG_LINE_MAX];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    struct log_field f[] = {LOG_STR("s", big), LOG_UINT("after", 7)};
    size_t n = fmt(out, sizeof out, "big", f, 2);
    cr_assert_leq(n, sizeof out);
    cr_assert_eq(out[n - 1], '\n');
    cr_assert_eq(out[n - 2], '}');
    cr_assert_eq(out[n - 3], '"');
    cr_assert_null(memmem(out, n, "after", 5), "a field after a cut string is dropped");
}

Test(log, a_number_that_does_not_fit_is_dropped_whole)
{
    char out[200];
    for (size_t cap = 64; cap < sizeof out; cap++) {
        struct log_field f[] = {LOG_UINT("number", 123456789012ULL), LOG_STR("k", "0123456789")};
        size_t n = fmt(out, cap, "m", f, 2);
        cr_assert_leq(n, cap);
        cr_assert_eq(out[n - 2], '}', "cap %zu: %.*s", cap, (int)n, out);
        void *num = memmem(out, n, "\"number\":", 9);
        cr_assert(!num || memmem(out, n, "123456789012", 12), "cap %zu: %.*s", cap, (int)n, out);
    }
}

Test(log, levels_filter_and_change_at_run_time)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    struct log lg = log_init(fds[1], LOG_LEVEL_INFO);
    LOG_DEBUG(&lg, "hidden");
    LOG_INFO(&lg, "shown", LOG_STR("a", "b"));
    log_set_level(&lg, LOG_LEVEL_DEBUG);
    LOG_DEBUG(&lg, "now shown");
    log_set_level(&lg, LOG_LEVEL_ERROR);
    LOG_WARN(&lg, "hidden again");
    close(fds[1]);
    char got[1024];
    ssize_t n = read(fds[0], got, sizeof got - 1);
    close(fds[0]);
    cr_assert_gt(n, 0);
    got[n] = '\0';
    cr_assert(strstr(got, "\"msg\":\"shown\",\"a\":\"b\"}\n"), "%s", got);
    cr_assert(strstr(got, "\"level\":\"debug\",\"msg\":\"now shown\"}\n"), "%s", got);
    cr_assert_null(strstr(got, "hidden"), "%s", got);
}

Test(log, level_names_parse)
{
    enum log_level l;
    cr_assert(log_level_parse("debug", 5, &l) && l == LOG_LEVEL_DEBUG);
    cr_assert(log_level_parse("warning", 7, &l) && l == LOG_LEVEL_WARN);
    cr_assert(log_level_parse("error", 5, &l) && l == LOG_LEVEL_ERROR);
    cr_assert_not(log_level_parse("verbose", 7, &l));
    cr_assert_not(log_level_parse("info2", 4 + 1, &l));
    cr_assert_str_eq(log_level_name(LOG_LEVEL_INFO), "info");
}
