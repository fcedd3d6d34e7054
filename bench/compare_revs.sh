#!/usr/bin/env bash
# Benchmarks two revisions of prewarm in one run, so their figures share the
# machine's conditions. Each revision is checked out in a temporary worktree
# and built in Release (-O3) with only the benchmark targets; the rounds run
# OLD, then NEW, repeated BENCH_ROUNDS times (default 1) in alternating order.
#
#   bench/compare_revs.sh OLD_REV [NEW_REV]     (NEW_REV defaults to HEAD)
#
# COMPARE=http (default): the pool core (pool_bench) and the HTTP claim path
#   (http_bench.sh, with its BENCH_* settings passed through) per round, then
#   prewarmd's CPU time per claim for both (claim_cpu.sh, the steadiest
#   figure on a shared machine).
# COMPARE=bind: sporadic binds. Per round, bind_sporadic (this checkout's,
#   built against each revision's pool core: hot and cold binds, ns, cycles,
#   page faults) and claim_rate.sh (prewarmd's bind_ns at 50 sporadic claims/s
#   and the claim path at 1,000 and 10,000 claims/s); then, when valgrind is
#   installed, callgrind's count of instructions and D1 / LL cache misses per
#   cold and hot bind for both (a simulated cache: the same on a busy machine
#   as on a quiet one). Every figure is preceded by the load average.
#
# Scripts of this checkout run against both builds (same method, same load).
# Prints each run's table, labelled with the revision. Builds nothing in the
# caller's tree.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?usage: $0 OLD_REV [NEW_REV]}
NEW=${2:-HEAD}
ROUNDS=${BENCH_ROUNDS:-1}
MODE=${COMPARE:-http}
[[ $MODE == http || $MODE == bind ]] || { echo "COMPARE must be http or bind" >&2; exit 2; }
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
    if [[ $MODE == http ]]; then
        nice -n 10 cmake --build "$out" --target prewarmd prewarm-demo-backend ceiling_server \
            http_echo_server pool_bench >/dev/null
    else
        nice -n 10 cmake --build "$out" --target prewarmd prewarm-demo-backend claim_rate \
            prewarm_pool >/dev/null
        # The driver of this checkout against the revision's core (its header
        # contract is the same; pool_set_prepare() may not exist yet).
        local prepare=0
        grep -q pool_set_prepare "$src/pool/pool.h" && prepare=1
        nice -n 10 cc -O3 -std=c11 -D_GNU_SOURCE -DBIND_PREPARE=$prepare -I"$src/pool" \
            bench/bind_sporadic.c "$out/pool/libprewarm_pool.a" -lm -o "$out/bench/bind_sporadic"
    fi
    echo "$1 = $(git rev-parse --short "$2") $(git log -1 --format=%s "$2" | cut -c1-70)"
}

load() { echo "(load average $(cut -d' ' -f1-3 /proc/loadavg))"; }

run_bind() { # run_bind NAME
    echo
    echo "==== $1: bind_sporadic $(load)"
    "$TMP/build-$1/bench/bind_sporadic"
    echo "==== $1: claim_rate.sh $(load)"
    bench/claim_rate.sh "$TMP/build-$1"
}

# Per-bind instructions and simulated cache misses of the measured claims
# (bind_sporadic toggles callgrind's collection around each pool_claim()).
# D1 64 KiB 2-way and LL 1 MiB 16-way, the machine's L1d and per-core L2; the
# 4 MiB eviction between cold binds flushes both.
callgrind_bind() { # callgrind_bind NAME CASE
    local out=$TMP/callgrind.$1.$2 n=200
    valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no --cache-sim=yes \
        --D1=65536,2,64 --LL=1048576,16,64 "$TMP/build-$1/bench/bind_sporadic" --claims $n \
        --evict 4 --only "$2" >/dev/null 2>&1
    callgrind_annotate --show=Ir,D1mr,D1mw,DLmr,DLmw "$out" | grep 'PROGRAM TOTALS' |
        sed 's/([^)]*)//g; s/,//g' | awk -v name="$1" -v c="$2" -v n=$n '{
            printf "%-4s %-5s %8.0f %8.1f %8.1f %8.1f\n", name, c, $1 / n, ($2 + $3) / n,
                $2 / n, ($4 + $5) / n }'
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
RUN=run_rev
[[ $MODE == bind ]] && RUN=run_bind
for ((round = 1; round <= ROUNDS; round++)); do
    if ((round % 2)); then $RUN old; $RUN new; else $RUN new; $RUN old; fi
done
echo
if [[ $MODE == http ]]; then
    echo "==== CPU per claim (old = $TMP/build-old, new = $TMP/build-new)"
    bench/claim_cpu.sh "$TMP/build-old" "$TMP/build-new"
elif command -v valgrind >/dev/null; then
    echo "==== callgrind, per bind (simulated caches, independent of load)"
    printf "%-4s %-5s %8s %8s %8s %8s\n" rev case instr D1miss D1read LLmiss
    for c in cold hot; do callgrind_bind old $c; callgrind_bind new $c; done
else
    echo "==== callgrind: skipped (valgrind is not installed)"
fi
