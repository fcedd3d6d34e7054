#!/usr/bin/env bash
# CTest fixture around cluster.sh: start (FIXTURES_SETUP) and stop
# (FIXTURES_CLEANUP) of the control plane the kube_cluster tests share.
#   fixture.sh start|stop DIR BINDIR
# Without the binaries, start exits 77 (CTest reports a skip) unless
# PREWARM_KUBE_REQUIRED=1, which makes their absence a failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
action=$1 dir=$2 bin=$3
case $action in
start)
  if [ ! -x "$bin/kube-apiserver" ]; then
    echo "SKIP: no control plane binaries in $bin (build them: tests/kube/cluster.sh build $bin)" >&2
    [ "${PREWARM_KUBE_REQUIRED:-0}" = 1 ] && exit 1
    exit 77
  fi
  "$here/cluster.sh" stop "$dir" 2>/dev/null || true
  rm -f "$dir/env"
  "$here/cluster.sh" start "$dir" --bin "$bin" >/dev/null
  ;;
stop)
  [ -d "$dir" ] || exit 0
  "$here/cluster.sh" stop "$dir"
  ;;
*) echo "usage: fixture.sh start|stop DIR BINDIR" >&2; exit 2 ;;
esac
