#!/usr/bin/env bash
# Runs the test suite (or a named subset) N times with CPU hogs beside it and
# prints, per test, how often it passed, failed and was skipped: a suite that
# is green on an idle machine must stay green on a busy one.
#
#   tests/tools/stress.sh [-n RUNS] [-k HOGS] [-b BUILD_DIR] [-j JOBS] [-t SECONDS] [CTEST_ARGS...]
#
#   -n RUNS      whole-suite runs (default 5)
#   -k HOGS      busy-loop processes running beside the tests (default 2)
#   -b DIR       a configured and built build directory (default build)
#   -j JOBS      ctest parallelism (default 2)
#   -t SECONDS   stop hogs and runs after this long at most (default 5400)
#   CTEST_ARGS   passed to ctest, e.g. -R 'e2e|h2-streams' or -E '^k8s_sim[.]'
#
# The hogs are plain shell busy loops at normal priority, each under
# `timeout`, killed by pid when the script ends (or is interrupted): they
# do no I/O and open no sockets. Exits 1 if any test failed in any run; the
# runs' ctest logs (each failed test's output included) are then kept and
# their folder named.
set -uo pipefail
runs=5 hogs=2 build=build jobs=2 limit=5400
while [ $# -gt 0 ]; do
  case $1 in
  -n) runs=$2; shift 2 ;;
  -k) hogs=$2; shift 2 ;;
  -b) build=$2; shift 2 ;;
  -j) jobs=$2; shift 2 ;;
  -t) limit=$2; shift 2 ;;
  -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
  --) shift; break ;;
  *) break ;; # the rest goes to ctest
  esac
done
[ -f "$build/CTestTestfile.cmake" ] || { echo "stress: $build is not a configured build directory" >&2; exit 2; }
out=$(mktemp -d)
pids=()
keep=0
cleanup() {
  for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "$keep" = 1 ]; then
    echo "stress: ctest logs with the failed tests' output kept in $out (run*.log)" >&2
  else
    rm -rf "$out"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for ((h = 0; h < hogs; h++)); do
  timeout "$limit" sh -c 'while :; do :; done' &
  pids+=($!)
done
start=$(date +%s)
echo "stress: $runs run(s) of ctest -j$jobs $* in $build, $hogs CPU hog(s)" >&2
for ((r = 1; r <= runs; r++)); do
  if (($(date +%s) - start >= limit)); then
    echo "stress: time limit reached after $((r - 1)) run(s)" >&2
    runs=$((r - 1))
    break
  fi
  t0=$(date +%s)
  ctest --test-dir "$build" -j"$jobs" --timeout 600 --output-on-failure --output-junit "$out/run$r.xml" \
    "$@" >"$out/run$r.log" 2>&1
  echo "stress: run $r/$runs: $(grep -E 'tests passed|tests failed' "$out/run$r.log" | tail -n1) ($(($(date +%s) - t0)) s)" >&2
done
python3 - "$out" "$runs" <<'PY'
import glob, os, sys, xml.etree.ElementTree as ET
folder, runs = sys.argv[1], int(sys.argv[2])
counts = {}
for path in sorted(glob.glob(os.path.join(folder, "run*.xml"))):
    for case in ET.parse(path).getroot().iter("testcase"):
        c = counts.setdefault(case.get("name"), {"pass": 0, "fail": 0, "skip": 0})
        status = case.get("status")
        c["pass" if status == "run" else "skip" if case.find("skipped") is not None else "fail"] += 1
width = max([len(n) for n in counts] + [4])
print("%-*s %6s %6s %6s" % (width, "test", "passed", "failed", "skipped"))
for name in sorted(counts):
    c = counts[name]
    mark = "  <-- FAILED" if c["fail"] else ""
    print("%-*s %3d/%-2d %6d %6d%s" % (width, name, c["pass"], runs, c["fail"], c["skip"], mark))
tot = {k: sum(c[k] for c in counts.values()) for k in ("pass", "fail", "skip")}
print("stress: %d passed, %d failed, %d skipped (%d tests x %d runs)" % (tot["pass"], tot["fail"], tot["skip"], len(counts), runs))
sys.exit(1 if tot["fail"] else 0)
PY
status=$?
[ "$status" = 0 ] || keep=1
exit "$status"
