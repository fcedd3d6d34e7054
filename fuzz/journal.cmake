# Fuzzer of the bind journal's replay and compaction (kube_journal.h).
prewarm_add_fuzzer(fuzz_journal ${PROJECT_SOURCE_DIR}/fuzz/fuzz_journal.c
  ${PROJECT_SOURCE_DIR}/src/providers/kubernetes/kube_journal.c)
target_include_directories(fuzz_journal PRIVATE ${PROJECT_SOURCE_DIR}/src/providers/kubernetes)
