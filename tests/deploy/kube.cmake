# The same manifests on the real control plane (tests/kube, kube_cluster
# fixture): kube-apiserver checks every object, its RBAC authorizer answers
# access reviews for prewarm's ServiceAccount, and prewarmd runs a pool under
# the manifests' Role. They share the namespaces prewarm-system and
# prewarm-sessions on the one cluster, so they never run at the same time.
if(NODE_EXECUTABLE AND COMMAND kube_test)
  kube_test(deploy.kube.manifests ${PREWARM_SKIPCODE} ${NODE_EXECUTABLE} --test
            ${CMAKE_CURRENT_SOURCE_DIR}/manifests.test.js)
  kube_test(deploy.kube.rbac ${PREWARM_SKIPCODE} ${NODE_EXECUTABLE} --test
            ${CMAKE_CURRENT_SOURCE_DIR}/rbac.test.js ${CMAKE_CURRENT_SOURCE_DIR}/provider-rbac.test.js)
  foreach(t deploy.kube.manifests deploy.kube.rbac)
    set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT "PREWARMD=$<TARGET_FILE:prewarmd>")
    set_property(TEST ${t} APPEND PROPERTY LABELS deploy)
    set_tests_properties(${t} PROPERTIES RESOURCE_LOCK prewarm_deploy_namespaces TIMEOUT 300)
  endforeach()
endif()
