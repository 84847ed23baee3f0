#!/usr/bin/env bash
# Builds a pinned set of Go binaries into a cache folder keyed by the pinned module versions and
# the Go version, and prints that folder's bin path. A second call with the same pins prints the
# path at once.
#   usage: e2e/cluster/build.sh [control-plane|node]
#   control-plane (default): etcd, kube-apiserver, kube-controller-manager, kubectl
#   node: kubelet, kube-scheduler and kube-proxy (the same pinned Kubernetes module) and
#         kube-router, for up.sh --real-node
#   helm: helm (Helm 4) and helm3 (Helm 3), for the chart's tests (deploy/helm)
#   kwok: kwok, the simulated nodes of up.sh --kwok
#   BULWARK_CACHE  cache root (default ~/.cache/bulwark)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
set_name=${1:-control-plane}

kube_version=v1.37.2
# Bump when the build recipe below changes in a way that changes the binaries.
recipe=1
case "$set_name" in
  control-plane)
    bins=(etcd kube-apiserver kube-controller-manager kubectl)
    pins=("$here/tools/kube/go.mod" "$here/tools/kube/go.sum" "$here/tools/etcd/go.mod"
          "$here/tools/etcd/go.sum")
    minutes="15-25" ;;
  node)
    bins=(kubelet kube-scheduler kube-proxy kube-router)
    pins=("$here/tools/kube/go.mod" "$here/tools/kube/go.sum" "$here/tools/kube-router/go.mod"
          "$here/tools/kube-router/go.sum")
    minutes="5-8 (about 3 once the control plane is built)" ;;
  helm)
    bins=(helm helm3)
    pins=("$here/tools/helm/go.mod" "$here/tools/helm/go.sum" "$here/tools/helm3/go.mod"
          "$here/tools/helm3/go.sum")
    minutes="4-6" ;;
  kwok)
    bins=(kwok)
    pins=("$here/tools/kwok/go.mod" "$here/tools/kwok/go.sum")
    minutes="about 5" ;;
  *) echo "usage: e2e/cluster/build.sh [control-plane|node|helm|kwok]" >&2; exit 2 ;;
esac
key=$(cat "${pins[@]}" <(go version) <(echo "$kube_version $recipe") | sha256sum | cut -c1-16)
# The control plane keeps its historical folder name, so existing caches stay warm.
folder=control-plane
[ "$set_name" = control-plane ] || folder=$set_name
cache=${BULWARK_CACHE:-$HOME/.cache/bulwark}/$folder/$key

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
ldflags="-X k8s.io/component-base/version.gitVersion=$kube_version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"
if [ "$set_name" = control-plane ]; then
  (cd "$here/tools/kube" && go build -trimpath -o "$staging/" -ldflags "$ldflags" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kubectl) >&2
  (cd "$here/tools/etcd" && go build -trimpath -o "$staging/etcd" go.etcd.io/etcd/server/v3) >&2
elif [ "$set_name" = kwok ]; then
  (cd "$here/tools/kwok" && go build -trimpath -o "$staging/kwok" sigs.k8s.io/kwok/cmd/kwok) >&2
elif [ "$set_name" = helm ]; then
  (cd "$here/tools/helm" && go build -trimpath -o "$staging/helm" helm.sh/helm/v4/cmd/helm) >&2
  (cd "$here/tools/helm3" && go build -trimpath -o "$staging/helm3" helm.sh/helm/v3/cmd/helm) >&2
else
  (cd "$here/tools/kube" && go build -trimpath -o "$staging/" -ldflags "$ldflags" \
      k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-scheduler \
      k8s.io/kubernetes/cmd/kube-proxy) >&2
  (cd "$here/tools/kube-router" && go build -trimpath -o "$staging/kube-router" \
      github.com/cloudnativelabs/kube-router/v2/cmd/kube-router) >&2
fi
mkdir -p "$cache/bin"
for b in "${bins[@]}"; do mv "$staging/$b" "$cache/bin/$b"; done
echo "$set_name built in $(( $(date +%s) - start ))s" >&2
echo "$cache/bin"
