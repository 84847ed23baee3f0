#!/usr/bin/env bash
# Builds the operator image without Docker or a registry, with umoci: the release build's bulwark
# binary (stripped), the shared libraries it loads (its ldd closure, from the Debian runtime
# packages below, which deploy/Dockerfile installs too) and the CA bundle, as a minimal image (no
# shell, no package manager) that runs as user 65532. Written as an OCI archive (a tar of an OCI
# image layout) that `ctr images import`, `podman load` and `docker load` (Docker 25 and later)
# accept. Reproducible: every file's time, the image's creation time and the layer's order are
# fixed, so the same binary gives the same digest.
#   usage: scripts/image.sh [OUTPUT] [NAME]     (default: the release build folder's
#                                                 bulwark-image.tar, ghcr.io/bulwark-dev/bulwark:0.1.0)
#          scripts/image.sh --packages          (prints the runtime packages)
# The archive names its image NAME (the OCI ref name), which ctr and podman load it as:
#   ctr -n k8s.io images import bulwark-image.tar; podman load -i bulwark-image.tar
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# The Debian packages of the libraries the binary links directly (beyond libc6, libstdc++6 and
# libgcc-s1): deploy/Dockerfile's runtime stage installs the same (tests/deploy checks both).
runtime_packages=(libcpprest2.10 libyaml-cpp0.7 libyaml-0-2 libspdlog1.10 libfmt9 libprometheus-cpp-core1.0
                  libssl3 libzstd1 ca-certificates)
if [ "${1:-}" = --packages ]; then printf '%s\n' "${runtime_packages[@]}"; exit 0; fi
command -v umoci >/dev/null || { echo "image.sh: umoci is missing (scripts/setup.sh installs it)" >&2; exit 2; }
build=$("$root/scripts/build.sh" release)
bin=$build/operator/bulwark
out=${1:-$build/bulwark-image.tar}
name=${2:-ghcr.io/bulwark-dev/bulwark:0.1.0}
tag=${name##*:}
epoch=0  # every time in the image (files, config, history): reproducible digests

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umoci init --layout "$work/oci"
umoci new --image "$work/oci:$tag"
umoci unpack --image "$work/oci:$tag" "$work/bundle" >/dev/null
rootfs=$work/bundle/rootfs

# The binary, stripped, and each library the dynamic loader resolves for it (the file, and the
# name it is asked for when that is a link), under the same paths.
install -D -m 0755 "$bin" "$rootfs/usr/local/bin/bulwark"
strip "$rootfs/usr/local/bin/bulwark"
# The dynamic loader (the one path ldd prints without "=>") is executed: mode 0755.
for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
  real=$(readlink -f "$lib")
  mode=0644
  [ "$lib" = "$(ldd "$bin" | awk '$1 ~ /^\// {print $1}')" ] && mode=0755
  install -D -m "$mode" "$real" "$rootfs$real"
  [ "$lib" = "$real" ] || { mkdir -p "$rootfs$(dirname "$lib")"; ln -sfn "$real" "$rootfs$lib"; }
done
# Every library the binary names must come from a runtime package (or the base three).
for soname in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  path=$(readlink -f "$(ldd "$bin" | awk -v s="$soname" '$1 == s {print $3}')")
  pkg=""
  for candidate in "$path" "${path#/usr}"; do
    [ -n "$pkg" ] || pkg=$(dpkg -S "$candidate" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
  done
  case " ${runtime_packages[*]} libc6 libstdc++6 libgcc-s1 " in
    *" $pkg "*) ;;
    *) echo "image.sh: $soname comes from ${pkg:-no package}, not in runtime_packages" >&2; exit 1 ;;
  esac
done
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
mkdir -p "$rootfs/tmp" && chmod 1777 "$rootfs/tmp"
find "$rootfs" -exec touch -h -d "@$epoch" {} +

created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
umoci repack --image "$work/oci:$tag" --no-history "$work/bundle"
umoci config --image "$work/oci:$tag" --no-history --created "$created" --os linux \
  --architecture amd64 --config.user 65532:65532 --config.entrypoint /usr/local/bin/bulwark \
  --config.cmd run --config.workingdir / --config.env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
umoci gc --layout "$work/oci"
# The ref name umoci writes is the tag alone; loaders read a full reference there as the name.
python3 - "$work/oci/index.json" "$name" <<'PY'
import json, sys
path, name = sys.argv[1], sys.argv[2]
index = json.load(open(path))
for m in index["manifests"]:
    m.setdefault("annotations", {})["org.opencontainers.image.ref.name"] = name
json.dump(index, open(path, "w"), sort_keys=True, separators=(",", ":"))
PY
# The archive: the layout's files in a fixed order, with fixed owners and times.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -C "$work/oci" -cf "$out.tmp" .
mv "$out.tmp" "$out"
digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$work/oci/index.json")
echo "$out: $name, manifest $digest" >&2
echo "$out"
