# Tests of the event loop and the HTTP server (src/net.cmake).
foreach(name loop)
  add_executable(test_${name} ${CMAKE_CURRENT_LIST_DIR}/test_${name}.c)
  target_link_libraries(test_${name} PRIVATE prewarm_net PkgConfig::CRITERION)
  add_test(NAME src.${name} COMMAND test_${name})
endforeach()
