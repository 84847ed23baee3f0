#!/usr/bin/env bash
# Builds the scanners e2e/bench/scan_race.sh races bulwark scan against, from the Go module proxy,
# into a cache folder keyed by their versions and the Go version, and prints that folder. A second
# call prints it at once. Not part of CI (nothing it builds is a test's).
#   kyverno     the Kyverno CLI (cmd/cli/kubectl-kyverno) of github.com/kyverno/kyverno v1.19.1;
#               its go.mod has replace directives, which hold only in the main module, so it is
#               built inside a copy of the downloaded module
#   kube-score  github.com/zegl/kube-score v1.20.0 (cmd/kube-score)
#   BULWARK_CACHE  cache root (default ~/.cache/bulwark): peers/ holds the binaries and their own
#                  Go build cache; the module cache is the project's (go/mod)
set -euo pipefail
cache_root=${BULWARK_CACHE:-$HOME/.cache/bulwark}
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
export GOMODCACHE=$cache_root/go/mod GOCACHE=$cache_root/peers/go-build
kyverno_version=v1.19.1
kube_score_version=v1.20.0
key=$(echo "$kyverno_version $kube_score_version $(go version)" | sha256sum | cut -c1-16)
out=$cache_root/peers/$key
mkdir -p "$out"

# module_dir MODULE@VERSION: the module's folder in the module cache (downloaded if missing).
module_dir() {
  go mod download -json "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])'
}

build_in_copy() {  # NAME MODULE@VERSION PACKAGE
  local name=$1 module=$2 package=$3 src work
  [ -x "$out/$name" ] && return 0
  echo "building $name ($module); 5-20 minutes on 2 cores" >&2
  src=$(module_dir "$module")
  work=$(mktemp -d "$cache_root/peers/src.XXXXXX")
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  (cd "$work" && go build -trimpath -ldflags '-s -w' -o "$out/$name.partial" "$package")
  mv "$out/$name.partial" "$out/$name"
  rm -rf "$work"
}

build_in_copy kube-score "github.com/zegl/kube-score@$kube_score_version" ./cmd/kube-score
build_in_copy kyverno "github.com/kyverno/kyverno@$kyverno_version" ./cmd/cli/kubectl-kyverno
echo "$out"
