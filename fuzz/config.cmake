# Fuzzer of the daemon's YAML config parser (src/config).
prewarm_add_fuzzer(fuzz_config ${CMAKE_CURRENT_LIST_DIR}/fuzz_config.c
  ${PROJECT_SOURCE_DIR}/src/config/config.c ${PROJECT_SOURCE_DIR}/src/config/config_yaml.c
  ${PROJECT_SOURCE_DIR}/src/config/config_local.c ${PROJECT_SOURCE_DIR}/src/config/config_kubernetes.c
  ${PROJECT_SOURCE_DIR}/src/config/config_sizing.c
  ${PROJECT_SOURCE_DIR}/src/config/config_server.c
  ${PROJECT_SOURCE_DIR}/src/config/config_tls.c
  ${PROJECT_SOURCE_DIR}/src/http/http_tls.c
  ${PROJECT_SOURCE_DIR}/src/providers/kubernetes/kube_config.c)
target_include_directories(fuzz_config PRIVATE ${PROJECT_SOURCE_DIR}/src/config
  ${PROJECT_SOURCE_DIR}/src/base ${PROJECT_SOURCE_DIR}/src/providers/kubernetes
  ${PROJECT_SOURCE_DIR}/src/http)
target_link_libraries(fuzz_config PRIVATE prewarm_pool PkgConfig::YAML k8sclient m PkgConfig::SSL
  PkgConfig::CRYPTO)
