#!/usr/bin/env bash
# HTTP benchmark of prewarmd's claim path against the HTTP ceiling.
#
#   bench/http_bench.sh BUILD_DIR            (builds nothing)
#
# Starts bench/ceiling_server (a minimal epoll + nghttp2 server answering a
# fixed body: the most this machine gives per request), bench/http_echo_server
# (prewarm's own HTTP server with a trivial handler: what the transport costs)
# and prewarmd with one local pool of
# BENCH_PODS (default 1000) pre-warmed demo backends, then in the same run:
#   1. steady state, HTTP/2 (h2load) and HTTP/1.1 (wrk, POST via Lua):
#      POST /v1/pools/bench/claims {"key":"bench"} -- the full claim path
#      (HTTP, JSON parse, pool_claim lookup, JSON answer) on a live session,
#      as repeat claims by the same user take it;
#   2. fresh binds, HTTP/2: BENCH_PODS claims with no key, each binding a new
#      idle pod (201) -- the path a first claim takes; count-bound because
#      every pod serves one session only.
# Prints req/s, latency p50/p99 and the ratio prewarmd / ceiling per run.
# Each run is bounded (BENCH_SECONDS, default 5, at most 10). Loopback only.
set -euo pipefail

BUILD=${1:?usage: $0 BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
PODS=${BENCH_PODS:-1000}
SECS=${BENCH_SECONDS:-5}
((SECS > 10)) && SECS=10
CONNS=${BENCH_CONNECTIONS:-16}
STREAMS=${BENCH_STREAMS:-8}
PREWARMD=$BUILD/src/prewarmd
BACKEND=$BUILD/src/prewarm-demo-backend
CEILING=$BUILD/bench/ceiling_server
ECHO=$BUILD/bench/http_echo_server
for f in "$PREWARMD" "$BACKEND" "$CEILING" "$ECHO"; do
    [[ -x $f ]] || { echo "missing $f (build the targets first)" >&2; exit 1; }
done
command -v h2load >/dev/null && command -v wrk >/dev/null ||
    { echo "needs h2load (nghttp2-client) and wrk" >&2; exit 1; }

TMP=$(mktemp -d /tmp/prewarm-bench.XXXXXX)
PIDS=()
cleanup() {
    # SIGTERM: prewarmd stops its backends before it exits.
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

# Starts "$@" with stdout to $TMP/$name.out and sets PORT from its first
# "listening on http://HOST:PORT" line (polled with a deadline). Not run in a
# subshell, so PIDS keeps the server for the cleanup.
start_server() {
    local name=$1; shift
    "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    PIDS+=($!)
    local deadline=$((SECONDS + 10))
    PORT=""
    while [[ -z $PORT ]]; do
        PORT=$(grep -oE 'listening on http://[^ ]*:[0-9]+' "$TMP/$name.out" 2>/dev/null |
            head -1 | grep -oE '[0-9]+$' || true)
        ((SECONDS > deadline)) && { echo "$name did not start:" >&2; cat "$TMP/$name.err" >&2; exit 1; }
        if [[ -z $PORT ]]; then sleep 0.05; fi
    done
}

# Servers that take a port argument: pick a free one, wait until it accepts.
start_port_server() {
    local name=$1 bin=$2
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$bin" "$PORT" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    PIDS+=($!)
    local deadline=$((SECONDS + 10))
    until curl -s -o /dev/null "http://127.0.0.1:$PORT/"; do
        ((SECONDS > deadline)) && { echo "$name did not start:" >&2; cat "$TMP/$name.err" >&2; exit 1; }
        sleep 0.05
    done
}

# One pod more than the fresh-bind run needs: the key-reuse session holds one.
TOTAL=$((PODS + 1))
cat >"$TMP/prewarm.yaml" <<YAML
listen: "127.0.0.1:0"
limits: {max_connections: 4096}
pools:
  - name: bench
    min_idle: $TOTAL
    max_idle: $TOTAL
    max_total: $TOTAL
    max_waiters: 0
    session_ttl_seconds: 3600
    start_timeout_seconds: 120
    local:
      command: ["$BACKEND", --port, "{port}", --pod, "{pod}"]
      probe: {type: tcp}
      stop_grace_seconds: 1
YAML

start_server prewarmd "$PREWARMD" --config "$TMP/prewarm.yaml" --quiet
PPORT=$PORT
start_port_server ceiling "$CEILING"
CPORT=$PORT
start_port_server echo "$ECHO"
EPORT=$PORT
echo "prewarmd :$PPORT (warming $TOTAL pods), ceiling_server :$CPORT, http_echo_server :$EPORT"
deadline=$((SECONDS + 180))
until curl -sf "http://127.0.0.1:$PPORT/readyz" >/dev/null; do
    ((SECONDS > deadline)) && { echo "prewarmd not ready" >&2; exit 1; }
    sleep 0.2
done
echo "pool warm after ${SECONDS}s"

CLAIM=/v1/pools/bench/claims
printf '{"key":"bench"}' >"$TMP/key.json"
printf '{}' >"$TMP/fresh.json"
# One live session for the key-reuse runs.
curl -sf -X POST -d @"$TMP/key.json" "http://127.0.0.1:$PPORT$CLAIM" >/dev/null
cat >"$TMP/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"key":"bench"}'
wrk.headers["Content-Type"] = "application/json"
LUA

# h2load with a per-request log; prints "req/s p50_us p99_us ok_2xx".
run_h2load() {
    local url=$1 body=$2 log=$TMP/h2.log; shift 2
    rm -f "$log"
    h2load -t 1 -c "$CONNS" -m "$STREAMS" -d "$body" -H 'content-type: application/json' \
        --log-file="$log" "$@" "$url" >"$TMP/h2.out" 2>&1 || true
    local rps ok
    rps=$(grep -oE 'finished in [0-9.]+[a-z]+, [0-9.]+ req/s' "$TMP/h2.out" | awk '{print $4}')
    ok=$(grep -oE 'status codes: [0-9]+ 2xx' "$TMP/h2.out" | awk '{print $3}')
    sort -n -k3 "$log" 2>/dev/null | awk -v rps="${rps:-0}" -v ok="${ok:-0}" \
        '{ d[NR] = $3 } END { if (NR == 0) { print rps, 0, 0, ok; exit }
          print rps, d[int(NR * 0.5) + (NR * 0.5 > int(NR * 0.5))], d[int(NR * 0.99) + (NR * 0.99 > int(NR * 0.99))], ok }'
}

# wrk with --latency; prints "req/s p50_us p99_us non2xx".
to_us() { awk '{ v=$1; u=v; gsub(/[0-9.]/,"",u); sub(/[a-z]+$/,"",v);
    m = (u=="us") ? 1 : (u=="ms") ? 1000 : (u=="s") ? 1000000 : 1; printf "%d\n", v*m }'; }
run_wrk() {
    wrk -t 1 -c "$CONNS" -d "${SECS}s" --latency -s "$TMP/post.lua" "$1" >"$TMP/wrk.out" 2>&1 || true
    local rps p50 p99 bad
    rps=$(awk '/^Requests\/sec/ {print $2}' "$TMP/wrk.out")
    p50=$(awk '$1 == "50%" {print $2}' "$TMP/wrk.out" | to_us)
    p99=$(awk '$1 == "99%" {print $2}' "$TMP/wrk.out" | to_us)
    bad=$(awk '/Non-2xx/ {print $NF}' "$TMP/wrk.out")
    echo "${rps:-0} ${p50:-0} ${p99:-0} ${bad:-0}"
}

report() { # name ceiling-line echo-line prewarmd-line label
    read -r crps cp50 cp99 _ <<<"$2"
    read -r erps _ _ _ <<<"$3"
    read -r prps pp50 pp99 pextra <<<"$4"
    printf '%-30s %10.0f %10.0f %10.0f %6.2f %8d %8d %8d %8d  (%s)\n' "$1" "$crps" "$erps" "$prps" \
        "$(awk -v a="$prps" -v b="$crps" 'BEGIN { print (b > 0) ? a / b : 0 }')" \
        "$cp50" "$pp50" "$cp99" "$pp99" "$5 $pextra"
}

printf '%-30s %10s %10s %10s %6s %8s %8s %8s %8s\n' run "ceiling/s" "echo/s" "prewarmd/s" \
    "p/c" "c p50us" "p p50us" "c p99us" "p p99us"
C=$(run_h2load "http://127.0.0.1:$CPORT$CLAIM" "$TMP/key.json" -D "$SECS")
E=$(run_h2load "http://127.0.0.1:$EPORT$CLAIM" "$TMP/key.json" -D "$SECS")
P=$(run_h2load "http://127.0.0.1:$PPORT$CLAIM" "$TMP/key.json" -D "$SECS")
report "h2 claim, key reuse, ${SECS}s" "$C" "$E" "$P" "prewarmd 2xx:"
C=$(run_wrk "http://127.0.0.1:$CPORT$CLAIM")
E=$(run_wrk "http://127.0.0.1:$EPORT$CLAIM")
P=$(run_wrk "http://127.0.0.1:$PPORT$CLAIM")
report "h1 claim, key reuse, ${SECS}s" "$C" "$E" "$P" "wrk; prewarmd non-2xx:"
C=$(run_h2load "http://127.0.0.1:$CPORT$CLAIM" "$TMP/fresh.json" -n "$PODS")
E=$(run_h2load "http://127.0.0.1:$EPORT$CLAIM" "$TMP/fresh.json" -n "$PODS")
P=$(run_h2load "http://127.0.0.1:$PPORT$CLAIM" "$TMP/fresh.json" -n "$PODS")
report "h2 fresh bind, $PODS claims" "$C" "$E" "$P" "prewarmd 2xx:"
curl -s "http://127.0.0.1:$PPORT/metrics" | grep -E '^prewarm_claim_bind_seconds_(sum|count)'
