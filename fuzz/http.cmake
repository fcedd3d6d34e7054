# Fuzzers of the HTTP server: the pure HTTP/1.1 head parser, and the whole
# server (HTTP/1.1 and HTTP/2 connection code) fed through a socketpair.
# Seeds are in fuzz/corpus/http1 and fuzz/corpus/http_server; libFuzzer
# writes new inputs into its first directory, so run on a copy:
#   cp -r fuzz/corpus/http_server /tmp/c && build/fuzz/fuzz_http_server -max_total_time=60 /tmp/c
prewarm_add_fuzzer(fuzz_http1 ${CMAKE_CURRENT_LIST_DIR}/fuzz_http1.c
  ${PROJECT_SOURCE_DIR}/src/http/http_parser.c)
target_include_directories(fuzz_http1 PRIVATE ${PROJECT_SOURCE_DIR}/src/http
  ${PROJECT_SOURCE_DIR}/src/base)

prewarm_add_fuzzer(fuzz_http_server ${CMAKE_CURRENT_LIST_DIR}/fuzz_http_server.c
  ${PROJECT_SOURCE_DIR}/src/base/loop.c
  ${PROJECT_SOURCE_DIR}/src/base/buf.c
  ${PROJECT_SOURCE_DIR}/src/base/json_out.c
  ${PROJECT_SOURCE_DIR}/src/base/utf8.c
  ${PROJECT_SOURCE_DIR}/src/http/addr_limit.c
  ${PROJECT_SOURCE_DIR}/src/http/http_parser.c
  ${PROJECT_SOURCE_DIR}/src/http/http_conn.c
  ${PROJECT_SOURCE_DIR}/src/http/http_exchange.c
  ${PROJECT_SOURCE_DIR}/src/http/http_server.c
  ${PROJECT_SOURCE_DIR}/src/http/http_h1.c
  ${PROJECT_SOURCE_DIR}/src/http/http_h2.c
  ${PROJECT_SOURCE_DIR}/src/http/http_tls.c)
target_include_directories(fuzz_http_server PRIVATE ${PROJECT_SOURCE_DIR}/src/http
  ${PROJECT_SOURCE_DIR}/src/base)
target_link_libraries(fuzz_http_server PRIVATE PkgConfig::NGHTTP2 PkgConfig::SSL PkgConfig::CRYPTO)

# The ALPN protocol list a TLS client sends (http_tls_alpn_choose): the one
# TLS input prewarm parses itself (OpenSSL parses the rest). Seeds in
# fuzz/corpus/tls_alpn.
prewarm_add_fuzzer(fuzz_tls_alpn ${CMAKE_CURRENT_LIST_DIR}/fuzz_tls_alpn.c
  ${PROJECT_SOURCE_DIR}/src/http/http_tls.c)
target_include_directories(fuzz_tls_alpn PRIVATE ${PROJECT_SOURCE_DIR}/src/http
  ${PROJECT_SOURCE_DIR}/src/base)
target_link_libraries(fuzz_tls_alpn PRIVATE PkgConfig::SSL PkgConfig::CRYPTO)
