/* The "sizing:" block of a pool: each policy's fields, defaults left to the
 * pool core (zero), and errors naming file:line:col and field. */
#include <criterion/criterion.h>
#include <string.h>

#include "config.h"

static struct config *cfg;
static char err[512];

static enum config_status load(const char *text)
{
    config_free(cfg);
    cfg = NULL;
    return config_load_string("s.yaml", text, strlen(text), &cfg, err, sizeof err);
}

static void teardown(void)
{
    config_free(cfg);
    cfg = NULL;
}

TestSuite(config_sizing, .fini = teardown);

#define POOL "pools:\n  - name: p\n    max_idle: 20\n    max_total: 40\n    local: {command: [x]}\n"

Test(config_sizing, absent_block_is_fixed)
{
    cr_assert_eq(load(POOL), CONFIG_OK, "%s", err);
    cr_assert_eq(cfg->pools[0].sizing.policy, POOL_SIZING_FIXED);
}

Test(config_sizing, predictive_fields)
{
    cr_assert_eq(load(POOL "    sizing:\n"
                           "      policy: predictive\n"
                           "      target_miss_ratio: 0.0005\n"
                           "      short_window_ms: 500\n"
                           "      long_window_seconds: 120\n"
                           "      lead_time_hint_ms: 8000\n"
                           "      scale_down_delay_seconds: 90\n"),
                 CONFIG_OK, "%s", err);
    const struct pool_sizing_config *s = &cfg->pools[0].sizing;
    cr_assert_eq(s->policy, POOL_SIZING_PREDICTIVE);
    cr_assert_float_eq(s->target_miss, 0.0005, 1e-12);
    cr_assert_eq(s->short_window_ms, 500);
    cr_assert_eq(s->long_window_s, 120);
    cr_assert_eq(s->lead_time_hint_ms, 8000);
    cr_assert_eq(s->scale_down_delay_s, 90);
    /* Unset fields stay 0: the pool core's defaults apply. */
    cr_assert_eq(load(POOL "    sizing: {policy: predictive}\n"), CONFIG_OK, "%s", err);
    cr_assert_eq(cfg->pools[0].sizing.target_miss, 0);
}

Test(config_sizing, percent_and_schedule)
{
    cr_assert_eq(load(POOL "    sizing: {policy: percent, percent: 25}\n"), CONFIG_OK, "%s", err);
    cr_assert_eq(cfg->pools[0].sizing.policy, POOL_SIZING_PERCENT);
    cr_assert_eq(cfg->pools[0].sizing.percent, 25);
    cr_assert_eq(load(POOL "    sizing:\n"
                           "      policy: schedule\n"
                           "      schedule:\n"
                           "        - {at: \"08:00\", min_idle: 10}\n"
                           "        - {at: \"20:30\", min_idle: 2}\n"),
                 CONFIG_OK, "%s", err);
    const struct pool_sizing_config *s = &cfg->pools[0].sizing;
    cr_assert_eq(s->policy, POOL_SIZING_SCHEDULE);
    cr_assert_eq(s->nschedule, 2);
    cr_assert_eq(s->schedule[0].minute, 8 * 60);
    cr_assert_eq(s->schedule[0].min_idle, 10);
    cr_assert_eq(s->schedule[1].minute, 20 * 60 + 30);
    cr_assert_eq(s->schedule[1].min_idle, 2);
}

struct bad_case {
    const char *text;
    const char *error;
};

static const struct bad_case bad_cases[] = {
    {POOL "    sizing: {policy: clever}\n",
     "s.yaml:6:22: pools[0].sizing.policy: must be fixed, percent, schedule or predictive"},
    {POOL "    sizing: {policy: predictive, target_miss_ratio: 0.5}\n",
     "s.yaml:6:53: pools[0].sizing.target_miss_ratio: must be a number above 0 and below 0.5 "
     "(e.g. 0.001)"},
    {POOL "    sizing: {policy: predictive, target_miss_ratio: often}\n",
     "s.yaml:6:53: pools[0].sizing.target_miss_ratio: must be a number above 0 and below 0.5 "
     "(e.g. 0.001)"},
    {POOL "    sizing: {policy: predictive, percent: 5}\n",
     "s.yaml:6:43: pools[0].sizing.percent: not used by policy predictive"},
    {POOL "    sizing: {scale_down_delay_seconds: 30}\n",
     "s.yaml:6:40: pools[0].sizing.scale_down_delay_seconds: not used by policy fixed"},
    {POOL "    sizing: {policy: percent}\n",
     "s.yaml:6:13: pools[0].sizing: policy percent needs percent"},
    {POOL "    sizing: {policy: schedule}\n",
     "s.yaml:6:13: pools[0].sizing: policy schedule needs schedule"},
    {POOL "    sizing: {policy: percent, percent: 0}\n",
     "s.yaml:6:40: pools[0].sizing.percent: must be an integer between 1 and 1000"},
    {POOL "    sizing: {policy: predictive, short_window_ms: 5000, long_window_seconds: 5}\n",
     "s.yaml:6:13: pools[0].sizing: short_window_ms (5000) must be shorter than "
     "long_window_seconds (5000 ms)"},
    {POOL "    sizing: {policy: schedule, schedule: []}\n",
     "s.yaml:6:42: pools[0].sizing.schedule: must be a list of 1 to 24 {at, min_idle} entries"},
    {POOL "    sizing: {policy: schedule, schedule: [{at: \"25:00\", min_idle: 1}]}\n",
     "s.yaml:6:48: pools[0].sizing.schedule[0].at: must be a time of day \"HH:MM\" (UTC)"},
    {POOL "    sizing: {policy: schedule, schedule: [{at: \"08:00\", min_idle: 21}]}\n",
     "s.yaml:6:67: pools[0].sizing.schedule[0].min_idle: must be an integer between 0 and 20"},
    {POOL "    sizing: {policy: schedule, schedule: [{at: \"08:00\"}]}\n",
     "s.yaml:6:43: pools[0].sizing.schedule[0]: needs both at and min_idle"},
    {POOL "    sizing:\n      policy: schedule\n      schedule:\n"
          "        - {at: \"09:00\", min_idle: 1}\n        - {at: \"08:00\", min_idle: 2}\n",
     "s.yaml:10:11: pools[0].sizing.schedule[1]: must come later in the day than the entry "
     "before"},
    {POOL "    sizing: {policy: predictive, colour: red}\n",
     "s.yaml:6:34: pools[0].sizing.colour: unknown field"},
};

Test(config_sizing, bad_blocks_name_file_line_column_and_field)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        cr_expect_eq(load(bad_cases[i].text), CONFIG_ERR_INVALID, "case %zu: %s", i, err);
        cr_expect_null(cfg);
        cr_expect_str_eq(err, bad_cases[i].error, "case %zu: got %s", i, err);
    }
}
