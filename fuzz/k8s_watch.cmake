# Watch stream framer + event decoder (k8sclient/k8s_framer.c).
prewarm_add_fuzzer(fuzz_watch ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_watch.c
  ${PROJECT_SOURCE_DIR}/k8sclient/k8s_framer.c ${PROJECT_SOURCE_DIR}/k8sclient/k8s_error.c)
target_include_directories(fuzz_watch PRIVATE ${PROJECT_SOURCE_DIR}/k8sclient)
target_link_libraries(fuzz_watch PRIVATE PkgConfig::CJSON)
