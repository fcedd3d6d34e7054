# End-to-end tests of prewarmd: real daemon, real backends, HTTP/1.1 and h2c.
find_program(PREWARM_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT PREWARM_PYTHON3)
  find_program(PREWARM_PYTHON3 python3)
endif()
if(TARGET prewarmd AND PREWARM_PYTHON3)
  add_test(NAME e2e.daemon
    COMMAND ${PREWARM_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/e2e_daemon.py
            $<TARGET_FILE:prewarmd> $<TARGET_FILE:prewarm-demo-backend>
            ${PROJECT_SOURCE_DIR}/prewarm.yaml)
  set_tests_properties(e2e.daemon PROPERTIES TIMEOUT 180)
endif()
