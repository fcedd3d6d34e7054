# Fuzzer of the claim body parser (POST /v1/pools/{pool}/claims):
#   cp -r fuzz/corpus/api /tmp/c && build/fuzz/fuzz_api -max_total_time=60 /tmp/c
prewarm_add_fuzzer(fuzz_api ${CMAKE_CURRENT_LIST_DIR}/fuzz_api.c
  ${PROJECT_SOURCE_DIR}/src/api/api_claim.c ${PROJECT_SOURCE_DIR}/src/api/json_strict.c
  ${PROJECT_SOURCE_DIR}/src/base/utf8.c)
target_include_directories(fuzz_api PRIVATE ${PROJECT_SOURCE_DIR}/src/api ${PROJECT_SOURCE_DIR}/pool
  ${PROJECT_SOURCE_DIR}/src/base)
target_link_libraries(fuzz_api PRIVATE PkgConfig::CJSON m)
