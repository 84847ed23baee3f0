#!/usr/bin/env bash
# Remakes the OpenSSL-made fixtures of tests/images (keys, a simple-signing payload and its
# signatures): what the unit tests check verification against, beside cosign's own
# (cosign/, made by make_cosign.sh). Run from anywhere; writes beside itself.
set -euo pipefail
cd "$(dirname "$0")"
openssl ecparam -name prime256v1 -genkey -noout -out ec.key
openssl ec -in ec.key -pubout -out ec.pub 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out other.key
openssl ec -in other.key -pubout -out other.pub 2>/dev/null
openssl genrsa -out rsa.key 3072 2>/dev/null
openssl rsa -in rsa.key -pubout -out rsa.pub 2>/dev/null
# Keys Bulwark refuses: another curve, a short RSA key.
openssl ecparam -name secp384r1 -genkey -noout | openssl ec -pubout -out p384.pub 2>/dev/null
openssl genrsa 1024 2>/dev/null | openssl rsa -pubout -out rsa1024.pub 2>/dev/null
digest=sha256:$(printf 'image' | sha256sum | cut -c1-64)
printf '{"critical":{"identity":{"docker-reference":"registry.test/team/app"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' \
  "$digest" > payload.json
for k in ec other rsa; do
  openssl dgst -sha256 -sign "$k.key" payload.json | base64 -w0 > "payload.$k.sig"
done
# The same claims, signed by the same key, as something other than an image signature.
sed 's/cosign container image signature/sign-blob/' payload.json > payload-blob.json
openssl dgst -sha256 -sign ec.key payload-blob.json | base64 -w0 > payload-blob.ec.sig
rm -f ec.key other.key rsa.key
