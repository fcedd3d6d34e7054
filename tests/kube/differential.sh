#!/usr/bin/env bash
# The differential check: the simulator's conformance suites (tests/k8s-sim/
# test/conformance) run unchanged against the real kube-apiserver, one control
# plane per suite (K8S_TARGET=kube: tests/kube/target.js), and each file's
# pass/fail counts are printed beside its counts on the simulator. The
# differences found, and what was done about each, are listed in
# tests/k8s-sim/README.md ("Differences from a real kube-apiserver").
#   differential.sh [BINDIR] [SUITE...]    (SUITE: e.g. 05-create; default all)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-${PREWARM_KUBE_BIN:-$root/build/kube/bin}}
shift || true
[ -x "$bin/kube-apiserver" ] || { echo "no control plane binaries in $bin (cluster.sh build $bin)" >&2; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
  for f in "$root"/tests/k8s-sim/test/conformance/*.test.js; do
    n=$(basename "$f" .test.js)
    # 00-process checks the simulator's own process contract; *.unit test its modules.
    case $n in 00-process | *.unit) continue ;; esac
    suites+=("$n")
  done
fi
counts() { # counts LOG -> "pass fail"
  echo "$(sed -n 's/^# pass //p' "$1") $(sed -n 's/^# fail //p' "$1")"
}
printf '%-16s %12s %12s\n' suite 'sim pass/fail' 'kube pass/fail'
for n in "${suites[@]}"; do
  f=$root/tests/k8s-sim/test/conformance/$n.test.js
  timeout 300 node --test "$f" >"$out/$n.sim" 2>&1
  K8S_TARGET=kube PREWARM_KUBE_BIN=$bin timeout 300 node --test "$f" >"$out/$n.kube" 2>&1
  read -r sp sf < <(counts "$out/$n.sim")
  read -r kp kf < <(counts "$out/$n.kube")
  printf '%-16s %12s %12s\n' "$n" "${sp:-?}/${sf:-?}" "${kp:-?}/${kf:-?}"
  grep -E '^    not ok' "$out/$n.kube" | sed 's/^    not ok [0-9]* - /    kube: /'
done
