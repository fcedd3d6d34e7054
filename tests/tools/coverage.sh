#!/usr/bin/env bash
# Coverage of the suite, per folder: builds with gcov instrumentation in
# build-cov, runs ctest (arguments go to ctest, e.g. -E '^e2e[.]' for the
# figure without the end-to-end test, or -R 'src[.]'), then the coverage
# target (gcovr) prints lines and functions covered per folder and writes
# an HTML report to build-cov/coverage/index.html.
#   tests/tools/coverage.sh [CTEST_ARGS...]
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${PREWARM_COVERAGE_DIR:-build-cov}
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPREWARM_COVERAGE=ON >/dev/null
cmake --build "$dir"
find "$dir" -name '*.gcda' -delete
(cd "$dir" && ctest -j2 --timeout 600 "$@") || echo "coverage: some tests failed (figures below still count what ran)" >&2
cmake --build "$dir" --target coverage
