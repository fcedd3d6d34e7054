# The daemon prewarmd and its parts: config, local provider, API routes,
# metrics, wiring and main; plus the demo backend the demo pool runs.

add_library(prewarm_config STATIC ${CMAKE_CURRENT_LIST_DIR}/config.c)
target_include_directories(prewarm_config PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(prewarm_config PUBLIC PkgConfig::YAML)

add_library(prewarm_metrics STATIC ${CMAKE_CURRENT_LIST_DIR}/metrics.c)
target_include_directories(prewarm_metrics PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(prewarm_metrics PUBLIC prewarm_buf m)

add_library(prewarm_api_claim STATIC ${CMAKE_CURRENT_LIST_DIR}/api_claim.c)
target_include_directories(prewarm_api_claim PUBLIC ${CMAKE_CURRENT_LIST_DIR}
  ${PROJECT_SOURCE_DIR}/pool)
target_link_libraries(prewarm_api_claim PUBLIC PkgConfig::CJSON m)

add_executable(prewarm-demo-backend ${CMAKE_CURRENT_LIST_DIR}/demo_backend.c)

add_library(prewarm_daemon STATIC
  ${CMAKE_CURRENT_LIST_DIR}/provider_local.c
  ${CMAKE_CURRENT_LIST_DIR}/api.c
  ${CMAKE_CURRENT_LIST_DIR}/daemon.c)
target_include_directories(prewarm_daemon PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(prewarm_daemon PUBLIC prewarm_config prewarm_metrics prewarm_pool
  prewarm_net prewarm_api_claim PkgConfig::CJSON)
add_executable(prewarmd ${CMAKE_CURRENT_LIST_DIR}/main.c)
target_link_libraries(prewarmd PRIVATE prewarm_daemon)
# The demo pool's backend is looked up next to prewarmd.
add_dependencies(prewarmd prewarm-demo-backend)
