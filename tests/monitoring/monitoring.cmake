# Prometheus rules, their unit tests and the Grafana dashboard's queries,
# checked by promtool (Debian package prometheus; prewarm.sh installs it).
# Without promtool the test fails and says so.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
find_program(PREWARM_PROMTOOL promtool)
add_test(NAME monitoring.rules
  COMMAND Python3::Interpreter ${CMAKE_CURRENT_LIST_DIR}/check_monitoring.py
          ${PREWARM_PROMTOOL} ${PROJECT_SOURCE_DIR}/charts-free-manifests/monitoring
          ${PROJECT_SOURCE_DIR}/README.md)
