# Benchmarks of the Kubernetes provider. Not tests.
#   build/bench/kube_memory_bench [N]    bytes kept per tracked pod
#   python3 bench/kube_bench.py build/src/prewarmd tests/k8s-sim/sim.js   figures (a)-(e)
if(TARGET prewarm_kube_core)
  add_executable(kube_memory_bench ${PROJECT_SOURCE_DIR}/bench/kube_memory_bench.c)
  target_link_libraries(kube_memory_bench PRIVATE prewarm_kube_core prewarm_pool)
  target_compile_definitions(kube_memory_bench PRIVATE PREWARM_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()
