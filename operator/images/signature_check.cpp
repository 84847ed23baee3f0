// Judging an image's cosign signatures (signature_check.h).
#include "operator/images/signature_check.h"

#include <algorithm>

#include "operator/images/public_key.h"
#include "operator/images/reference.h"

namespace bulwark::images {
namespace {

// Docker Hub's repositories as cosign names them ("index.docker.io/library/nginx") and as
// references do ("docker.io/library/nginx") compare equal.
std::string normalized_identity(std::string_view claim) {
  std::string repo = repository_of(parse_image(claim));
  constexpr std::string_view kIndex = "index.docker.io/";
  if (repo.compare(0, kIndex.size(), kIndex) == 0) repo = "docker.io/" + repo.substr(kIndex.size());
  return repo;
}

// How far one signature got, and why it stopped: the verdict reports the furthest.
struct Attempt {
  int stage = 0;  // 1 payload read, 2 signed by a key, 3 for this digest, 4 for this repository
  std::string why;
  std::string key;
};

Attempt check_one(const SignedImage& image, const FetchedSignature& s,
                  const std::vector<PublicKey>& keys) {
  if (!s.refused.empty()) return {0, "a signature's payload is refused: " + s.refused, ""};
  const std::string& payload = *s.payload;
  if (sha256_digest(payload) != s.layer.digest) {
    return {0, "a signature's payload does not match its digest " + s.layer.digest, ""};
  }
  const auto signature = decode_base64(s.layer.signature_base64);
  if (!signature) return {1, "a signature is not base64", ""};
  const auto key = std::find_if(keys.begin(), keys.end(), [&](const PublicKey& k) {
    return k.verifies(payload, *signature);
  });
  if (key == keys.end()) return {1, "no signature verifies under the policy's keys", ""};
  std::string error;
  const auto claims = parse_simple_signing(payload, error);
  if (!claims)
    return {2, "a signature by " + key->fingerprint() + " has an unreadable payload: " + error, ""};
  if (claims->type != kCosignSignatureType) {
    return {2,
            "signed by " + key->fingerprint() +
                ", but not as a container image signature "
                "(critical.type \"" +
                claims->type + "\")",
            ""};
  }
  if (claims->docker_manifest_digest != image.digest) {
    return {2,
            "signed by " + key->fingerprint() + " for another digest (" +
                claims->docker_manifest_digest + ")",
            ""};
  }
  const std::string identity = normalized_identity(claims->docker_reference);
  const bool identity_ok =
      image.identities.empty()
          ? identity == image.repository
          : std::any_of(image.identities.begin(), image.identities.end(),
                        [&](const std::string& i) { return normalized_identity(i) == identity; });
  if (!identity_ok) {
    return {3,
            "signed by " + key->fingerprint() + " for repository \"" + claims->docker_reference +
                "\", not this one (a signature copied from another repository)",
            ""};
  }
  return {4, "", key->fingerprint() + " (" + key->algorithm() + ")"};
}

}  // namespace

std::string_view to_string(SignatureResult r) {
  switch (r) {
    case SignatureResult::kVerified:
      return "verified";
    case SignatureResult::kUnsigned:
      return "unsigned";
    case SignatureResult::kBadSignature:
      return "bad_signature";
    case SignatureResult::kNotEvaluated:
      return "not_evaluated";
    case SignatureResult::kUnverifiable:
      return "unverifiable";
  }
  return "not_evaluated";
}

SignatureVerdict worst_of(const SignatureVerdict& a, const SignatureVerdict& b) {
  auto rank = [](SignatureResult r) {
    switch (r) {
      case SignatureResult::kBadSignature:
        return 0;
      case SignatureResult::kUnsigned:
      case SignatureResult::kUnverifiable:
        return 1;
      case SignatureResult::kNotEvaluated:
        return 2;
      case SignatureResult::kVerified:
        return 3;
    }
    return 2;
  };
  return rank(b.result) < rank(a.result) ? b : a;
}

SignatureVerdict judge_signatures(const SignedImage& image,
                                  const std::vector<FetchedSignature>& signatures,
                                  const std::vector<PublicKey>& keys) {
  if (signatures.empty()) {
    return {SignatureResult::kUnsigned, "no cosign signature for " + image.digest};
  }
  Attempt best{-1, "", ""};
  bool unfetched = false;
  for (const FetchedSignature& s : signatures) {
    if (!s.payload && s.refused.empty()) {
      unfetched = true;
      continue;
    }
    Attempt a = check_one(image, s, keys);
    if (a.stage == 4) return {SignatureResult::kVerified, "signed by " + a.key};
    if (a.stage > best.stage) best = std::move(a);
  }
  if (unfetched) {
    return {SignatureResult::kNotEvaluated, "a signature's payload could not be fetched"};
  }
  return {SignatureResult::kBadSignature, best.why};
}

}  // namespace bulwark::images
