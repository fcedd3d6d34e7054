# k8sclient throughput against the API simulator (prints figures, never fails the build).
if(TARGET k8sclient)
  add_executable(k8s_client_bench ${CMAKE_CURRENT_SOURCE_DIR}/k8s_client_bench.c)
  target_link_libraries(k8s_client_bench PRIVATE k8sclient)
  target_compile_definitions(k8s_client_bench PRIVATE
    PREWARM_SIM_JS="${PROJECT_SOURCE_DIR}/tests/k8s-sim/sim.js")
endif()
