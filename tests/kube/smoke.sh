#!/usr/bin/env bash
# The control plane does its job end to end: a pod created with kubectl is
# scheduled by kube-scheduler onto a kwok node, turns Running/Ready with a pod
# IP, and its namespace's deletion (namespace controller) removes it.
set -euo pipefail
env_file=${PREWARM_KUBE_ENV:?}
[ -f "$env_file" ] || { echo "SKIP: no control plane ($env_file missing)" >&2; exit 77; }
# shellcheck disable=SC1090
. "$env_file"
k() { "$PREWARM_KUBE_BIN/kubectl" --request-timeout=20s "$@"; }
ns=smoke-$$
fail() { echo "FAIL: $*" >&2; exit 1; }

k create namespace "$ns" >/dev/null
trap 'k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true' EXIT
k -n "$ns" wait --for=create serviceaccount/default --timeout=60s >/dev/null ||
  fail "the service account controller gave $ns no default service account"
k -n "$ns" run web --image=nginx:1.27 --labels=app=web >/dev/null
k -n "$ns" wait --for=condition=Ready pod/web --timeout=60s >/dev/null || fail "pod web not Ready"
phase=$(k -n "$ns" get pod web -o jsonpath='{.status.phase}')
node=$(k -n "$ns" get pod web -o jsonpath='{.spec.nodeName}')
ip=$(k -n "$ns" get pod web -o jsonpath='{.status.podIP}')
[ "$phase" = Running ] || fail "phase $phase"
[[ $node == kwok-node-* ]] || fail "node '$node'"
[[ $ip =~ ^10\.244\.[0-9]+\.[0-9]+$ ]] || fail "pod IP '$ip'"
k -n "$ns" get events --field-selector involvedObject.name=web,reason=Scheduled -o name | grep -q . ||
  fail "no Scheduled event from kube-scheduler"
k delete namespace "$ns" --timeout=60s >/dev/null || fail "namespace $ns not deleted"
trap - EXIT
k get namespace "$ns" >/dev/null 2>&1 && fail "namespace $ns still there"
echo "smoke: pod web Running on $node at $ip; namespace $ns deleted"
echo "1 passed, 0 failed"
