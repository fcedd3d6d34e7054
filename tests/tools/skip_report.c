/*
 * Loud skips for Criterion suites.
 *
 * Criterion prints nothing about a skipped test at its default verbosity
 * and exits 0, so CTest would report the suite as passed. Linked into every
 * Criterion executable (prewarm_loud_skips() in tests/CMakeLists.txt), these
 * report hooks print one "[SKIP] suite::test: reason" line per skipped test
 * and, when nothing failed but something was skipped, end the process with
 * 77, which CTest's SKIP_RETURN_CODE turns into "Skipped".
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { SKIP_REPORT_EXIT = 77 };

/* Tests that ran and skipped (a test left out by --filter is not one). */
static size_t skip_report_count;

static void skip_report_exit(void)
{
    fflush(NULL);
    _exit(SKIP_REPORT_EXIT);
}

ReportHook(POST_TEST)(struct criterion_test_stats *stats)
{
    if (stats->test_status != CR_STATUS_SKIPPED)
        return;
    skip_report_count++;
    fprintf(stderr, "[SKIP] %s::%s: %s\n", stats->test->category, stats->test->name,
            stats->message ? stats->message : "(no reason given)");
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    if (skip_report_count == 0 || stats->tests_failed > 0 || stats->tests_crashed > 0)
        return;
    fprintf(stderr, "[SKIP] %zu test(s) skipped: exit %d\n", skip_report_count, SKIP_REPORT_EXIT);
    /* main() returns 0 after this hook; the status is changed on the way out. */
    atexit(skip_report_exit);
}
