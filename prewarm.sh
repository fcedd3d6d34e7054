#!/usr/bin/env bash
# prewarm's front door: the two commands the README opens with.
#
#   ./prewarm.sh demo   install what is missing, build, start prewarmd on the demo local pool
#   ./prewarm.sh test   install what is missing, build, run the whole test suite
#                       (plain build with the style gate, then an ASan+UBSan build, fuzz smoke)
#   ./prewarm.sh kube-demo  prewarmd with a Kubernetes pool on the API simulator (tests/k8s-sim)
#
# Works as root on a fresh Debian 12 machine; CI runs `./prewarm.sh test` through .ci/run.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libcurl4-openssl-dev libssl-dev libcjson-dev libyaml-dev libnghttp2-dev libcriterion-dev valgrind
  nghttp2-client wrk curl openssl python3-kubernetes nodejs
  prometheus chromium python3-venv
  buildah systemd)

log() { printf '\n== %s\n' "$*" >&2; }

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # Node.js may come from outside Debian's archive; any node >= 18 will do.
  if command -v node >/dev/null 2>&1; then
    local keep=(); for p in "${missing[@]}"; do [ "$p" = nodejs ] || keep+=("$p"); done
    missing=("${keep[@]+"${keep[@]}"}")
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
}

# The dashboard's npm packages (uPlot, esbuild, playwright-core) from the
# committed lockfile; the build itself then runs offline.
install_dashboard() {
  local stamp=dashboard/node_modules/.package-lock.json
  [ -f "$stamp" ] && [ ! dashboard/package-lock.json -nt "$stamp" ] && return 0
  log "npm ci (dashboard)"
  (cd dashboard && npm ci --no-audit --no-fund)
}

# The spec-driven API tester (schemathesis) and the OpenMetrics parser, pinned
# in tests/api/requirements.txt, in a virtual environment of Debian's Python.
PREWARM_VENV=${PREWARM_VENV:-$PWD/.venv}
install_venv() {
  local stamp=$PREWARM_VENV/.requirements.txt
  cmp -s tests/api/requirements.txt "$stamp" 2>/dev/null && return 0
  log "pip install into $PREWARM_VENV (tests/api/requirements.txt)"
  /usr/bin/python3 -m venv "$PREWARM_VENV"
  "$PREWARM_VENV/bin/pip" install -q --disable-pip-version-check -r tests/api/requirements.txt
  cp tests/api/requirements.txt "$stamp"
}

