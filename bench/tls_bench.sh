#!/usr/bin/env bash
# Claims over TLS against the same claims in plaintext, in one run.
#
#   bench/tls_bench.sh BUILD_DIR            (builds nothing)
#
# Starts two prewarmd with the same config (one local pool of 2 warm demo
# backends), one with a tls: block (P-256 certificate made now with the
# openssl CLI, TLS 1.3, ALPN) and one without, then with h2load:
#   1. key reuse, HTTP/2 (ALPN h2 vs h2c prior knowledge) and HTTP/1.1
#      (--h1, keep-alive): POST /v1/pools/bench/claims {"key":"bench"} on
#      a live session for BENCH_SECONDS (default 5, at most 10) at saturation,
#      BENCH_CONNECTIONS (16) connections, BENCH_STREAMS (8) streams on h2:
#      what TLS records cost per request on open connections;
#   2. one claim per new connection (BENCH_NEW_CONNECTIONS, default 256, 32
#      at a time, HTTP/1.1): what the handshake costs (h2load's mean connect
#      time and time to first byte).
# Prints req/s, p50/p99 latency per request (µs), the TLS / plaintext ratio
# of req/s, and prewarmd's own CPU time per claim (µs, from /proc: what the
# server pays, apart from the load generator sharing the machine).
# Loopback only; everything it starts is stopped at exit.
set -euo pipefail

