# Event loop and HTTP server (HTTP/1.1 + h2c): the daemon's transport.
add_library(prewarm_net STATIC
  ${CMAKE_CURRENT_LIST_DIR}/loop.c
  ${CMAKE_CURRENT_LIST_DIR}/http_parser.c
  ${CMAKE_CURRENT_LIST_DIR}/http_server.c
  ${CMAKE_CURRENT_LIST_DIR}/http_h1.c
  ${CMAKE_CURRENT_LIST_DIR}/http_h2.c)
target_include_directories(prewarm_net PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(prewarm_net PUBLIC prewarm_buf PkgConfig::NGHTTP2)
