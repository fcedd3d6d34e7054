# End-to-end tests of the Kubernetes provider against the API simulator
# (tests/k8s-sim) with lognormal 1-5 s kubelet delays and fault injection:
# one CTest entry per scenario, so a failure names it and CI runs them in
# parallel. PREWARM_E2E_KUBECONFIG=<file> runs the fault-free ones against
# a real control plane instead.
find_program(PREWARM_NODE node)
if(TARGET prewarmd AND PREWARM_PYTHON3 AND PREWARM_NODE)
  foreach(scenario fill_on_dedicated_nodes claims_bind_and_releases_replace crashed_pods
                   lost_node faults api_outage kill9_under_load leader_failover metrics)
    add_test(NAME e2e.kubernetes.${scenario}
      COMMAND ${PREWARM_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/e2e_kubernetes.py
              $<TARGET_FILE:prewarmd> ${PROJECT_SOURCE_DIR}/tests/k8s-sim/sim.js ${scenario})
    set_tests_properties(e2e.kubernetes.${scenario} PROPERTIES TIMEOUT 240 SKIP_RETURN_CODE 77)
  endforeach()
endif()

# The window between a claim's answer and its binding on the pod: binding
# writes refused by the simulator, then kill -9 / failover (e2e_kube_ha.py);
# session owners under auth across kill -9 and failover (owner_*).
if(TARGET prewarmd AND PREWARM_PYTHON3 AND PREWARM_NODE)
  foreach(scenario kill9_unrecorded failover_unrecorded owner_kill9 owner_failover)
    add_test(NAME e2e.kube_ha.${scenario}
      COMMAND ${PREWARM_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/e2e_kube_ha.py
              $<TARGET_FILE:prewarmd> ${PROJECT_SOURCE_DIR}/tests/k8s-sim/sim.js ${scenario})
    set_tests_properties(e2e.kube_ha.${scenario} PROPERTIES TIMEOUT 300)
  endforeach()
endif()

# The scenarios that need no fault injection, on the real control plane
# (tests/kube's kube_cluster fixture: kube-apiserver, kube-scheduler, kwok);
# skipped (77) when it could not be built.
if(COMMAND kube_test AND TARGET prewarmd AND PREWARM_PYTHON3)
  foreach(scenario fill_on_dedicated_nodes claims_bind_and_releases_replace kill9_under_load
                   leader_failover)
    kube_test(e2e.kubernetes.real.${scenario} ${PREWARM_PYTHON3}
              ${CMAKE_CURRENT_LIST_DIR}/e2e_kubernetes.py $<TARGET_FILE:prewarmd>
              ${PROJECT_SOURCE_DIR}/tests/k8s-sim/sim.js ${scenario})
    set_tests_properties(e2e.kubernetes.real.${scenario} PROPERTIES TIMEOUT 240)
  endforeach()
endif()
