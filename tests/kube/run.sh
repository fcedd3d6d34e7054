#!/usr/bin/env bash
# Runs one test command against the shared control plane (the kube_cluster
# CTest fixture): exits 77 (CTest: skipped) when the fixture did not start
# one, so a suite that never reached a real apiserver is never counted as a
# pass. Lines in which the suite reports its own skips are repeated at the
# end, so they are seen among the passing tests too.
set -uo pipefail
env_file=${PREWARM_KUBE_ENV:-}
if [ -z "$env_file" ] || [ ! -f "$env_file" ]; then
  echo "SKIP: no real control plane (kube.cluster.start did not write ${env_file:-\$PREWARM_KUBE_ENV})" >&2
  exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
if grep -qE '\[SKIP\]|skipped|SKIP:' "$out"; then
  echo "---- skipped on the real control plane:"
  grep -E '\[SKIP\]|skipped \(|SKIP:|skipped:|# SKIP' "$out" | sort -u
fi
exit "$rc"
