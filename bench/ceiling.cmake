# Reference servers for the HTTP benchmarks: ceiling_server (a minimal epoll
# server, no prewarm code) and http_echo_server (a trivial handler on
# prewarm's own server), compared with h2load and wrk by bench/http_bench.sh.
add_executable(ceiling_server ${CMAKE_CURRENT_LIST_DIR}/ceiling_server.c)
target_link_libraries(ceiling_server PRIVATE PkgConfig::NGHTTP2)
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/http_echo_server.c)
  add_executable(http_echo_server ${CMAKE_CURRENT_LIST_DIR}/http_echo_server.c)
  target_link_libraries(http_echo_server PRIVATE prewarm_http)
endif()
