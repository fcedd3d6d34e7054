# The daemon's growable byte buffer, shared by the HTTP server, the API and metrics.
add_library(prewarm_buf STATIC ${CMAKE_CURRENT_LIST_DIR}/buf.c)
target_include_directories(prewarm_buf PUBLIC ${CMAKE_CURRENT_LIST_DIR})