# The Pulumi stack's npm packages from the committed lock file (the tests
# then run offline); reinstalled only when the lock file changes.
install_pulumi() {
  local stamp=pulumi/node_modules/.prewarm-lock.sha256 sum
  sum=$(sha256sum pulumi/package-lock.json | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && return 0
  log "npm ci (pulumi)"
  (cd pulumi && npm ci --no-audit --no-fund --loglevel=error)
  echo "$sum" >"$stamp"
}

build() { # build <dir> <build type> [cmake args...]
  local dir=$1 type=$2; shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DPREWARM_VENV="$PREWARM_VENV" "$@" >/dev/null
  cmake --build "$dir"
}

run_demo() {
  install_missing
  install_dashboard
  build build Release
  log "starting prewarmd on the demo pool (prewarm.yaml); Ctrl-C stops it"
  cat >&2 <<'TXT'
In another terminal:
  curl -s -XPOST localhost:8080/v1/pools/demo/claims -d '{"key":"alice"}'      # claim a warm backend
  curl -s http://<address from the answer>/?token=<token>                       # talk to it
  curl -s -XDELETE localhost:8080/v1/sessions/<session_id>                      # release it
  curl -s localhost:8080/v1/pools/demo ; curl -s localhost:8080/metrics
TXT
  exec ./build/src/prewarmd --config prewarm.yaml
}

# A Kubernetes pool without a cluster: the API simulator with three dedicated
# nodes (label pool=warm, taint dedicated=warm:NoSchedule) and kubelets that
# take 1-5 s (lognormal) to make a pod Ready, and prewarmd in front of it.
run_kube_demo() {
  install_missing
  build build Release
  local dir; dir=$(mktemp -d /tmp/prewarm-kube-demo.XXXXXX)
  log "starting the Kubernetes API simulator (state in $dir)"
  node tests/k8s-sim/sim.js --port 0 --dir "$dir" --nodes 1 --kubelet-events false \
    --pull-delay lognormal:1800:0.45:5000 --start-delay fixed:100 >"$dir/greeting.json" 2>"$dir/sim.log" &
  local sim=$!
  trap 'kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null; rm -rf "$dir"' EXIT
  until [ -s "$dir/greeting.json" ]; do kill -0 "$sim" || { cat "$dir/sim.log" >&2; exit 1; }; sleep 0.1; done
  local i; for i in 0 1 2; do
    curl -sf --cacert "$dir/ca.crt" -XPOST "$(sed 's/.*"server":"\([^"]*\)".*/\1/' "$dir/greeting.json")/_sim/nodes" \
      -d "{\"name\":\"warm-$i\",\"labels\":{\"pool\":\"warm\"},\"taints\":[{\"key\":\"dedicated\",\"value\":\"warm\",\"effect\":\"NoSchedule\"}]}" >/dev/null
  done
  cat >"$dir/prewarm.yaml" <<YAML
listen: "127.0.0.1:8080"
kubernetes: {kubeconfig: $dir/kubeconfig}
pools:
  - name: editor
    provider: kubernetes
    min_idle: 3
    max_idle: 5
    max_total: 10
    kubernetes:
      namespace: default
      port: 8080
      node_selector: {pool: warm}
      tolerations: [{key: dedicated, operator: Equal, value: warm, effect: NoSchedule}]
      template_inline:
        spec:
          containers: [{name: editor, image: nginx, ports: [{containerPort: 8080}]}]
YAML
  log "starting prewarmd with the Kubernetes pool 'editor' ($dir/prewarm.yaml); Ctrl-C stops both"
  cat >&2 <<TXT
In another terminal:
  curl -s -XPOST localhost:8080/v1/pools/editor/claims -d '{"key":"alice"}'   # a warm pod, at once
  KUBECONFIG=$dir/kubeconfig kubectl get pods -o wide                            # the pods and their nodes
  kubectl get pod <pod> -o jsonpath='{.metadata.annotations}'                    # the binding, written after the answer
  curl -s -XDELETE localhost:8080/v1/sessions/<session_id>                       # release: the pod is deleted and replaced
TXT
  ./build/src/prewarmd --config "$dir/prewarm.yaml"
}

fuzz_smoke() {
  log "fuzz smoke: every parser's fuzzer for a few seconds"
  CC=clang build build-fuzz RelWithDebInfo -DPREWARM_FUZZ=ON -DPREWARM_TESTS=OFF
  local f name corpus
  for f in build-fuzz/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=${f##*/fuzz_}
    corpus=$(mktemp -d)
    # Seeds are copied: libFuzzer writes what it finds into its corpus folder.
    [ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$corpus/"
    echo "-- $f" >&2
    "$f" -max_total_time="${PREWARM_FUZZ_SECONDS:-8}" -print_final_stats=1 "$corpus" 2>&1 | tail -n 3 >&2
    rm -rf "$corpus"
  done
}

# The real control plane (tests/kube): kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, etcd and kwok built from the Go module proxy into
# build/kube/bin (the module and build caches make later runs fast). When the
# proxy cannot be reached the kube tests report skips and the simulator
# suites still run; a build that fails to compile fails the run.
kube_build() {
  local bin=$PWD/build/kube/bin t0 t1
  mkdir -p build/kube
  if ! command -v go >/dev/null 2>&1; then
    log "SKIP real control plane: no Go toolchain (the kube tests will report skips)"
    export PREWARM_KUBE_UNAVAILABLE=1
    return 0
  fi
  log "real control plane: go mod download (tests/kube)"
  t0=$(date +%s)
  if ! (cd tests/kube && go mod download) >build/kube/download.log 2>&1; then
    tail -n 20 build/kube/download.log >&2
    log "SKIP real control plane: the Go module proxy did not serve tests/kube's modules (the kube tests will report skips)"
    export PREWARM_KUBE_UNAVAILABLE=1
    return 0
  fi
  log "real control plane: go build (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, kwok)"
  tests/kube/cluster.sh build "$bin" >build/kube/build.log 2>&1 || {
    tail -n 40 build/kube/build.log >&2
    echo "real control plane build failed (build/kube/build.log)" >&2
    return 1
  }
  t1=$(date +%s)
  KUBE_BUILD_SECONDS=$((t1 - t0))
  log "real control plane built in ${KUBE_BUILD_SECONDS} s (download + build)"
}

kube_report() {
  local f=$1/kube/cluster/ready-ms
  [ -n "${KUBE_BUILD_SECONDS:-}" ] && echo "real control plane: built in ${KUBE_BUILD_SECONDS} s" >&2
  [ -f "$f" ] && echo "real control plane: started (etcd to nodes Ready) in $(cat "$f") ms" >&2
  return 0
}

run_tests() {
  install_missing
  install_dashboard
  install_venv
  install_pulumi
  kube_build
  # Two optimisation levels, so -Werror sees what each one's analysis finds:
  # Release (-O3, what the benchmarks use) and the sanitizer build at -O2.
  log "Release build + tests"
  build build Release -DPREWARM_KUBE_BIN="$PWD/build/kube/bin"
  (cd build && ctest --output-on-failure -j2 --timeout 300 --output-junit ctest-junit.xml)
  kube_report build
  python3 tests/tools/skips.py build/ctest-junit.xml README.md
  # The sanitizer pass runs everything that executes prewarm's C code (prewarmd, k8sclient, the
  # pool core), the deploy checks that run prewarmd included. It leaves out, because they ran
  # above and run no C of ours: the API conformance suites and the simulator's own tests
  # (JavaScript, on the simulator and on the real control plane), kubectl, python3-kubernetes and
  # kube.smoke (other clients), the alert rules (promtool) and the Pulumi type check (tsc). The
  # deploy install and image checks are not registered in a sanitizer build (tests/deploy).
  log "ASan + UBSan build + tests (C suites and everything that runs prewarmd or k8sclient)"
  build build-asan RelWithDebInfo -DPREWARM_SANITIZE=ON -DPREWARM_KUBE_BIN="$PWD/build/kube/bin"
  (cd build-asan && ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
    ctest --output-on-failure -j2 --timeout 300 --output-junit ctest-junit.xml \
      -E '^k8s_sim[.]|^kube[.](conformance[.].*|kubectl|python|smoke)$|^monitoring[.]|^deploy[.]pulumi[.]tsc$')
  python3 tests/tools/skips.py build-asan/ctest-junit.xml README.md
  fuzz_smoke
  log "all tests passed"
}

case "${1:-}" in
demo) run_demo ;;
test) run_tests ;;
kube-demo) run_kube_demo ;;
*) echo "usage: $0 demo|test|kube-demo" >&2; exit 2 ;;
esac
