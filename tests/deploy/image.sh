#!/usr/bin/env bash
# prewarmd's image, built here with Debian's buildah from the Containerfile's
# runtime stage (no base image can be pulled on these machines: the `build`
# stage is supplied from the suite's own build through --build-context), in a
# scratch store that is removed afterwards. Then, on the image itself:
#   - its entrypoint, command, user and exposed port;
#   - /usr/bin/prewarmd is byte for byte the binary the build made;
#   - nothing but prewarm's two programs, their libraries and a few /etc files
#     (no shell);
#   - run in the image (buildah run, chroot isolation) it serves a claim as
#     user 65532, with the demo backend it holds.
#
#   tests/deploy/image.sh BUILD_DIR PREWARMD_BINARY
set -euo pipefail
build=$(cd "$1" && pwd)
binary=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
store=$tmp/store
bah() { buildah --root "$store/root" --runroot "$store/run" --storage-driver vfs "$@"; }
runner= ctr= pid=
cleanup() {
  # buildah run does not pass signals on: stop prewarmd itself.
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  if [ -n "$runner" ]; then wait "$runner" 2>/dev/null || true; fi
  [ -n "$ctr" ] && { bah umount "$ctr" >/dev/null 2>&1; bah rm "$ctr" >/dev/null 2>&1; }
  bah rmi --all --force >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; passed=$((passed + 1)); }
passed=0
command -v buildah >/dev/null || fail "buildah is not installed (apt-get install buildah)"

DESTDIR=$tmp/install cmake --install "$build" --prefix /usr --component runtime >/dev/null
"$src/packaging/image-rootfs.sh" "$tmp/install" "$tmp/context/rootfs"
tag=localhost/prewarm/prewarmd:test
bah bud --pull=never --target runtime --build-context "build=$tmp/context" \
  -f "$src/Containerfile" -t "$tag" "$src" >"$tmp/bud.log" 2>&1 || { cat "$tmp/bud.log" >&2; fail "buildah bud"; }
pass "buildah bud --target runtime built $tag ($(bah images --format '{{.Size}}' "$tag"))"

bah inspect --type image "$tag" >"$tmp/inspect.json"
python3 - "$tmp/inspect.json" <<'PY' || fail "image configuration"
import json, sys
cfg = json.load(open(sys.argv[1]))["OCIv1"]["config"]
want = {"User": "65532:65532", "Entrypoint": ["/usr/bin/prewarmd"],
        "Cmd": ["--config", "/etc/prewarm/prewarm.yaml"], "WorkingDir": "/var/lib/prewarm"}
for k, v in want.items():
    if cfg.get(k) != v:
        sys.exit(f"{k} is {cfg.get(k)!r}, want {v!r}")
if list(cfg.get("ExposedPorts", {})) != ["8080/tcp"]:
    sys.exit(f"ExposedPorts {cfg.get('ExposedPorts')}")
if cfg.get("Labels", {}).get("org.opencontainers.image.licenses") != "Apache-2.0":
    sys.exit("license label")
PY
pass "entrypoint /usr/bin/prewarmd, command --config /etc/prewarm/prewarm.yaml, user 65532:65532, port 8080"

ctr=$(bah from --pull=never "$tag")
mnt=$(bah mount "$ctr")
[ "$(sha256sum <"$mnt/usr/bin/prewarmd")" = "$(sha256sum <"$binary")" ] ||
  fail "the image's prewarmd differs from $binary"
pass "the image's /usr/bin/prewarmd is the build's $(basename "$binary") (sha256 $(sha256sum <"$binary" | cut -c1-16)...)"

for f in bin/sh usr/bin/sh bin/bash usr/bin/apt-get; do [ ! -e "$mnt/$f" ] || fail "/$f in the image"; done
others=$(cd "$mnt" && find . -type f ! -path './lib/*' ! -path './lib64/*' | sort | tr '\n' ' ')
[ "$others" = "./etc/group ./etc/nsswitch.conf ./etc/passwd ./etc/ssl/certs/ca-certificates.crt ./usr/bin/prewarm-demo-backend ./usr/bin/prewarmd " ] ||
  fail "unexpected files: $others"
[ "$(stat -c %u "$mnt/usr/bin/prewarmd")" = 0 ] && [ "$(stat -c %u "$mnt/var/lib/prewarm")" = 65532 ] ||
  fail "ownership: binaries root's, state directory the user's"
pass "no shell: $(find "$mnt" -type f | wc -l) files, binaries owned by root, /var/lib/prewarm by 65532"

want=$("$binary" --version | head -n1)
got=$(bah run --isolation chroot "$ctr" -- /usr/bin/prewarmd --version 2>&1 | head -n1)
[ "$got" = "$want" ] || fail "prewarmd --version in the image: '$got', want '$want'"
pass "prewarmd runs in the image with the libraries it holds: $got"

# A demo configuration written into the container, then the image's own
# entrypoint binary, as the image's user, on an ephemeral loopback port.
sed 's/^listen: .*/listen: "127.0.0.1:0"/' "$src/packaging/prewarm.yaml" >"$mnt/etc/prewarm/prewarm.yaml"
# Its first stdout line says where it listens (read through a FIFO).
mkfifo "$tmp/out"
bah run --isolation chroot "$ctr" -- /usr/bin/prewarmd --config /etc/prewarm/prewarm.yaml --quiet \
  >"$tmp/out" 2>"$tmp/err" &
runner=$!
exec 3<"$tmp/out"
read -r -t 60 line <&3 || line=
url=${line#prewarmd listening on }
[ "$url" != "$line" ] || { cat "$tmp/err" >&2; fail "prewarmd did not start in the image"; }
# The prewarmd process under `buildah run`: a descendant of it whose
# executable is the image's /usr/bin/prewarmd, seen from a chroot.
descends() { # descends PID ANCESTOR
  local p=$1
  while [ "$p" -gt 1 ]; do
    [ "$p" = "$2" ] && return 0
    p=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null) || return 1
  done
  return 1
}
for p in /proc/[0-9]*; do
  case $(readlink "$p/exe" 2>/dev/null) in */usr/bin/prewarmd) ;; *) continue ;; esac
  [ "$(readlink "$p/root")" != / ] && descends "${p#/proc/}" "$runner" && pid=${p#/proc/} && break
done
[ -n "$pid" ] || fail "no prewarmd process under buildah run"
uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
[ "$uid" = 65532 ] || fail "prewarmd runs as uid $uid, want 65532"
claim=$(curl -sS -XPOST "$url/v1/pools/demo/claims" -d '{"wait_ms": 10000}')
address=$(sed -n 's/.*"address":"\([^"]*\)".*/\1/p' <<<"$claim")
token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$claim")
[ -n "$address" ] || fail "claim answered $claim"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$address/?token=$token")
[ "$code" = 200 ] || fail "the image's demo backend answered $code"
kill -TERM "$pid"
wait "$runner" || true
runner= pid=
pass "in the image as uid $uid: claim bound $address, the image's demo backend answered 200"

echo "$passed passed, 0 failed"
