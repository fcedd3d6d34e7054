# Fuzzer of the warm-pool core: bytes -> event sequence -> invariant checks
# (tests/pool/pool_driver.h). The pool sources are compiled into the target
# rather than linked from prewarm_pool so libFuzzer's coverage sees them.
file(GLOB fuzz_pool_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/pool/*.c)
prewarm_add_fuzzer(fuzz_pool ${PROJECT_SOURCE_DIR}/fuzz/fuzz_pool.c ${fuzz_pool_sources})
target_include_directories(fuzz_pool PRIVATE ${PROJECT_SOURCE_DIR}/pool
  ${PROJECT_SOURCE_DIR}/tests/pool)
