# Tests of the event loop and the HTTP server (src/net.cmake).
foreach(name loop http_parser http_h1 http_h2)
  if(NOT EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_${name}.c)
    continue()
  endif()
  add_executable(test_${name} ${CMAKE_CURRENT_LIST_DIR}/test_${name}.c)
  target_link_libraries(test_${name} PRIVATE prewarm_net PkgConfig::CRITERION PkgConfig::CURL)
  add_test(NAME src.${name} COMMAND test_${name})
endforeach()
