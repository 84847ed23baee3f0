# shellcheck shell=bash
# Sourced by real-node scripts after e2e/operator/lib.sh: the operator image from scripts/image.sh
# in the node's containerd, the CRD, and the chart installed as users install it.
# install_from_chart NS HELM_ARGS...: one replica in namespace NS (Pod Security restricted), the
# image under the name the chart uses; returns non-zero, the log printed, when any step fails.
install_from_chart() {
  local ns=$1; shift
  "$root/scripts/image.sh" "$work/image.tar" >/dev/null 2>"$work/image.log" || { cat "$work/image.log"; return 1; }
  ctr --address "$BULWARK_E2E_CLUSTER/node/containerd.sock" -n k8s.io images import "$work/image.tar" >/dev/null || return 1
  $kubectl apply -f "$root/crds/securitypolicy.yaml" >/dev/null || return 1
  $kubectl wait --for condition=established --timeout=30s crd/securitypolicies.bulwark.dev >/dev/null || return 1
  helm=$("$root/e2e/cluster/build.sh" helm)/helm
  export HELM_CACHE_HOME=$work/helm/cache HELM_CONFIG_HOME=$work/helm/config HELM_DATA_HOME=$work/helm/data
  $kubectl create namespace "$ns" >/dev/null
  $kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted >/dev/null
  "$helm" install bulwark "$root/deploy/helm/bulwark" -n "$ns" --set replicas=1 \
    --set image.repository=ghcr.io/bulwark-dev/bulwark --set image.tag=0.1.0 "$@" \
    >"$work/helm.log" 2>&1 || { cat "$work/helm.log"; return 1; }
}
