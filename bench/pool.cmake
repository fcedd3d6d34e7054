# Benchmark of the warm-pool core: claim / release latency on a pool of
# 10,000 Ready pods. Not a test. Build optimised for meaningful figures:
#   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-rel --target pool_bench && build-rel/bench/pool_bench
add_executable(pool_bench ${PROJECT_SOURCE_DIR}/bench/pool_bench.c)
target_link_libraries(pool_bench PRIVATE prewarm_pool)
# Sporadic fresh binds on cooled caches against hot ones, per-bind ns, cycles
# and page faults (bench/bind_compare.sh adds callgrind's cache misses).
add_executable(bind_sporadic ${PROJECT_SOURCE_DIR}/bench/bind_sporadic.c)
target_link_libraries(bind_sporadic PRIVATE prewarm_pool)
