# Unit tests of the hardening building blocks (src/security.cmake).
add_executable(test_json_strict ${CMAKE_CURRENT_LIST_DIR}/test_json_strict.c)
target_link_libraries(test_json_strict PRIVATE prewarm_json_strict PkgConfig::CRITERION)
add_test(NAME api.json_strict COMMAND test_json_strict)

add_executable(test_connect_token ${CMAKE_CURRENT_LIST_DIR}/test_connect_token.c)
target_link_libraries(test_connect_token PRIVATE prewarm_auth PkgConfig::CRITERION)
add_test(NAME auth.connect_token COMMAND test_connect_token)

add_executable(test_auth ${CMAKE_CURRENT_LIST_DIR}/test_auth.c)
target_link_libraries(test_auth PRIVATE prewarm_auth prewarm_addr_limit PkgConfig::CRITERION)
add_test(NAME auth.tokens COMMAND test_auth)
