#!/usr/bin/env bash
# Installs the Debian packages Bulwark's build and tests need. Idempotent: installs only what is
# missing, and runs apt-get update only then.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git curl openssl python3 iproute2 clang-format
  ccache  # serves a fresh clone's C++ compiles from the cache (scripts/build.sh)
  libcpprest-dev libyaml-cpp-dev libyaml-dev prometheus-cpp-dev libspdlog-dev libssl-dev
  libzstd-dev  # the informers' dictionary compression (operator/runtime/cache_codec.h)
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev  # libFuzzer and the sanitizers it runs under (scripts/fuzz.sh)
  prometheus  # the real Prometheus server and promtool, for the metrics tests
  # the real node of e2e/cluster/up.sh --real-node: runtime, CNI plugins, kube-router's iptables
  # and ipsets, and the test image (busybox, packed by umoci)
  containerd runc containernetworking-plugins iptables ipset busybox-static umoci
  podman  # loads the operator image in the tests (scripts/image.sh)
  docker-registry  # the real registry (Distribution 2.8) of the image signature tests
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
