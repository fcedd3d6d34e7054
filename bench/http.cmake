# HTTP benchmark of prewarmd against the transport ceiling (bench/http_bench.sh).
# Run: cmake --build BUILD --target bench-http   (needs h2load and wrk)
add_custom_target(bench-http
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/http_bench.sh ${CMAKE_BINARY_DIR}
  USES_TERMINAL)
if(TARGET prewarmd)
  add_dependencies(bench-http prewarmd prewarm-demo-backend)
endif()
foreach(t ceiling_server http_echo_server)
  if(TARGET ${t})
    add_dependencies(bench-http ${t})
  endif()
endforeach()
