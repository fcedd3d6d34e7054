#!/usr/bin/env bash
# Claims against a running prewarmd at fixed rates (open loop, bench/claim_rate.c):
#
#   bench/claim_rate.sh BUILD_DIR
#
# Starts BUILD_DIR/src/prewarmd on a loopback port with one local pool of demo
# backends (min_idle 40), then in one run:
#   1. sporadic fresh binds: 50 claims/s for CLAIM_SECONDS (default 10), each
#      released at once (the pool refills behind them); prints the bind_ns
#      distribution (time inside the pool core) and the end-to-end latency;
#   2. the whole claim path at fixed rates, 1,000 and 10,000 claims/s for 5 s
#      (live keys, so no backend is consumed): end-to-end latency distribution.
# BASELINE=1 runs prewarmd without the right to lock memory (setpriv, prlimit):
# its start-up pre-faulting of the process then fails (the pool core still
# pre-faults its own arrays), for an A/B figure.
# Loopback only; bounded in time.
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
SECS=${CLAIM_SECONDS:-10}
TMP=$(mktemp -d /tmp/prewarm-claim-rate.XXXXXX)
PID=""
cleanup() {
    [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
cat >"$TMP/prewarm.yaml" <<YAML
listen: "127.0.0.1:0"
pools:
  - name: demo
    min_idle: 40
    max_idle: 60
    max_total: 200
    session_ttl_seconds: 300
    local:
      command: [$BUILD/src/prewarm-demo-backend, --port, "{port}", --pod, "{pod}"]
      probe: {type: tcp, interval_ms: 1000}
      stop_grace_seconds: 1
YAML
RUN=()
if [[ ${BASELINE:-0} == 1 ]]; then
    RUN=(setpriv --bounding-set=-ipc_lock -- prlimit --memlock=0:0 --)
fi
"${RUN[@]}" "$BUILD/src/prewarmd" --config "$TMP/prewarm.yaml" --quiet >"$TMP/out" 2>"$TMP/err" &
PID=$!
PORT=""
for _ in $(seq 100); do
    PORT=$(grep -oE ':[0-9]+$' "$TMP/out" 2>/dev/null | tr -d : || true)
    [[ -n $PORT ]] && break
    sleep 0.1 # waiting for the listening line
done
[[ -n $PORT ]] || { cat "$TMP/err" >&2; exit 1; }
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.2; done # pool warm
echo "== sporadic fresh binds, 50 claims/s for ${SECS} s$([[ ${BASELINE:-0} == 1 ]] && echo ' (no pre-faulting)')"
"$BUILD/bench/claim_rate" --port "$PORT" --rate 50 --seconds "$SECS" --mode fresh --conns 4
echo "== key reuse, 1,000 claims/s for 5 s"
"$BUILD/bench/claim_rate" --port "$PORT" --rate 1000 --seconds 5 --mode key --conns 16
echo "== key reuse, 10,000 claims/s for 5 s"
"$BUILD/bench/claim_rate" --port "$PORT" --rate 10000 --seconds 5 --mode key --conns 64
