#!/usr/bin/env bash
# Builds the pinned control plane (etcd, kube-apiserver, kube-controller-manager, kubectl) into a
# cache folder keyed by the pinned module versions and the Go version, and prints that folder's
# bin path. A second call with the same pins prints the path at once.
#   BULWARK_CACHE  cache root (default ~/.cache/bulwark)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export GOTOOLCHAIN=local GOFLAGS=-mod=mod

kube_version=v1.37.2
# Bump when the build recipe below changes in a way that changes the binaries.
recipe=1
key=$(cat "$here/tools/kube/go.mod" "$here/tools/kube/go.sum" "$here/tools/etcd/go.mod" \
          "$here/tools/etcd/go.sum" <(go version) <(echo "$kube_version $recipe") |
        sha256sum | cut -c1-16)
cache=${BULWARK_CACHE:-$HOME/.cache/bulwark}/control-plane/$key
bins=(etcd kube-apiserver kube-controller-manager kubectl)

complete() { for b in "${bins[@]}"; do [ -x "$cache/bin/$b" ] || return 1; done; }
if complete; then echo "$cache/bin"; exit 0; fi

mkdir -p "$cache"
# One build at a time per cache key, so two test runs do not race on a cold cache.
exec 9>"$cache/.lock"
flock 9
if complete; then echo "$cache/bin"; exit 0; fi

staging=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$staging"' EXIT
start=$(date +%s)
echo "building the control plane ($kube_version) into $cache; the first build takes 15-25 minutes" >&2
ldflags="-X k8s.io/component-base/version.gitVersion=$kube_version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"
(cd "$here/tools/kube" && go build -trimpath -o "$staging/" -ldflags "$ldflags" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl) >&2
(cd "$here/tools/etcd" && go build -trimpath -o "$staging/etcd" go.etcd.io/etcd/server/v3) >&2
mkdir -p "$cache/bin"
for b in "${bins[@]}"; do mv "$staging/$b" "$cache/bin/$b"; done
echo "control plane built in $(( $(date +%s) - start ))s" >&2
echo "$cache/bin"
