# Node simulator (scheduler, kubelet, faults, control) and the real-client
# suites (kubectl 1.27/1.33, python3-kubernetes). Included by CMakeLists.txt.
foreach(t scheduler kubelet faults control)
  add_test(NAME k8s_sim.nodes.${t} COMMAND ${K8S_SIM_NODE_TEST} ${CMAKE_CURRENT_SOURCE_DIR}/test/nodes/${t}.test.js)
  set_tests_properties(k8s_sim.nodes.${t} PROPERTIES TIMEOUT 90 LABELS "k8s-sim;node")
endforeach()
add_test(NAME k8s_sim.kubectl COMMAND ${K8S_SIM_NODE_TEST} ${CMAKE_CURRENT_SOURCE_DIR}/test/clients/kubectl.test.js)
set_tests_properties(k8s_sim.kubectl PROPERTIES TIMEOUT 900 LABELS "k8s-sim;node")
add_test(NAME k8s_sim.python COMMAND ${PREWARM_SKIPCODE} /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test/clients/test_python_client.py)
set_tests_properties(k8s_sim.python PROPERTIES TIMEOUT 90 LABELS "k8s-sim;node" SKIP_RETURN_CODE 77)
