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

# TLS on the listeners: HTTPS claims over HTTP/1.1 and HTTP/2, tokens, plaintext
# refused, silent clients timed out, certificate reload, client certificates.
# The certificates are tests/src/http's fixture (made at test time).
if(TARGET prewarmd AND PREWARM_PYTHON3)
  add_test(NAME e2e.tls
    COMMAND ${PREWARM_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/e2e_tls.py
            $<TARGET_FILE:prewarmd> $<TARGET_FILE:prewarm-demo-backend>
            ${PROJECT_BINARY_DIR}/tests/src/http/tls-certs)
  set_tests_properties(e2e.tls PROPERTIES TIMEOUT 300 FIXTURES_REQUIRED http_tls_certs)
endif()

# The same daemons under valgrind (Release build only: valgrind and the
# sanitizers do not mix): any memory error, or a definite or indirect leak at
# exit, makes prewarmd exit 99 and the test fail.
find_program(PREWARM_VALGRIND valgrind)
if(TARGET prewarmd AND PREWARM_PYTHON3 AND NOT PREWARM_SANITIZE)
  if(PREWARM_VALGRIND)
    add_test(NAME e2e.valgrind
      COMMAND ${CMAKE_COMMAND} -E env
              "PREWARM_E2E_WRAP=${PREWARM_VALGRIND} --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
              ${PREWARM_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/e2e_hardening.py
              $<TARGET_FILE:prewarmd> $<TARGET_FILE:prewarm-demo-backend>)
    set_tests_properties(e2e.valgrind PROPERTIES TIMEOUT 600)
  else()
    add_test(NAME e2e.valgrind COMMAND ${CMAKE_COMMAND} -E false)
    set_tests_properties(e2e.valgrind PROPERTIES WILL_FAIL FALSE)
    message(WARNING "valgrind not found: e2e.valgrind fails (./prewarm.sh test installs it)")
  endif()
endif()
