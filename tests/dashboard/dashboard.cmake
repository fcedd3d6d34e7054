# The dashboard: its arithmetic under node's test runner, and the page itself
# in real headless Chromium (playwright-core, Debian's chromium) against a
# live prewarmd under claims and releases.
find_program(PREWARM_NODE node REQUIRED)
add_test(NAME dashboard.stats
  COMMAND ${PREWARM_NODE} --test ${CMAKE_CURRENT_LIST_DIR}/stats.test.mjs)
