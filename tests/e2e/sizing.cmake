# End-to-end test of pool sizing: predictive and schedule pools in a real
# prewarmd with real backends; the estimates in the API and /metrics.
if(TARGET prewarmd AND PREWARM_PYTHON3)
  add_test(NAME e2e.sizing
    COMMAND ${PREWARM_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/e2e_sizing.py
            $<TARGET_FILE:prewarmd> $<TARGET_FILE:prewarm-demo-backend>
            ${PROJECT_SOURCE_DIR}/prewarm.yaml)
  set_tests_properties(e2e.sizing PROPERTIES TIMEOUT 180)
endif()
