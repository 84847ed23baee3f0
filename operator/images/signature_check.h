#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/images/cosign_format.h"

namespace bulwark::images {

class PublicKey;

// What verifying one image's signatures found. Only kVerified lets an image pass imageSignature;
// kNotEvaluated (a registry not reached, an answer not understood, no time left) is never read as
// either signed or unsigned (docs/api.md, Not evaluated).
// kUnverifiable is what admission makes of kNotEvaluated: the webhook fails closed for this
// control (a registry an attacker can slow must not let unsigned images in), so it violates.
enum class SignatureResult { kVerified, kUnsigned, kBadSignature, kNotEvaluated, kUnverifiable };
std::string_view to_string(SignatureResult r);  // "verified", "unsigned", "bad_signature", ...

struct SignatureVerdict {
  SignatureResult result = SignatureResult::kNotEvaluated;
  std::string detail;  // for messages: which key verified, or why none did
};

// images.verify's verdict for one container: the image judged (by digest where known) and what
// its signatures showed.
struct ContainerSignature {
  std::string image;
  SignatureVerdict verdict;
};
// By container name (containers, init and ephemeral containers alike).
using ImageSignatures = std::map<std::string, ContainerSignature, std::less<>>;

// The verdict of an image that several images.verify entries cover, each judged on its own keys:
// a violation (bad signature, then unsigned) first, then not evaluated, then verified.
SignatureVerdict worst_of(const SignatureVerdict& a, const SignatureVerdict& b);

// One signature layer and its payload blob as fetched (nullopt: it could not be fetched, which
// is no verdict) or refused (`refused` says why: over the size the layer declares, another
// digest: a broken signature).
struct FetchedSignature {
  SignatureLayer layer;
  std::optional<std::string> payload;
  std::string refused = {};
};

// The image whose signatures are judged, and what may sign it.
struct SignedImage {
  std::string repository;  // normalized ("registry/path/name"), as images::repository_of
  std::string digest;      // the manifest (or index) digest it resolves to
  // The docker-reference claims taken (images.verify[].signedIdentities, normalized the same
  // way); empty: the image's own repository only.
  std::vector<std::string> identities;
};

// cosign's checks on each signature (verifyOCISignature, SimpleClaimVerifier) and one stricter:
//   - the payload blob's sha256 is the layer's digest (go-containerregistry checks it on read);
//   - its signature (the annotation, base64) verifies under one of `keys`;
//   - its critical.image.docker-manifest-digest is the image's digest;
//   - stricter than cosign: its critical.identity.docker-reference names the image's repository
//     (or one of `identities`), so a signature copied beside the same digest in another
//     repository does not carry over.
// kVerified when any signature passes all four; kUnsigned when the manifest holds no signature
// (or `signatures` is empty: no signature manifest); kBadSignature otherwise, saying the check
// that the nearest signature failed; kNotEvaluated when a payload could not be fetched and no
// other signature verified. Pure.
SignatureVerdict judge_signatures(const SignedImage& image,
                                  const std::vector<FetchedSignature>& signatures,
                                  const std::vector<PublicKey>& keys);

}  // namespace bulwark::images
