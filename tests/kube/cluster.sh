#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for prewarm's tests: etcd (embedded,
# cmd/etcd), kube-apiserver, kube-controller-manager, kube-scheduler and kwok
# (fake nodes whose pods go Running/Ready), all built from the Go module proxy
# at the release pinned in go.mod.
#
#   cluster.sh build [BINDIR]         build every binary into BINDIR (one go build)
#   cluster.sh start DIR [options]    start a control plane whose state lives in DIR
#   cluster.sh stop DIR               stop it (SIGTERM, then SIGKILL after 10 s) and keep DIR
#   cluster.sh status DIR             exit 0 when its apiserver answers /readyz
#
# start options:
#   --bin BINDIR        binaries (default $PREWARM_KUBE_BIN, else tests/kube/bin)
#   --nodes N           fake nodes (default 3; 0 = none)
#   --no-scheduler      leave out kube-scheduler (pods stay Pending, unscheduled)
#   --no-nodes          leave out kwok and the nodes (scheduled pods stay Pending)
#   --no-controllers    leave out kube-controller-manager (no namespace deletion,
#                       no garbage collection, no default service accounts)
#   --api-only          no scheduler, no nodes: pods stay as written (the controllers
#                       stay: namespaces, service accounts, garbage collection)
#   --token T           the admin's bearer token (repeatable; default: random)
#   --readonly-token T  the read-only user's token (repeatable; default: random)
#   --readonly-user U   that user's name (default prewarm-readonly)
#   --namespace-token T=NS1,NS2  a token whose user may edit only NS1, NS2 (repeatable)
#   --namespace-user U  name of the first such user (default prewarm-namespaced; the next get -1, -2, ...)
#   --feature-gates G   kube-apiserver --feature-gates (e.g. WatchList=false)
#   --compaction-interval D  how often kube-apiserver compacts etcd (Go duration; default 5m)
#   --pod-ready-delay-ms MS   delay before a scheduled pod turns Running/Ready (default 0;
#                       a pod's annotation prewarm.dev/ready-delay: "2s" overrides it)
#   --pod-delete-delay-ms MS  delay before a deleted pod's node lets it go (default 0;
#                       annotation prewarm.dev/delete-delay overrides it)
#
# What start leaves in DIR (the same names as tests/k8s-sim's --dir):
#   ca.crt, ca.key              cluster CA (openssl CLI); the key signs tests' client certificates
#   token                       bearer token of the admin user (group system:masters)
#   client.crt client.key       client certificate of the same admin (CN prewarm-admin)
#   readonly-token              bearer token of a user RBAC lets only get/list/watch
#   kubeconfig                  context "prewarm-kube", bearer token, namespace default
#   kubeconfig-cert             the same cluster with the client certificate
#   env                         shell assignments: PREWARM_KUBE_SERVER, _CA, _TOKEN,
#                               _KUBECONFIG, _DIR, KUBECONFIG (source it)
#   greeting.json               one JSON line {server, kubeconfig, ca, token, dir}
#   log/*.log, pids, pki/, etcd/
# and prints the greeting line on stdout once every part is ready.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "cluster.sh: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }

# Waits until "$@" succeeds, polling every 100 ms, or fails after $1 seconds
# naming what it waited for. Each part's liveness is checked on every round
# so a crash is reported at once with the tail of its log.
wait_until() {
  local secs=$1 what=$2; shift 2
  local end=$(( $(now_ms) + secs * 1000 ))
  until "$@"; do
    check_alive
    (( $(now_ms) < end )) || die "timed out after ${secs}s waiting for $what"
    sleep 0.1
  done
}

check_alive() {
  local name pid
  [ -f "$DIR/pids" ] || return 0
  while read -r name pid; do
    kill -0 "$pid" 2>/dev/null && continue
    echo "cluster.sh: $name (pid $pid) exited; last lines of $DIR/log/$name.log:" >&2
    tail -n 30 "$DIR/log/$name.log" >&2 || true
    stop_all
    exit 1
  done <"$DIR/pids"
}

