#!/usr/bin/env bash
# Remakes the committed signatures of the image signature tests (testdata/) with real cosign:
# the reproducible test images (oci_image.py) pushed to a real registry on 127.0.0.71:5000, signed
# with cosign's key-based classic format, and the signature manifests and payloads saved with the
# public keys (the private keys are thrown away). The images' digests never change, so neither do
# the signatures' claims; CI pushes them as they are and never builds cosign (about 10 minutes).
#   usage: e2e/images/make_signatures.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cosign=$("$here/../cluster/build.sh" cosign)/cosign
work=$(mktemp -d)
. "$here/registry.sh"
trap 'stop_registry; rm -rf "$work"' EXIT
addr=127.0.0.71:5000
start_registry "$addr"
out=$here/testdata
rm -rf "$out" && mkdir -p "$out"
"$cosign" version 2>/dev/null | grep GitVersion > "$out/cosign-version"

export COSIGN_PASSWORD=""
(cd "$work" && "$cosign" generate-key-pair --output-key-prefix ec >/dev/null 2>&1 &&
  "$cosign" generate-key-pair --output-key-prefix other >/dev/null 2>&1 &&
  openssl genrsa -out rsa-openssl.pem 3072 2>/dev/null &&
  "$cosign" import-key-pair --key rsa-openssl.pem --output-key-prefix rsa >/dev/null 2>&1)
cp "$work/ec.pub" "$work/other.pub" "$work/rsa.pub" "$out/"

# The flags pinned: a later cosign must not change the format silently.
sign() {  # sign VARIANT KEY [INDEX_VARIANTS...]: an index of those when given
  local digest variant=$1 key=$2; shift 2
  if [ $# -gt 0 ]; then
    digest=$(python3 "$here/oci_image.py" push-index "http://$addr" team/app "$variant" "$@")
  else
    digest=$(python3 "$here/oci_image.py" push "http://$addr" team/app "$variant" "$variant")
  fi
  set -- "$variant" "$key"
  "$cosign" sign --key "$work/$2.key" --tlog-upload=false --new-bundle-format=false \
    --use-signing-config=false --allow-http-registry --yes "$addr/team/app@$digest" \
    >/dev/null 2>&1
  python3 "$here/oci_image.py" save "http://$addr" team/app \
    "sha256-${digest#sha256:}.sig" "$out/sig-$1"
  echo "$1 $digest signed by $2"
}
sign signed ec
sign otherkey other
sign rsa rsa
# A multi-arch index: cosign signs the index's own digest.
sign multiarch ec arch-amd64 arch-arm64
