#!/usr/bin/env bash
# CPU time prewarmd spends per claim, for one or more builds, in one run.
#
#   bench/claim_cpu.sh BUILD_DIR [BUILD_DIR...]
#
# For each build: starts its prewarmd on a small local pool, takes one live
# session with a key, then sends BENCH_CLAIMS (default 200000) repeat claims
# with that key through h2load, over HTTP/2 (16 connections x 8 streams) and
# HTTP/1.1 (16 connections, no pipelining), and reads prewarmd's user+system
# CPU time from /proc before and after. CPU per claim depends far less on
# what else the machine runs than requests/s does, so it is the figure to
# compare builds by on a shared machine. Builds run in rotating order for
# BENCH_ROUNDS rounds (default 4); the medians are printed last.
set -euo pipefail
(($# >= 1)) || { echo "usage: $0 BUILD_DIR [BUILD_DIR...]" >&2; exit 2; }
N=${BENCH_CLAIMS:-200000}
ROUNDS=${BENCH_ROUNDS:-4}
command -v h2load >/dev/null || { echo "needs h2load (nghttp2-client)" >&2; exit 1; }
TMP=$(mktemp -d /tmp/prewarm-cpu.XXXXXX)
PID=""
cleanup() {
    [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
printf '{"key":"bench"}' >"$TMP/body"

start() { # BUILD_DIR: sets PID and PORT
    cat >"$TMP/prewarm.yaml" <<YAML
listen: "127.0.0.1:0"
pools:
  - name: bench
    min_idle: 2
    max_idle: 2
    max_total: 4
    session_ttl_seconds: 3600
    local:
      command: ["$1/src/prewarm-demo-backend", --port, "{port}", --pod, "{pod}"]
      probe: {type: tcp}
      stop_grace_seconds: 1
YAML
    "$1/src/prewarmd" --config "$TMP/prewarm.yaml" --quiet >"$TMP/out" 2>"$TMP/err" &
    PID=$!
    local deadline=$((SECONDS + 20))
    PORT=""
    until [[ -n $PORT ]] && curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do
        ((SECONDS > deadline)) && { echo "prewarmd ($1) not ready" >&2; cat "$TMP/err" >&2; exit 1; }
        PORT=$(grep -oE 'listening on http://[^ ]*:[0-9]+' "$TMP/out" 2>/dev/null | grep -oE '[0-9]+$' || true)
        sleep 0.05
    done
    curl -sf -X POST -d @"$TMP/body" "http://127.0.0.1:$PORT/v1/pools/bench/claims" >/dev/null
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }

measure() { # BUILD_DIR PROTO -> prints µs per claim
    local args=(-m 8)
    [[ $2 == h1 ]] && args=(-m 1 --h1)
    start "$1"
    local t0 t1 ok
    t0=$(cpu_ticks)
    h2load -t 1 -c 16 "${args[@]}" -n "$N" -d "$TMP/body" -H 'content-type: application/json' \
        "http://127.0.0.1:$PORT/v1/pools/bench/claims" >"$TMP/h2load.out" 2>&1 || true
    t1=$(cpu_ticks)
    ok=$(grep -oE '[0-9]+ 2xx' "$TMP/h2load.out" | awk '{print $1}')
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
    [[ ${ok:-0} == "$N" ]] || { echo "only ${ok:-0} of $N claims answered 2xx" >&2; exit 1; }
    awk -v a="$t0" -v b="$t1" -v n="$N" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.2f\n", (b - a) / hz * 1e6 / n }'
}

builds=("$@")
for ((r = 0; r < ROUNDS; r++)); do
    for proto in h2 h1; do
        for ((i = 0; i < ${#builds[@]}; i++)); do
            b=${builds[$(((i + r) % ${#builds[@]}))]}
            v=$(measure "$b" "$proto")
            echo "$b $proto $v" >>"$TMP/all"
            printf 'round %d %-3s %-40s %8s us/claim\n' "$((r + 1))" "$proto" "$b" "$v"
        done
    done
done
echo "medians over $ROUNDS rounds of $N claims (prewarmd user+system CPU per claim):"
for b in "${builds[@]}"; do
    for proto in h2 h1; do
        awk -v b="$b" -v p="$proto" '$1 == b && $2 == p { print $3 }' "$TMP/all" | sort -n |
            awk -v b="$b" -v p="$proto" '{ v[NR] = $1 } END {
                m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "  %-3s %-40s %6.2f us/claim\n", p, b, m }'
    done
done
