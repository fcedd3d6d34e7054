# Fuzzer of the daemon's YAML config parser (src/config.c).
prewarm_add_fuzzer(fuzz_config ${CMAKE_CURRENT_LIST_DIR}/fuzz_config.c
  ${PROJECT_SOURCE_DIR}/src/config.c)
target_include_directories(fuzz_config PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(fuzz_config PRIVATE PkgConfig::YAML)
