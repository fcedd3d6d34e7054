# k8sclient configuration parsers (owner: k8s-config): kubeconfig YAML and
# the decoders of API error bodies, exec plugin output, selectors and times.
# The library sources are compiled into each target so they are instrumented.
set(k8s_cfg_fuzz_sources
  ${PROJECT_SOURCE_DIR}/k8sclient/k8s_base64.c
  ${PROJECT_SOURCE_DIR}/k8sclient/k8s_config.c
  ${PROJECT_SOURCE_DIR}/k8sclient/k8s_cred.c
  ${PROJECT_SOURCE_DIR}/k8sclient/k8s_error.c
  ${PROJECT_SOURCE_DIR}/k8sclient/k8s_exec.c
  ${PROJECT_SOURCE_DIR}/k8sclient/k8s_incluster.c
  ${PROJECT_SOURCE_DIR}/k8sclient/k8s_keypair.c
  ${PROJECT_SOURCE_DIR}/k8sclient/k8s_kubeconfig.c
  ${PROJECT_SOURCE_DIR}/k8sclient/k8s_query.c
  ${PROJECT_SOURCE_DIR}/k8sclient/k8s_time.c)
foreach(t fuzz_kubeconfig fuzz_status)
  prewarm_add_fuzzer(${t} ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c ${k8s_cfg_fuzz_sources})
  target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/k8sclient)
  target_link_libraries(${t} PRIVATE PkgConfig::CJSON PkgConfig::YAML PkgConfig::CRYPTO)
endforeach()
