# End-to-end tests of prewarmd: real daemon, real backends, HTTP/1.1 and h2c.
# e2e_daemon.py exits 77 when a test could not run here (CTest: Skipped).
find_program(PREWARM_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT PREWARM_PYTHON3)
  find_program(PREWARM_PYTHON3 python3)
endif()
if(TARGET prewarmd AND PREWARM_PYTHON3)
  set(e2e_daemon_cmd ${PREWARM_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/e2e_daemon.py
      $<TARGET_FILE:prewarmd> $<TARGET_FILE:prewarm-demo-backend> ${PROJECT_SOURCE_DIR}/prewarm.yaml)
  add_test(NAME e2e.daemon COMMAND ${e2e_daemon_cmd})
  # The descriptor-limit test needs a hard limit of 192 or more: its own
  # entry, so a machine without one reports a skip, not a pass.
  add_test(NAME e2e.fd_limit COMMAND ${e2e_daemon_cmd} test_more_pods_than_the_soft_fd_limit)
  set_tests_properties(e2e.daemon e2e.fd_limit PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()

# Hardening: hostile input, connection abuse, signals, failed backends,
# connect tokens, bearer-token auth, scoping and rate limits (h1 and h2c).
if(TARGET prewarmd AND PREWARM_PYTHON3)
  add_test(NAME e2e.hardening
    COMMAND ${PREWARM_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/e2e_hardening.py
            $<TARGET_FILE:prewarmd> $<TARGET_FILE:prewarm-demo-backend>)
  set_tests_properties(e2e.hardening PROPERTIES TIMEOUT 300)
endif()
