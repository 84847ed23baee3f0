#!/usr/bin/env bash
# Builds the real node's test images into an OCI image archive with umoci, from Debian's
# busybox-static and two small static helpers of our own (node/dns_responder.c, node/pause.c),
# and prints the archive's path. Cached by its inputs, like the binaries. The archive holds two
# tags, imported by node.sh as:
#   bulwark.test/image:busybox  busybox with its applets (sh, nc, httpd, nslookup, ...) and
#                               /bin/dns-responder; /www/index.html says "ok"
#   bulwark.test/image:nonroot  the same, running as user 65534 (node.sh alias names it after
#                               other images, for manifests written for those: scripts/demo.sh)
#   bulwark.test/image:pause    the sandbox process kubelet's pods share
#   BULWARK_CACHE  cache root (default ~/.cache/bulwark)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
recipe=1
# Not wget: Debian's static busybox wget crashes (segfault); HTTP clients use nc.
applets=(sh sleep nc nslookup httpd timeout cat echo ls ip hostname tail printf)
key=$(cat "$here/node/dns_responder.c" "$here/node/pause.c" /bin/busybox "$0" | sha256sum | cut -c1-16)
cache=${BULWARK_CACHE:-$HOME/.cache/bulwark}/node-image/$key
if [ -f "$cache/images.tar" ]; then echo "$cache/images.tar"; exit 0; fi
for tool in umoci cc; do
  command -v "$tool" >/dev/null || { echo "node_image.sh: $tool is missing (scripts/setup.sh installs it)" >&2; exit 2; }
done
mkdir -p "$cache"
work=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs=$work/bundle/rootfs
umoci init --layout "$work/oci"
umoci new --image "$work/oci:busybox"
umoci unpack --image "$work/oci:busybox" "$work/bundle" >/dev/null
mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/www"
cp /bin/busybox "$rootfs/bin/busybox"
for a in "${applets[@]}"; do ln -s busybox "$rootfs/bin/$a"; done
cc -static -O2 -Wall -Wextra -Werror -o "$rootfs/bin/dns-responder" "$here/node/dns_responder.c"
cc -static -O2 -Wall -Wextra -Werror -o "$rootfs/bin/pause" "$here/node/pause.c"
echo ok >"$rootfs/www/index.html"
umoci repack --image "$work/oci:busybox" "$work/bundle"
umoci config --image "$work/oci:busybox" --os linux --architecture amd64 \
  --config.entrypoint /bin/sh --config.workingdir /
umoci config --image "$work/oci:busybox" --tag nonroot --config.user 65534
umoci config --image "$work/oci:busybox" --tag pause --config.entrypoint /bin/pause \
  --config.user 65535
umoci gc --layout "$work/oci"
(cd "$work/oci" && tar -cf "$work/images.tar" .)
mv "$work/images.tar" "$cache/images.tar"
echo "$cache/images.tar"
