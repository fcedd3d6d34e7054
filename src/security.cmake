# Hardening building blocks, each a small library: strict UTF-8 and JSON
# body checks, bearer-token auth with per-caller rate limits, HMAC-SHA256
# connect tokens (libcrypto), and the per-address connection counter.
pkg_check_modules(CRYPTO REQUIRED IMPORTED_TARGET libcrypto)

add_library(prewarm_utf8 STATIC ${CMAKE_CURRENT_LIST_DIR}/base/utf8.c)
target_include_directories(prewarm_utf8 PUBLIC ${CMAKE_CURRENT_LIST_DIR}/base)

add_library(prewarm_json_strict STATIC ${CMAKE_CURRENT_LIST_DIR}/api/json_strict.c)
target_include_directories(prewarm_json_strict PUBLIC ${CMAKE_CURRENT_LIST_DIR}/api)
target_link_libraries(prewarm_json_strict PUBLIC prewarm_utf8 PkgConfig::CJSON)

add_library(prewarm_auth STATIC ${CMAKE_CURRENT_LIST_DIR}/auth/auth.c
  ${CMAKE_CURRENT_LIST_DIR}/auth/ratelimit.c ${CMAKE_CURRENT_LIST_DIR}/auth/connect_token.c)
target_include_directories(prewarm_auth PUBLIC ${CMAKE_CURRENT_LIST_DIR}/auth)
target_link_libraries(prewarm_auth PUBLIC PkgConfig::CRYPTO)

add_library(prewarm_addr_limit STATIC ${CMAKE_CURRENT_LIST_DIR}/http/addr_limit.c)
target_include_directories(prewarm_addr_limit PUBLIC ${CMAKE_CURRENT_LIST_DIR}/http)
