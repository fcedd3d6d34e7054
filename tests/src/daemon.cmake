# Unit tests of the daemon's modules (config, metrics).
add_executable(test_config ${CMAKE_CURRENT_LIST_DIR}/test_config.c)
target_link_libraries(test_config PRIVATE prewarm_config PkgConfig::CRITERION)
target_compile_definitions(test_config PRIVATE
  PREWARM_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_test(NAME config.parse COMMAND test_config)

add_executable(test_metrics ${CMAKE_CURRENT_LIST_DIR}/test_metrics.c)
target_link_libraries(test_metrics PRIVATE prewarm_metrics PkgConfig::CRITERION)
add_test(NAME metrics.format COMMAND test_metrics)

add_executable(test_api_claim ${CMAKE_CURRENT_LIST_DIR}/test_api_claim.c)
target_link_libraries(test_api_claim PRIVATE prewarm_api_claim PkgConfig::CRITERION)
add_test(NAME api.claim_body COMMAND test_api_claim)

if(TARGET prewarm_daemon)
  add_executable(test_provider_local ${CMAKE_CURRENT_LIST_DIR}/test_provider_local.c)
  target_link_libraries(test_provider_local PRIVATE prewarm_daemon PkgConfig::CRITERION)
  target_compile_definitions(test_provider_local PRIVATE
    DEMO_BACKEND="$<TARGET_FILE:prewarm-demo-backend>")
  add_dependencies(test_provider_local prewarm-demo-backend)
  add_test(NAME provider_local.children COMMAND test_provider_local)
endif()
