# The dashboard: its arithmetic under node's test runner, and the page itself
# in real headless Chromium (playwright-core, Debian's chromium) against a
# live prewarmd under claims and releases.
find_program(PREWARM_NODE node REQUIRED)
add_test(NAME dashboard.stats
  COMMAND ${PREWARM_NODE} --test ${CMAKE_CURRENT_LIST_DIR}/stats.test.mjs)
if(TARGET prewarmd)
  add_test(NAME dashboard.browser
    COMMAND ${PREWARM_NODE} --test ${CMAKE_CURRENT_LIST_DIR}/dashboard_browser.test.mjs)
  set_tests_properties(dashboard.browser PROPERTIES TIMEOUT 120
    ENVIRONMENT "PREWARMD=$<TARGET_FILE:prewarmd>;DEMO_BACKEND=$<TARGET_FILE:prewarm-demo-backend>;SCREENSHOT=${CMAKE_BINARY_DIR}/dashboard/dashboard.png;SIM_JS=${PROJECT_SOURCE_DIR}/tests/k8s-sim/sim.js")
endif()
