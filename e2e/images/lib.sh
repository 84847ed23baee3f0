# Sourced by the image signature tests: the reproducible test images pushed, the committed
# signatures beside them, and the images.verify entry that trusts the key cosign signed with.
images_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# push_image ADDR REPO TAG VARIANT: the variant's image under REPO:TAG (plain HTTP); its digest.
push_image() { python3 "$images_dir/oci_image.py" push "http://$1" "$2" "$3" "$4"; }
# push_index ADDR REPO TAG VARIANT...: a multi-arch index of the variants' images; its digest.
push_index() { python3 "$images_dir/oci_image.py" push-index "http://$1" "${@:2}"; }
# push_signature ADDR REPO VARIANT: the signature real cosign made of the variant, beside it.
push_signature() {
  python3 "$images_dir/oci_image.py" push-dir "http://$1" "$2" "$images_dir/testdata/sig-$3" >/dev/null
}
# verify_entry PATTERN [IDENTITY]: one images.verify entry (a list item at the indent of
# spec.images.verify's items) covering PATTERN, the key inline; IDENTITY, when the registry is a
# mirror of the one the signatures name.
verify_entry() {
  echo "    - imageReferences: [\"$1\"]"
  [ -n "${2:-}" ] && echo "      signedIdentities: [\"$2\"]"
  echo "      publicKeys:"
  echo "      - pem: |"
  sed 's/^/          /' "$images_dir/testdata/ec.pub"
}
