# Open-loop claims at a fixed rate against a running prewarmd (not a test):
# bench/claim_rate.sh starts prewarmd and prints the sporadic bind_ns and
# end-to-end latency distributions (see bench/claim_rate.c).
add_executable(claim_rate ${PROJECT_SOURCE_DIR}/bench/claim_rate.c)
