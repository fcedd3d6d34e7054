#!/bin/sh
# Compares prewarm's HTTP server (http_echo_server: a trivial handler on
# src/http/http_server) with the ceiling (ceiling_server: minimal epoll server),
# over h2c (h2load) and HTTP/1.1 (wrk, and h2load --h1 with pipelining).
# Usage: bench/http_server_bench.sh <build-dir>   (needs h2load and wrk)
# (Kept from the net engineer's bench/http_bench.sh; bench/http_bench.sh now
# measures prewarmd's claim path against both of these servers.)
# Prints one line per run: server protocol requests/s.
set -eu
build=${1:?usage: $0 <build-dir>}
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

wait_port() {
    i=0
    until curl -s -o /dev/null "http://127.0.0.1:$1/"; do
        i=$((i + 1)); [ $i -lt 50 ] || { echo "server on $1 did not start" >&2; exit 1; }
        sleep 0.1
    done
}

# "<req/s> req/s (<succeeded> ok, <failed> failed)" from h2load's report.
h2load_summary='/^finished in/ {rps=$4} /^requests:/ {ok=$8; bad=$10} END {printf "%s req/s (%s ok, %s failed)", rps, ok, bad}'

run() { # name binary
    port=$(free_port)
    "$build/bench/$2" "$port" & pid=$!
    pids="$pids $pid"
    wait_port "$port"
    h2=$(h2load -n 100000 -c 4 -m 16 "http://127.0.0.1:$port/" | awk "$h2load_summary")
    h1p=$(h2load --h1 -n 100000 -c 4 -m 16 "http://127.0.0.1:$port/" | awk "$h2load_summary")
    h1=$(wrk -t1 -c8 -d5s "http://127.0.0.1:$port/" | awk '/^Requests\/sec/ {print $2}')
    printf '%-18s h2c   h2load -n100000 -c4 -m16      %s\n' "$1" "$h2"
    printf '%-18s http1 h2load --h1 -c4 -m16 (pipe) %s\n' "$1" "$h1p"
    printf '%-18s http1 wrk -t1 -c8 -d5s            %s req/s\n' "$1" "$h1"
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

run ceiling_server ceiling_server
run prewarm_http http_echo_server
