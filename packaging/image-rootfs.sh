#!/bin/sh
# Lays out the root filesystem of prewarmd's image from an installed tree:
#
#   image-rootfs.sh DESTDIR ROOTFS
#
# DESTDIR holds `cmake --install --prefix /usr` output. ROOTFS receives
# /usr/bin/prewarmd and /usr/bin/prewarm-demo-backend, every shared library
# they load (ldd's closure, at the paths the loader looks for them), the CA
# bundle, name-service files and an unprivileged user 65532 ("prewarm"),
# and nothing else: no shell, no package manager. The Containerfile copies
# ROOTFS onto an empty image; tests/deploy/image.sh does the same here.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 DESTDIR ROOTFS" >&2; exit 2; }
dest=$1 root=$2
bins="usr/bin/prewarmd usr/bin/prewarm-demo-backend"

mkdir -p "$root/usr/bin" "$root/etc/prewarm" "$root/etc/ssl/certs" "$root/tmp" "$root/var/lib/prewarm"
for b in $bins; do
  [ -x "$dest/$b" ] || { echo "$0: $dest/$b missing (cmake --install first)" >&2; exit 1; }
  cp "$dest/$b" "$root/$b"
done

# Shared libraries: every absolute path ldd prints (the loader included),
# copied with symlinks resolved to the name the binary asks for.
for b in $bins; do ldd "$dest/$b"; done |
  sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p' | sort -u |
  while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
# glibc resolves names through NSS modules it loads at run time.
for lib in /lib/x86_64-linux-gnu/libnss_dns.so.2 /lib/x86_64-linux-gnu/libnss_files.so.2 \
           /lib/x86_64-linux-gnu/libresolv.so.2; do
  [ -e "$lib" ] && mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"
done

cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nprewarm:x:65532:65532:prewarm:/var/lib/prewarm:/sbin/nologin\n' \
  >"$root/etc/passwd"
printf 'root:x:0:\nprewarm:x:65532:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
chmod 1777 "$root/tmp"
chown 65532:65532 "$root/var/lib/prewarm"
