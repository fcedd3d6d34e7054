# The claim API checked against its OpenAPI document by schemathesis, and
# /metrics under claim load checked by promtool and prometheus_client's
# OpenMetrics parser. The Python tools live in a virtual environment made by
# prewarm.sh from requirements.txt (PREWARM_VENV); without it these tests
# fail and say how to make it.
find_program(PREWARM_API_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(PREWARM_PROMTOOL promtool)
set(PREWARM_VENV "${PROJECT_SOURCE_DIR}/.venv" CACHE PATH
    "Python virtual environment with tests/api/requirements.txt (prewarm.sh makes it)")
if(TARGET prewarmd AND PREWARM_API_PYTHON3)
  add_test(NAME api.openapi
    COMMAND ${PREWARM_API_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/openapi_test.py
            $<TARGET_FILE:prewarmd> $<TARGET_FILE:prewarm-demo-backend>
            ${PROJECT_SOURCE_DIR}/src/api/openapi.yaml ${PREWARM_VENV}/bin/schemathesis
            ${CMAKE_BINARY_DIR}/schemathesis)
  set_tests_properties(api.openapi PROPERTIES TIMEOUT 600)
  add_test(NAME api.metrics
    COMMAND ${PREWARM_API_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/metrics_test.py
            $<TARGET_FILE:prewarmd> $<TARGET_FILE:prewarm-demo-backend> ${PREWARM_PROMTOOL}
            ${PREWARM_VENV}/bin/python ${PROJECT_SOURCE_DIR}/README.md)
  set_tests_properties(api.metrics PROPERTIES TIMEOUT 300)
endif()
