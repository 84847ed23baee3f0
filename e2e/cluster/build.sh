#!/usr/bin/env bash
# Builds a pinned set of Go binaries into a cache folder keyed by the pinned module versions and
# the Go version, and prints that folder's bin path. A second call with the same pins prints the
# path at once.
#   usage: e2e/cluster/build.sh [control-plane|node|helm|kwok|cosign]
#   control-plane (default): etcd, kube-apiserver, kube-controller-manager, kubectl
#   node: kubelet, kube-scheduler and kube-proxy (the same pinned Kubernetes module) and
#         kube-router, for up.sh --real-node
#   helm: helm (Helm 4) and helm3 (Helm 3), for the chart's tests (deploy/helm)
#   kwok: kwok, the simulated nodes of up.sh --kwok
#   cosign: cosign, only to remake the committed signatures of the image signature tests
#           (e2e/images/make_signatures.sh); CI never builds it
#   BULWARK_CACHE  cache root (default ~/.cache/bulwark); Go's build and module caches live there
#                  too (go/build, go/mod), so moving that one folder aside makes a build cold
# Every command but kube-router comes from one module (tools/k8s): one version of each library
# they share (client-go and the rest of Kubernetes' staging modules, grpc, etcd's client), so each
# package compiles once for all of them. kube-router v2.1.0 needs client-go 0.29 and keeps a
# module of its own (tools/kube-router). Binaries are linked without debug information (-s -w):
# nothing here debugs them, and linking is a large share of each build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache_root=${BULWARK_CACHE:-$HOME/.cache/bulwark}
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
export GOCACHE=$cache_root/go/build GOMODCACHE=$cache_root/go/mod
set_name=${1:-control-plane}

kube_version=v1.37.2
# Bump when the build recipe below changes in a way that changes the binaries.
recipe=2
case "$set_name" in
  control-plane)
    bins=(etcd kube-apiserver kube-controller-manager kubectl)
    pins=("$here/tools/k8s/go.mod" "$here/tools/k8s/go.sum")
    minutes="15-25" ;;
  node)
    bins=(kubelet kube-scheduler kube-proxy kube-router)
    pins=("$here/tools/k8s/go.mod" "$here/tools/k8s/go.sum" "$here/tools/kube-router/go.mod"
          "$here/tools/kube-router/go.sum")
    minutes="5-8 (about 3 once the control plane is built)" ;;
  helm)
    bins=(helm helm3)
    pins=("$here/tools/k8s/go.mod" "$here/tools/k8s/go.sum")
    minutes="4-6 (about 2 once the control plane is built)" ;;
  kwok)
    bins=(kwok)
    pins=("$here/tools/k8s/go.mod" "$here/tools/k8s/go.sum")
    minutes="about 5 (about 1 once the control plane is built)" ;;
  cosign)
    bins=(cosign)
    pins=("$here/tools/cosign/go.mod" "$here/tools/cosign/go.sum")
    minutes="10-15" ;;
  *) echo "usage: e2e/cluster/build.sh [control-plane|node|helm|kwok|cosign]" >&2; exit 2 ;;
esac
key=$(cat "${pins[@]}" <(go version) <(echo "$kube_version $recipe") | sha256sum | cut -c1-16)
# The control plane keeps its historical folder name, so existing caches stay warm.
folder=control-plane
[ "$set_name" = control-plane ] || folder=$set_name
cache=$cache_root/$folder/$key

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
echo "building the $set_name binaries into $cache; the first build takes $minutes minutes" >&2
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$kube_version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"
gobuild() { go build -trimpath -ldflags "$ldflags" "$@" >&2; }
k8s=$here/tools/k8s
case "$set_name" in
  control-plane)
    (cd "$k8s" && gobuild -o "$staging/" k8s.io/kubernetes/cmd/kube-apiserver \
        k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl)
    (cd "$k8s" && gobuild -o "$staging/etcd" go.etcd.io/etcd/server/v3) ;;
  node)
    (cd "$k8s" && gobuild -o "$staging/" k8s.io/kubernetes/cmd/kubelet \
        k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-proxy)
    (cd "$here/tools/kube-router" && gobuild -o "$staging/kube-router" \
        github.com/cloudnativelabs/kube-router/v2/cmd/kube-router) ;;
  helm)
    (cd "$k8s" && gobuild -o "$staging/helm" helm.sh/helm/v4/cmd/helm)
    (cd "$k8s" && gobuild -o "$staging/helm3" helm.sh/helm/v3/cmd/helm) ;;
  kwok) (cd "$k8s" && gobuild -o "$staging/kwok" sigs.k8s.io/kwok/cmd/kwok) ;;
  cosign) (cd "$here/tools/cosign" && go build -trimpath -ldflags "-s -w" -o "$staging/cosign" \
             github.com/sigstore/cosign/v2/cmd/cosign >&2) ;;
esac
mkdir -p "$cache/bin"
for b in "${bins[@]}"; do mv "$staging/$b" "$cache/bin/$b"; done
echo "$set_name built in $(( $(date +%s) - start ))s" >&2
echo "$cache/bin"
