# Node simulator (scheduler, kubelet, faults, control) and the real-client
# suites (kubectl 1.27/1.33, python3-kubernetes). Included by CMakeLists.txt.
foreach(t scheduler kubelet faults control)
  add_test(NAME k8s_sim.nodes.${t} COMMAND ${K8S_SIM_NODE_TEST} ${CMAKE_CURRENT_SOURCE_DIR}/test/nodes/${t}.test.js)
  set_tests_properties(k8s_sim.nodes.${t} PROPERTIES TIMEOUT 90 LABELS "k8s-sim;node")
endforeach()
add_test(NAME k8s_sim.kubectl COMMAND ${K8S_SIM_NODE_TEST} ${CMAKE_CURRENT_SOURCE_DIR}/test/clients/kubectl.test.js)
set_tests_properties(k8s_sim.kubectl PROPERTIES TIMEOUT 900 LABELS "k8s-sim;node"
  ENVIRONMENT "PREWARM_KUBE_BIN=${PREWARM_KUBE_BIN}")
add_test(NAME k8s_sim.python COMMAND ${PREWARM_SKIPCODE} /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test/clients/test_python_client.py)
set_tests_properties(k8s_sim.python PROPERTIES TIMEOUT 90 LABELS "k8s-sim;node" SKIP_RETURN_CODE 77)

# The same client suites against the real control plane (tests/kube): kubectl
# starts a control plane per kubectl version (fresh state, as with the
# simulator); python3-kubernetes shares the kube_cluster fixture in a
# namespace of its own.
if(COMMAND kube_test)
  kube_test(kube.kubectl ${K8S_SIM_NODE_TEST} ${CMAKE_CURRENT_SOURCE_DIR}/test/clients/kubectl.test.js)
  set_tests_properties(kube.kubectl PROPERTIES TIMEOUT 900)
  set_property(TEST kube.kubectl APPEND PROPERTY ENVIRONMENT "K8S_TARGET=kube" "PREWARM_KUBE_BIN=${PREWARM_KUBE_BIN}")
  kube_test(kube.python ${PREWARM_SKIPCODE} /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test/clients/test_python_client.py)
  set_property(TEST kube.python APPEND PROPERTY ENVIRONMENT "PREWARM_K8S_TARGET=kube")
  # The differential check as a standing test: conformance suites that agree
  # in full with kube-apiserver run against it too (each starts its own
  # control plane, as each starts its own simulator). tests/kube/differential.sh
  # runs every suite on both; the README lists the differences of the others.
  foreach(suite 05-create 10-leases)
    kube_test(kube.conformance.${suite} ${K8S_SIM_NODE_TEST} ${CMAKE_CURRENT_SOURCE_DIR}/test/conformance/${suite}.test.js)
    set_tests_properties(kube.conformance.${suite} PROPERTIES TIMEOUT 300)
    set_property(TEST kube.conformance.${suite} APPEND PROPERTY ENVIRONMENT "K8S_TARGET=kube"
      "PREWARM_KUBE_BIN=${PREWARM_KUBE_BIN}")
  endforeach()
endif()