spawn() { # spawn NAME CMD... : background process, logged, recorded in DIR/pids
  local name=$1; shift
  setsid "$@" >"$DIR/log/$name.log" 2>&1 </dev/null &
  echo "$name $!" >>"$DIR/pids"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---------------------------------------------------------------- build
cmd_build() {
  local bin=${1:-${PREWARM_KUBE_BIN:-$HERE/bin}}
  mkdir -p "$bin"
  cd "$HERE"
  # One invocation: the packages the binaries share compile once. -trimpath
  # and a stripped link keep the link steps (the slow serial part) short.
  # The version the binaries report (kubectl version, /version, the
  # scheduler's compatibility checks) is stamped as the release's own build does.
  local kv x ld=''
  kv=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
  for x in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ld+=" -X $x.gitVersion=$kv -X $x.gitMajor=$(echo "${kv#v}" | cut -d. -f1)"
    ld+=" -X $x.gitMinor=$(echo "$kv" | cut -d. -f2) -X $x.gitTreeState=clean"
    ld+=" -X $x.buildDate=1970-01-01T00:00:00Z"
  done
  nice -n "${PREWARM_KUBE_NICE:-19}" go build -buildvcs=false -trimpath -ldflags="-s -w$ld" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl \
    sigs.k8s.io/kwok/cmd/kwok \
    ./cmd/etcd
}

# ---------------------------------------------------------------- pki
pki() {
  local p=$DIR/pki
  mkdir -p "$p"
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -keyout "$p/ca.key" -out "$p/ca.crt" -days 30 \
    -subj "/CN=prewarm-kube-ca" 2>/dev/null
  sign serving "/CN=kube-apiserver" \
    "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth"
  sign admin "/O=system:masters/CN=prewarm-admin" "extendedKeyUsage=clientAuth"
  sign scheduler "/CN=system:kube-scheduler" "extendedKeyUsage=clientAuth"
  sign controller-manager "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth"
  # Service-account tokens: the apiserver verifies with the public half, the
  # controller-manager signs with the private half.
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$p/sa.key" 2>/dev/null
  openssl pkey -in "$p/sa.key" -pubout -out "$p/sa.pub" 2>/dev/null
  cp "$p/ca.crt" "$DIR/ca.crt"
  cp "$p/ca.key" "$DIR/ca.key" # tests sign client certificates of their own with it
  cp "$p/admin.crt" "$DIR/client.crt"
  cp "$p/admin.key" "$DIR/client.key"
  chmod 600 "$p"/*.key "$DIR/client.key" "$DIR/ca.key"
}

sign() { # sign NAME SUBJECT EXTENSIONS
  local p=$DIR/pki name=$1 subj=$2 ext=$3
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$p/$name.key" -out "$p/$name.csr" -subj "$subj" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n%s\n' "$ext" >"$p/$name.ext"
  openssl x509 -req -in "$p/$name.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial \
    -days 30 -extfile "$p/$name.ext" -out "$p/$name.crt" 2>/dev/null
  rm -f "$p/$name.csr" "$p/$name.ext"
}

# Bearer tokens (--token-auth-file): the admin (system:masters), a read-only
# user and, for each --namespace-token, a user bound to the "edit" role in
# those namespaces only. Extra --token/--readonly-token values join the first.
tokens() {
  ADMIN_TOKEN=${ADMIN_TOKENS[0]:-$(openssl rand -hex 24)}
  READONLY_TOKEN=${READONLY_TOKENS[0]:-$(openssl rand -hex 24)}
  printf '%s\n' "$ADMIN_TOKEN" >"$DIR/token"
  printf '%s\n' "$READONLY_TOKEN" >"$DIR/readonly-token"
  local t i=0
  { # token,user,uid,"group1,group2"
    printf '%s,prewarm-admin,prewarm-admin,"system:masters"\n' "$ADMIN_TOKEN"
    for t in "${ADMIN_TOKENS[@]:1}"; do printf '%s,prewarm-admin,prewarm-admin,"system:masters"\n' "$t"; done
    printf '%s,%s,%s\n' "$READONLY_TOKEN" "$READONLY_USER" "$READONLY_USER"
    for t in "${READONLY_TOKENS[@]:1}"; do printf '%s,%s,%s\n' "$t" "$READONLY_USER" "$READONLY_USER"; done
    for t in "${NAMESPACE_TOKENS[@]}"; do
      printf '%s,%s,%s\n' "${t%%=*}" "$(namespace_user $i)" "$(namespace_user $i)"
      i=$((i + 1))
    done
  } >"$DIR/pki/tokens.csv"
  chmod 600 "$DIR/token" "$DIR/readonly-token" "$DIR/pki/tokens.csv"
}

kubeconfig() { # kubeconfig FILE USER-LINES...
  local file=$1; shift
  {
    cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: prewarm-kube
  cluster:
    server: $SERVER
    certificate-authority-data: $(base64 -w0 "$DIR/ca.crt")
contexts:
- name: prewarm-kube
  context:
    cluster: prewarm-kube
    user: user
    namespace: default
current-context: prewarm-kube
users:
- name: user
  user:
EOF
    local line
    for line in "$@"; do printf '    %s\n' "$line"; done
  } >"$file"
  chmod 600 "$file"
}

# ---------------------------------------------------------------- parts
start_etcd() {
  mkdir -p "$DIR/etcd"
  rm -f "$DIR/etcd.url"
  spawn etcd "$BIN/etcd" --data-dir "$DIR/etcd/data" --url-file "$DIR/etcd.url"
  wait_until 60 "etcd" test -s "$DIR/etcd.url"
  ETCD_URL=$(cat "$DIR/etcd.url")
}

apiserver_ready() {
  curl -sf --max-time 5 --cacert "$DIR/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" \
    "$SERVER/readyz" >/dev/null 2>&1
}

start_apiserver() {
  local p=$DIR/pki port
  port=$(free_port)
  SERVER=https://127.0.0.1:$port
  spawn kube-apiserver "$BIN/kube-apiserver" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$port" \
    --etcd-servers="$ETCD_URL" \
    --tls-cert-file="$p/serving.crt" --tls-private-key-file="$p/serving.key" \
    --client-ca-file="$p/ca.crt" --token-auth-file="$p/tokens.csv" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$p/sa.pub" --service-account-signing-key-file="$p/sa.key" \
    --api-audiences=https://kubernetes.default.svc.cluster.local \
    --authorization-mode=Node,RBAC \
    --service-cluster-ip-range=10.96.0.0/16 \
    --allow-privileged=true \
    --endpoint-reconciler-type=none \
    --profiling=false \
    ${FEATURE_GATES:+--feature-gates="$FEATURE_GATES"} \
    --etcd-compaction-interval="${COMPACTION:-5m}" \
    --v="${PREWARM_KUBE_VERBOSITY:-1}"
  wait_until 120 "kube-apiserver /readyz at $SERVER" apiserver_ready
}

namespace_user() { # the first is NAMESPACE_USER, the others NAMESPACE_USER-1, -2, ...
  if [ "$1" = 0 ]; then echo "$NAMESPACE_USER"; else echo "$NAMESPACE_USER-$1"; fi
}

# RBAC for the test users: the read-only user may get/list/watch everything;
# each namespace-bound user gets the "edit" role in its namespaces (created
# here if missing) and nothing elsewhere.
rbac() {
  local t i=0 ns user
  {
    cat <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: prewarm-readonly}
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: prewarm-readonly}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: prewarm-readonly}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: $READONLY_USER}
EOF
    for t in "${NAMESPACE_TOKENS[@]}"; do
      user=$(namespace_user $i)
      i=$((i + 1))
      for ns in ${t#*=}; do
        cat <<EOF
---
apiVersion: v1
kind: Namespace
metadata: {name: $ns}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: $user, namespace: $ns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: $user}
EOF
      done
    done
  } | "$BIN/kubectl" --kubeconfig "$DIR/kubeconfig" apply -f - >"$DIR/log/rbac.log" 2>&1 ||
    { cat "$DIR/log/rbac.log" >&2; die "could not apply the test users' RBAC"; }
}

start_controller_manager() {
  local p=$DIR/pki
  kubeconfig "$DIR/pki/controller-manager.kubeconfig" \
    "client-certificate-data: $(base64 -w0 "$p/controller-manager.crt")" \
    "client-key-data: $(base64 -w0 "$p/controller-manager.key")"
  # The controllers a cluster's API behaviour depends on: namespace deletion,
  # service accounts and their tokens, garbage collection of owned objects,
  # the workload controllers, pod garbage collection, node lifecycle (it lifts the
  # not-ready taint the apiserver puts on new nodes once they report Ready).
  spawn kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$p/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$p/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$p/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=0 \
    --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$p/sa.key" --root-ca-file="$p/ca.crt" \
    --cluster-signing-cert-file="$p/ca.crt" --cluster-signing-key-file="$p/ca.key" \
    --controllers=namespace-controller,serviceaccount-controller,serviceaccount-token-controller,garbage-collector-controller,root-ca-certificate-publisher-controller,replicaset-controller,deployment-controller,pod-garbage-collector-controller,clusterrole-aggregation-controller,node-lifecycle-controller \
    --v="${PREWARM_KUBE_VERBOSITY:-1}"
  # Ready when the default namespace has its service account.
  wait_until 60 "kube-controller-manager (default/default service account)" default_sa_exists
}

default_sa_exists() {
  "$BIN/kubectl" --kubeconfig "$DIR/kubeconfig" -n default get serviceaccount default \
    -o name --request-timeout=5s >/dev/null 2>&1
}

start_scheduler() {
  local p=$DIR/pki
  kubeconfig "$DIR/pki/scheduler.kubeconfig" \
    "client-certificate-data: $(base64 -w0 "$p/scheduler.crt")" \
    "client-key-data: $(base64 -w0 "$p/scheduler.key")"
  spawn kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$p/scheduler.kubeconfig" \
    --authentication-kubeconfig="$p/scheduler.kubeconfig" \
    --authorization-kubeconfig="$p/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=0 --leader-elect=false \
    --v="${PREWARM_KUBE_VERBOSITY:-1}"
}

# Fake nodes: Node objects with labels and capacity, made Ready and kept
# alive (leases) by kwok, which also moves the pods scheduled on them to
# Running/Ready with a pod IP through the status subresource.
node_objects() {
  local i zones=(zone-a zone-b zone-c)
  for ((i = 0; i < NODES; i++)); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  labels:
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node.kubernetes.io/instance-type: kwok
    topology.kubernetes.io/zone: ${zones[i % 3]}
    type: kwok
spec:
  podCIDR: 10.244.$i.0/24
status:
  capacity: {cpu: "8", memory: 32Gi, pods: "110"}
  allocatable: {cpu: "8", memory: 32Gi, pods: "110"}
EOF
  done
}

start_nodes() {
  sed "s/@READY_DELAY_MS@/$READY_DELAY_MS/g; s/@DELETE_DELAY_MS@/$DELETE_DELAY_MS/g" \
    "$HERE/kwok.yaml" >"$DIR/kwok.yaml"
  spawn kwok "$BIN/kwok" --kubeconfig="$DIR/kubeconfig" --config="$DIR/kwok.yaml" \
    --manage-all-nodes=true --node-ip=127.0.0.1 --cidr=10.244.0.0/16 \
    --server-address=127.0.0.1:0
  node_objects | "$BIN/kubectl" --kubeconfig "$DIR/kubeconfig" apply -f - >"$DIR/log/nodes.log" 2>&1 ||
    { cat "$DIR/log/nodes.log" >&2; die "could not register the fake nodes"; }
  wait_until 60 "kwok: $NODES nodes Ready" nodes_ready
}

nodes_ready() {
  local n
  n=$("$BIN/kubectl" --kubeconfig "$DIR/kubeconfig" get nodes --request-timeout=5s \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null |
    grep -c '^True$' || true)
  [ "$n" -ge "$NODES" ]
}

write_outputs() {
  kubeconfig "$DIR/kubeconfig-cert" "client-certificate-data: $(base64 -w0 "$DIR/client.crt")" \
    "client-key-data: $(base64 -w0 "$DIR/client.key")"
  cat >"$DIR/env" <<EOF
PREWARM_KUBE_DIR=$DIR
PREWARM_KUBE_SERVER=$SERVER
PREWARM_KUBE_CA=$DIR/ca.crt
PREWARM_KUBE_TOKEN=$ADMIN_TOKEN
PREWARM_KUBE_KUBECONFIG=$DIR/kubeconfig
PREWARM_KUBE_BIN=$BIN
KUBECONFIG=$DIR/kubeconfig
export PREWARM_KUBE_DIR PREWARM_KUBE_SERVER PREWARM_KUBE_CA PREWARM_KUBE_TOKEN PREWARM_KUBE_KUBECONFIG PREWARM_KUBE_BIN KUBECONFIG
EOF
  printf '{"server":"%s","kubeconfig":"%s","ca":"%s","token":"%s","dir":"%s","pid":%d}\n' \
    "$SERVER" "$DIR/kubeconfig" "$DIR/ca.crt" "$ADMIN_TOKEN" "$DIR" "$$" >"$DIR/greeting.json"
}

cmd_start() {
  DIR=${1:?usage: cluster.sh start DIR [options]}; shift
  BIN=${PREWARM_KUBE_BIN:-$HERE/bin}
  ADMIN_TOKENS=() READONLY_TOKENS=() NAMESPACE_TOKENS=()
  READONLY_USER=prewarm-readonly NAMESPACE_USER=prewarm-namespaced
  NODES=3 SCHEDULER=1 CONTROLLERS=1 KWOK=1 READY_DELAY_MS=0 DELETE_DELAY_MS=0 FEATURE_GATES= COMPACTION=
  while [ $# -gt 0 ]; do
    case $1 in
    --bin) BIN=$2; shift ;;
    --nodes) NODES=$2; shift ;;
    --no-scheduler) SCHEDULER=0 ;;
    --no-nodes) KWOK=0 ;;
    --no-controllers) CONTROLLERS=0 ;;
    --api-only) SCHEDULER=0 KWOK=0 ;;
    --pod-ready-delay-ms) READY_DELAY_MS=$2; shift ;;
    --pod-delete-delay-ms) DELETE_DELAY_MS=$2; shift ;;
    --token) ADMIN_TOKENS+=("$2"); shift ;;
    --readonly-token) READONLY_TOKENS+=("$2"); shift ;;
    --readonly-user) READONLY_USER=$2; shift ;;
    --namespace-token) NAMESPACE_TOKENS+=("${2//,/ }"); shift ;;
    --namespace-user) NAMESPACE_USER=$2; shift ;;
    --feature-gates) FEATURE_GATES=$2; shift ;;
    --compaction-interval) COMPACTION=$2; shift ;;
    *) die "unknown option $1" ;;
    esac
    shift
  done
  [ "$NODES" -gt 0 ] || KWOK=0
  local b need=(etcd kube-apiserver kubectl)
  [ "$CONTROLLERS" = 1 ] && need+=(kube-controller-manager)
  [ "$SCHEDULER" = 1 ] && need+=(kube-scheduler)
  [ "$KWOK" = 1 ] && need+=(kwok)
  for b in "${need[@]}"; do
    [ -x "$BIN/$b" ] || die "$BIN/$b missing: run cluster.sh build $BIN first"
  done
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  [ ! -s "$DIR/pids" ] || ! cmd_status "$DIR" 2>/dev/null || die "$DIR already has a running control plane"
  rm -rf "$DIR/log" "$DIR/pki" "$DIR/etcd" "$DIR/pids" "$DIR/ready-ms" "$DIR/env"
  mkdir -p "$DIR/log"
  : >"$DIR/pids"
  local t0
  t0=$(now_ms)
  pki
  tokens
  start_etcd
  start_apiserver
  kubeconfig "$DIR/kubeconfig" "token: $ADMIN_TOKEN"
  rbac
  [ "$CONTROLLERS" = 1 ] && start_controller_manager
  [ "$SCHEDULER" = 1 ] && start_scheduler
  [ "$KWOK" = 1 ] && start_nodes
  write_outputs
  echo $(( $(now_ms) - t0 )) >"$DIR/ready-ms"
  echo "cluster.sh: control plane ready at $SERVER in $(cat "$DIR/ready-ms") ms (dir $DIR)" >&2
  cat "$DIR/greeting.json"
}

# Stops the parts in reverse order of start.
stop_all() {
  [ -f "$DIR/pids" ] || return 0
  local name pid pids=()
  while read -r name pid; do pids=("$pid" "${pids[@]}"); done <"$DIR/pids"
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || continue
    local end=$(( $(now_ms) + 10000 ))
    while kill -0 "$pid" 2>/dev/null && (( $(now_ms) < end )); do sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -f "$DIR/pids"
}

cmd_stop() {
  DIR=${1:?usage: cluster.sh stop DIR}
  stop_all
}

cmd_status() {
  DIR=${1:?usage: cluster.sh status DIR}
  [ -f "$DIR/env" ] || return 1
  ADMIN_TOKEN=$(cat "$DIR/token")
  SERVER=$(sed -n 's/^PREWARM_KUBE_SERVER=//p' "$DIR/env")
  apiserver_ready
}

case ${1:-} in
build) shift; cmd_build "$@" ;;
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
status) shift; cmd_status "$@" ;;
*) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
