#!/usr/bin/env bash
# `cmake --install` of a build tree into a scratch DESTDIR, then what a user
# does with the installed files:
#   - every runtime and development file is where the docs say;
#   - a program outside the tree compiles and links against k8sclient through
#     pkg-config, shared and static, and each public header compiles alone;
#   - the systemd unit passes `systemd-analyze verify` and its offline
#     security review;
#   - the installed prewarmd runs the installed configuration: it finds the
#     installed demo backend, answers a claim, and the backend answers.
#
#   tests/deploy/install.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; passed=$((passed + 1)); }
passed=0

root=$tmp/root
DESTDIR=$root cmake --install "$build" >"$tmp/install.log"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
p=$root$prefix
libdir=$(dirname "$(find "$p" -name libk8sclient.so.0 | head -n1)")
for f in bin/prewarmd bin/prewarm-demo-backend lib/systemd/system/prewarm.service etc/prewarm/prewarm.yaml \
         share/doc/prewarm/LICENSE include/k8sclient/k8s.h; do
  [ -e "$p/$f" ] || fail "$prefix/$f not installed"
done
for f in libk8sclient.a libk8sclient.so libk8sclient.so.0 pkgconfig/k8sclient.pc; do
  [ -e "$libdir/$f" ] || fail "$libdir/$f not installed"
done
grep -q 'Apache License' "$p/share/doc/prewarm/LICENSE" || fail "LICENSE is not Apache-2.0"
[ "$(objdump -p "$libdir/libk8sclient.so" | awk '/SONAME/ {print $2}')" = libk8sclient.so.0 ] ||
  fail "soname is not libk8sclient.so.0"
pass "installed tree: binaries, unit, config, LICENSE, library (soname libk8sclient.so.0), headers, k8sclient.pc"

# The .pc file is relocatable: point pkg-config at the moved tree.
export PKG_CONFIG_PATH=$libdir/pkgconfig
[ "$(pkg-config --modversion k8sclient)" = "$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")" ] ||
  fail "pkg-config version differs from the project's"
cflags=$(pkg-config --cflags k8sclient)
for h in "$p"/include/k8sclient/*.h; do
  printf '#include <k8sclient/%s>\n' "${h##*/}" >"$tmp/h.c"
  cc -std=c17 -Wall -Wextra -Werror -pedantic $cflags -c "$tmp/h.c" -o "$tmp/h.o" ||
    fail "${h##*/} does not compile on its own"
done
pass "each of $(ls "$p"/include/k8sclient/*.h | wc -l) public headers compiles alone (-std=c17 -pedantic -Werror)"

want='api error NotFound pods/iac-pod-xxx 1796542200123456'
# shellcheck disable=SC2046
cc -std=c17 -Wall -Wextra -Werror $cflags "$src/tests/deploy/install-consumer.c" -o "$tmp/consumer" \
  $(pkg-config --libs k8sclient)
out=$(LD_LIBRARY_PATH=$libdir "$tmp/consumer") || fail "consumer (shared) exited $?"
ldd_out=$(LD_LIBRARY_PATH=$libdir ldd "$tmp/consumer")
grep -q "libk8sclient.so.0 => $libdir" <<<"$ldd_out" || fail "consumer is not linked to the installed libk8sclient.so.0"
[ "$out" = "$want" ] || fail "consumer printed '$out', want '$want'"
pass "a program links the shared library through pkg-config: $out"
# Static: the archive, then the shared libraries its Requires name.
# shellcheck disable=SC2046
cc -std=c17 -Wall -Wextra -Werror $cflags "$src/tests/deploy/install-consumer.c" -o "$tmp/consumer-static" \
  "$libdir/libk8sclient.a" $(pkg-config --libs libcurl libcjson yaml-0.1) -lm
! ldd "$tmp/consumer-static" | grep -q k8sclient || fail "static consumer still loads libk8sclient.so"
[ "$("$tmp/consumer-static")" = "$out" ] || fail "static consumer differs"
pass "and the static archive, with the modules k8sclient.pc requires"

unit=$p/lib/systemd/system/prewarm.service
grep -q "^ExecStart=$prefix/bin/prewarmd --config $prefix/etc/prewarm/prewarm.yaml$" "$unit" ||
  fail "ExecStart does not name the installed binary and configuration"
# The unit's dependencies (sysinit.target, network-online.target) come from
# this machine's systemd, copied into the scratch root.
mkdir -p "$root/usr/lib/systemd" && cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
systemd-analyze verify --root="$root" "$unit" 2>"$tmp/verify.log" || { cat "$tmp/verify.log" >&2; fail "systemd-analyze verify"; }
[ ! -s "$tmp/verify.log" ] || { cat "$tmp/verify.log" >&2; fail "systemd-analyze verify warned"; }
exposure=$(systemd-analyze security --offline=yes --root="$root" "$unit" 2>/dev/null |
  sed -n 's/.*Overall exposure level for prewarm.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || fail "no exposure score from systemd-analyze security"
awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' || fail "exposure $exposure > 2.0"
pass "systemd unit: verify clean, offline security exposure $exposure (<= 2.0)"

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
"$p/bin/prewarmd" --version | head -n1 | grep -q "^prewarmd $version (commit " ||
  fail "installed prewarmd --version: $("$p/bin/prewarmd" --version | head -n1)"
"$p/bin/prewarmd" --help | grep -q -- '--config FILE' || fail "installed prewarmd --help"
"$p/bin/prewarmd" --config "$p/etc/prewarm/prewarm.yaml" --check >"$tmp/check" || fail "--check of the installed configuration"
pass "installed prewarmd: --version $version, --help, --check: $(cat "$tmp/check")"

# The installed daemon on the installed configuration, on an ephemeral port.
# Its first stdout line says where it listens (read through a FIFO).
mkfifo "$tmp/out"
"$p/bin/prewarmd" --config "$p/etc/prewarm/prewarm.yaml" --listen 127.0.0.1:0 --quiet \
  >"$tmp/out" 2>"$tmp/err" &
pid=$!
exec 3<"$tmp/out"
read -r -t 60 line <&3 || line=
url=${line#prewarmd listening on }
[ "$url" != "$line" ] || { cat "$tmp/err" >&2; fail "installed prewarmd did not start"; }
claim=$(curl -sS -XPOST "$url/v1/pools/demo/claims" -d '{"wait_ms": 10000}')
address=$(sed -n 's/.*"address":"\([^"]*\)".*/\1/p' <<<"$claim")
token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$claim")
[ -n "$address" ] && [ -n "$token" ] || fail "claim answered $claim"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$address/?token=$token")
[ "$code" = 200 ] || fail "the installed demo backend answered $code"
pass "installed prewarmd + installed demo backend: claim bound $address, backend answered 200"

echo "$passed passed, 0 failed"
