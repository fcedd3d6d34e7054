#!/usr/bin/env bash
# The whole Containerfile, both stages, built with buildah on a machine that
# can pull no base image: a Debian 12 base is made first with debootstrap
# from Debian's archive and stored as docker.io/library/debian:bookworm-slim
# in a scratch buildah store. Then `buildah bud` builds prewarmd from this
# tree inside it and the runtime stage from scratch; the image's prewarmd
# must answer --version as user 65532. Not part of ./prewarm.sh test (about
# 15 minutes on 2 cores, most of it apt and the C build); deploy.image builds
# the runtime stage from the suite's own build instead.
#
#   tests/deploy/image-full.sh [EXTRA BUD ARGS...]
# Behind a TLS-intercepting proxy, give npm the proxy's CA, e.g.:
#   tests/deploy/image-full.sh -v /etc/ssl/certs/ca-certificates.crt:/host-ca.crt:ro -v NPMRC:/root/.npmrc:ro
# (NPMRC holding "cafile=/host-ca.crt").
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /var/tmp/prewarm-image-full.XXXXXX)
store=$tmp/store
bah() { buildah --root "$store/root" --runroot "$store/run" --storage-driver vfs "$@"; }
cleanup() {
  bah rm --all >/dev/null 2>&1 || true
  bah rmi --all --force >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (apt-get install $tool)" >&2; exit 1; }
done

echo "== debootstrap bookworm (minbase)"
debootstrap --variant=minbase bookworm "$tmp/rootfs" http://deb.debian.org/debian >"$tmp/debootstrap.log"
ctr=$(bah from scratch)
cp -a "$tmp/rootfs/." "$(bah mount "$ctr")/"
bah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
bah commit -q "$ctr" docker.io/library/debian:bookworm-slim >/dev/null
bah rm "$ctr" >/dev/null
rm -rf "$tmp/rootfs"

echo "== buildah bud -f Containerfile"
git -C "$src" archive HEAD | (mkdir "$tmp/src" && tar -x -C "$tmp/src")
bah bud --pull=never --isolation chroot "$@" \
  --build-arg PREWARM_GIT_COMMIT="$(git -C "$src" describe --always --dirty)" \
  -f "$tmp/src/Containerfile" -t localhost/prewarm/prewarmd:full "$tmp/src"

ctr=$(bah from --pull=never localhost/prewarm/prewarmd:full)
user=$(bah inspect --type image --format '{{.OCIv1.Config.User}}' localhost/prewarm/prewarmd:full)
[ "$user" = 65532:65532 ] || { echo "FAIL: user $user" >&2; exit 1; }
bah run --isolation chroot "$ctr" -- /usr/bin/prewarmd --version
echo "image: $(bah images --format '{{.Size}}' localhost/prewarm/prewarmd:full), user $user"
