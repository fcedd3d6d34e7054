# The Kubernetes provider: warm pods through k8sclient/. prewarm_kube_core
# holds the pure modules (no loop, no daemon types) the config and the unit
# tests use; prewarm_kube is the provider on the daemon's loop.
set(kube_dir ${CMAKE_CURRENT_LIST_DIR})
add_library(prewarm_kube_core STATIC
  ${kube_dir}/kube_pod.c ${kube_dir}/kube_name.c ${kube_dir}/kube_template.c
  ${kube_dir}/kube_budget.c ${kube_dir}/kube_binds.c ${kube_dir}/kube_config.c
  ${kube_dir}/kube_journal.c)
target_include_directories(prewarm_kube_core PUBLIC ${kube_dir})
target_link_libraries(prewarm_kube_core PUBLIC k8sclient PkgConfig::CJSON)
