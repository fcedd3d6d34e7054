# charts-free-manifests/: render every overlay, assert on the objects, and
# have an API server check every object with strict field validation.
if(NODE_EXECUTABLE)
  add_test(NAME deploy.manifests COMMAND ${NODE_EXECUTABLE} --test ${CMAKE_CURRENT_SOURCE_DIR}/manifests.test.js)
  set_tests_properties(deploy.manifests PROPERTIES TIMEOUT 300 LABELS deploy
    ENVIRONMENT "PREWARMD=$<TARGET_FILE:prewarmd>")
  set_property(TEST deploy.manifests APPEND PROPERTY ENVIRONMENT "PREWARM_KUBE_BIN=${PREWARM_KUBE_BIN}")
else()
  message(WARNING "deploy: node not found, manifest checks not registered")
endif()