BUILD=${1:?usage: $0 BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
SECS=${BENCH_SECONDS:-5}
((SECS > 10)) && SECS=10
CONNS=${BENCH_CONNECTIONS:-16}
STREAMS=${BENCH_STREAMS:-8}
NEWCONNS=${BENCH_NEW_CONNECTIONS:-256}
PREWARMD=$BUILD/src/prewarmd
BACKEND=$BUILD/src/prewarm-demo-backend
[[ -x $PREWARMD && -x $BACKEND ]] || { echo "missing $PREWARMD or $BACKEND" >&2; exit 1; }
command -v h2load >/dev/null && command -v openssl >/dev/null ||
    { echo "needs h2load (nghttp2-client) and openssl" >&2; exit 1; }

TMP=$(mktemp -d /tmp/prewarm-tls-bench.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/server.key" -out "$TMP/server.crt" 2>/dev/null

# Writes NAME.yaml (with TLS lines $2, if any), starts prewarmd on it and sets
# URL from its "listening on" line (polled with a deadline).
start() {
    local name=$1 tls=$2
    cat >"$TMP/$name.yaml" <<YAML
listen: "127.0.0.1:0"
$tls
limits: {max_connections: 4096, max_connections_per_address: 4096}
pools:
  - name: bench
    min_idle: 2
    max_idle: 2
    max_total: 2
    session_ttl_seconds: 3600
    local:
      command: ["$BACKEND", --port, "{port}", --pod, "{pod}"]
      probe: {type: tcp}
      stop_grace_seconds: 1
YAML
    "$PREWARMD" --config "$TMP/$name.yaml" --quiet >"$TMP/$name.out" 2>"$TMP/$name.err" &
    PIDS+=($!)
    local deadline=$((SECONDS + 30))
    URL=""
    until [[ -n $URL ]]; do
        URL=$(grep -oE 'https?://[^ ]*:[0-9]+' "$TMP/$name.out" 2>/dev/null | head -1 || true)
        ((SECONDS > deadline)) && { echo "$name did not start:" >&2; cat "$TMP/$name.err" >&2; exit 1; }
        [[ -n $URL ]] || sleep 0.05
    done
    until curl -sfk "$URL/readyz" >/dev/null; do
        ((SECONDS > deadline)) && { echo "$name not ready" >&2; exit 1; }
        sleep 0.1
    done
    curl -sfk -X POST -H 'content-type: application/json' -d '{"key":"bench"}' \
        "$URL/v1/pools/bench/claims" >/dev/null # the live session the runs reuse
}

start plain ""
PLAIN=$URL PLAIN_PID=${PIDS[-1]}
start tls "tls: {cert_file: server.crt, key_file: server.key, min_version: \"1.3\"}"
TLS=$URL TLS_PID=${PIDS[-1]}
printf '{"key":"bench"}' >"$TMP/key.json"
echo "plaintext $PLAIN, TLS $TLS ($(openssl version | cut -d' ' -f1-2), TLS 1.3, P-256)"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# h2load "$@" against the claim path of the prewarmd with pid $2; prints
# "req/s p50_us p99_us ok_2xx connect_mean ttfb_mean cpu_us_per_2xx"
# (latencies per request from its log file).
measure() {
    local url=$1 pid=$2 log=$TMP/h2.log t0; shift 2
    rm -f "$log"
    t0=$(cpu_ticks "$pid")
    h2load -t 1 -d "$TMP/key.json" -H 'content-type: application/json' --log-file="$log" "$@" \
        "$url/v1/pools/bench/claims" >"$TMP/h2.out" 2>&1 || true
    local rps ok conn ttfb cpu
    cpu=$(($(cpu_ticks "$pid") - t0))
    rps=$(grep -oE 'finished in [0-9.]+[a-z]+, [0-9.]+ req/s' "$TMP/h2.out" | awk '{print $4}')
    ok=$(grep -oE 'status codes: [0-9]+ 2xx' "$TMP/h2.out" | awk '{print $3}')
    conn=$(awk '/^time for connect:/ {print $6}' "$TMP/h2.out")
    ttfb=$(awk '/^time to 1st byte:/ {print $7}' "$TMP/h2.out")
    sort -n -k3 "$log" 2>/dev/null | awk -v r="${rps:-0}" -v ok="${ok:-0}" -v c="${conn:--}" \
        -v t="${ttfb:--}" -v cpu="$cpu" -v hz="$(getconf CLK_TCK)" '{ d[NR] = $3 }
        END { p50 = NR ? d[int((NR + 1) * 0.5)] : 0; p99 = NR ? d[int(NR * 0.99) + 1] : 0
              if (p99 == "") p99 = d[NR]
              print r, p50, p99, ok, c, t, (ok > 0) ? cpu * 1e6 / hz / ok : 0 }'
}

row() { # label plain-line tls-line
    read -r prps pp50 pp99 pok pconn pttfb pcpu <<<"$2"
    read -r trps tp50 tp99 tok tconn tttfb tcpu <<<"$3"
    printf '%-32s %8.0f %8.0f %5.2f %7d %7d %7d %7d %6.1f %6.1f %8s %8s %8s %8s  2xx %d/%d\n' \
        "$1" "$prps" "$trps" "$(awk -v a="$trps" -v b="$prps" 'BEGIN { print (b > 0) ? a / b : 0 }')" \
        "$pp50" "$tp50" "$pp99" "$tp99" "$pcpu" "$tcpu" "$pconn" "$tconn" "$pttfb" "$tttfb" \
        "$pok" "$tok"
}

printf '%-32s %8s %8s %5s %7s %7s %7s %7s %6s %6s %8s %8s %8s %8s\n' run "plain/s" "tls/s" \
    "t/p" "p p50us" "t p50us" "p p99us" "t p99us" "p cpu" "t cpu" "p conn" "t conn" "p ttfb" \
    "t ttfb"
row "h2 claim, key reuse, ${SECS}s" \
    "$(measure "$PLAIN" "$PLAIN_PID" -c "$CONNS" -m "$STREAMS" -D "$SECS")" \
    "$(measure "$TLS" "$TLS_PID" -c "$CONNS" -m "$STREAMS" -D "$SECS")"
row "h1 claim, key reuse, ${SECS}s" "$(measure "$PLAIN" "$PLAIN_PID" -c "$CONNS" -D "$SECS" --h1)" \
    "$(measure "$TLS" "$TLS_PID" -c "$CONNS" -D "$SECS" --h1)"
NEW=(-c 32 -n "$NEWCONNS" --h1 -H 'connection: close')
row "h1 claim, new connection each" "$(measure "$PLAIN" "$PLAIN_PID" "${NEW[@]}")" \
    "$(measure "$TLS" "$TLS_PID" "${NEW[@]}")"
