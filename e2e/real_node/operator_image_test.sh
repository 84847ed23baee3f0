#!/usr/bin/env bash
# The operator image of scripts/image.sh (issue 23) on the real node: the same binary gives the
# same archive, byte for byte; containerd (ctr images import) and podman load it under its name;
# and the
# kubelet runs it as a pod under the shipped Deployment's restricted security context (non-root
# 65532, read-only root, no capabilities, RuntimeDefault seccomp): the binary, its libraries and
# the dynamic loader are all in the image. The image has no shell.
#   usage: e2e/with_cluster.sh --real-node e2e/real_node/operator_image_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
. "$BULWARK_E2E_CLUSTER/node.env"
image=ghcr.io/bulwark-dev/bulwark:0.1.0

if "$root/scripts/image.sh" "$work/a.tar" >/dev/null 2>"$work/image.log" &&
   "$root/scripts/image.sh" "$work/b.tar" >/dev/null 2>>"$work/image.log"; then
  ok "scripts/image.sh builds the image ($(du -k "$work/a.tar" | cut -f1) KiB)"
else
  fail "scripts/image.sh"; cat "$work/image.log"; finish; exit 1
fi
cmp -s "$work/a.tar" "$work/b.tar" && ok "reproducible: the same binary gives the same archive" \
  || fail "two builds of the same binary differ"
if ctr --address "$BULWARK_E2E_CLUSTER/node/containerd.sock" -n k8s.io images import "$work/a.tar" >/dev/null 2>"$work/import.log"; then
  ok "ctr images import accepts it"
else
  fail "ctr images import"; cat "$work/import.log"
fi
# Read whole, then searched: `ctr ... | grep -q` under pipefail fails when grep has matched and
# left before ctr writes its next line (ctr dies of SIGPIPE); that flaked once in CI.
images=$(ctr --address "$BULWARK_E2E_CLUSTER/node/containerd.sock" -n k8s.io images ls -q)
grep -qx "$image" <<<"$images" \
  && ok "... named $image by the archive itself" || fail "ctr did not name it $image"
# podman, with its storage in the test's folder.
if command -v podman >/dev/null; then
  loaded=$(TMPDIR=$work podman --root "$work/podman/root" --runroot "$work/podman/run" \
    --storage-driver vfs load -i "$work/a.tar" 2>&1 | tail -n 1)
  [ "$loaded" = "Loaded image: $image" ] && ok "podman load accepts it: $loaded" || fail "podman load: $loaded"
else
  fail "podman is missing (scripts/setup.sh installs it)"
fi
has_shell=$(tar -tf "$work/a.tar" >/dev/null; mkdir -p "$work/x" && tar -xf "$work/a.tar" -C "$work/x" &&
  python3 - "$work/x" <<'PY'
import json, os, sys, tarfile
d = sys.argv[1]
index = json.load(open(os.path.join(d, "index.json")))
manifest = json.load(open(os.path.join(d, "blobs", *index["manifests"][0]["digest"].split(":"))))
names = []
for layer in manifest["layers"]:
    with tarfile.open(os.path.join(d, "blobs", *layer["digest"].split(":"))) as t:
        names += t.getnames()
print(any(n.lstrip("./") in ("bin/sh", "usr/bin/sh", "bin/bash") for n in names))
PY
)
[ "$has_shell" = False ] && ok "no shell in the image" || fail "the image has a shell ($has_shell)"

$kubectl create namespace op-image >/dev/null
$kubectl label namespace op-image pod-security.kubernetes.io/enforce=restricted >/dev/null
cat <<POD | $kubectl apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: version, namespace: op-image}
spec:
  restartPolicy: Never
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: bulwark
    image: $image
    imagePullPolicy: Never
    args: [--version]
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
POD
if eventually 60 bash -c "[ \"\$($kubectl -n op-image get pod version -o jsonpath='{.status.phase}')\" = Succeeded ]"; then
  ok "the kubelet runs it under the restricted security context (Pod Security restricted enforced)"
else
  fail "the pod did not succeed: $($kubectl -n op-image get pod version -o jsonpath='{.status.phase} {.status.containerStatuses[0].state}')"
fi
check_log=$($kubectl -n op-image logs version 2>&1)
[ "$check_log" = "bulwark 0.1.0" ] && ok "it prints its version: $check_log" || fail "its output: $check_log"
finish
