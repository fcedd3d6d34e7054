# The sizing simulator: replays arrival traces against the pool core on
# virtual time and compares sizing policies (bench/tracesim/tracesim.c has
# the commands). `tracesim table` prints the README's comparison table.
add_executable(tracesim
  ${PROJECT_SOURCE_DIR}/bench/tracesim/tracesim.c
  ${PROJECT_SOURCE_DIR}/bench/tracesim/sim.c
  ${PROJECT_SOURCE_DIR}/bench/tracesim/trace.c)
target_include_directories(tracesim PRIVATE ${PROJECT_SOURCE_DIR}/bench/tracesim)
target_link_libraries(tracesim PRIVATE prewarm_pool m)
