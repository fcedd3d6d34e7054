#!/usr/bin/env bash
# Benchmarks two revisions of prewarm in one run, so their figures share the
# machine's conditions: the pool core (pool_bench) and the HTTP claim path
# (http_bench.sh) for OLD, then NEW, repeated BENCH_ROUNDS times (default 1)
# in alternating order; then prewarmd's CPU time per claim for both
# (claim_cpu.sh, the steadiest figure on a shared machine).
#
#   bench/compare_revs.sh OLD_REV [NEW_REV]     (NEW_REV defaults to HEAD)
#
# Each revision is checked out in a temporary worktree and built in Release
# (-O3) with only the benchmark targets. http_bench.sh of this checkout runs
# against both builds (same method, same load), with its BENCH_* settings
# (BENCH_PODS, BENCH_SECONDS...) passed through. Prints each run's table,
# labelled with the revision. Builds nothing in the caller's tree.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?usage: $0 OLD_REV [NEW_REV]}
NEW=${2:-HEAD}
ROUNDS=${BENCH_ROUNDS:-1}
TMP=$(mktemp -d /tmp/prewarm-compare.XXXXXX)
cleanup() {
    for d in "$TMP"/src-*; do [[ -d $d ]] && git worktree remove --force "$d" >/dev/null 2>&1; done
    rm -rf "$TMP"
}
trap cleanup EXIT

build_rev() { # build_rev NAME REV
    local src=$TMP/src-$1 out=$TMP/build-$1
    git worktree add --detach "$src" "$2" >/dev/null 2>&1
    cmake -S "$src" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPREWARM_TESTS=OFF >/dev/null
    nice -n 10 cmake --build "$out" --target prewarmd prewarm-demo-backend ceiling_server \
        http_echo_server pool_bench >/dev/null
    echo "$1 = $(git rev-parse --short "$2") $(git log -1 --format=%s "$2" | cut -c1-70)"
}

run_rev() { # run_rev NAME
    echo
    echo "==== $1: pool_bench"
    "$TMP/build-$1/bench/pool_bench"
    echo "==== $1: http_bench.sh"
    bench/http_bench.sh "$TMP/build-$1"
}

build_rev old "$OLD"
build_rev new "$NEW"
for ((round = 1; round <= ROUNDS; round++)); do
    if ((round % 2)); then run_rev old; run_rev new; else run_rev new; run_rev old; fi
done
echo
echo "==== CPU per claim (old = $TMP/build-old, new = $TMP/build-new)"
bench/claim_cpu.sh "$TMP/build-old" "$TMP/build-new"
