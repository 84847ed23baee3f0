// Verifying images' signatures against a registry, with a verdict cache (signature_verifier.h).
#include "operator/registry/signature_verifier.h"

#include "operator/base/clock.h"
#include "operator/images/cosign_format.h"
#include "operator/images/reference.h"

namespace bulwark::registry {
namespace {

using images::SignatureResult;
using images::SignatureVerdict;

// The cache key: the same digest under another key set or identities is another verdict.
std::string cache_key(const std::string& repository, const std::string& digest,
                      const TrustedKeys& trust) {
  std::string key = repository + "@" + digest;
  for (const auto& k : trust.keys) key += "|" + k.fingerprint();
  for (const auto& i : trust.identities) key += "|=" + i;
  return key;
}

const BasicCredentials* credentials_of(const TrustedKeys& trust, const std::string& host) {
  auto it = trust.credentials.find(host);
  return it != trust.credentials.end() ? &it->second : nullptr;
}

}  // namespace

SignatureVerifier::SignatureVerifier(Registry& registry, base::Clock& clock, Options options)
    : registry_(registry), clock_(clock), options_(options) {}

std::string SignatureVerifier::resolve(std::string_view image, const TrustedKeys& trust,
                                       std::string& error) {
  const images::ImageRef ref = images::parse_image(image);
  if (images::is_sha256_digest(ref.digest)) return ref.digest;  // a digest names itself
  if (!ref.digest.empty()) {
    error = "its digest \"" + ref.digest + "\" is no sha256 digest";
    return "";
  }
  const std::string tag = ref.tag.empty() ? "latest" : ref.tag;
  const auto at = images::registry_path(images::repository_of(ref));
  Fetched m = registry_.manifest(at, tag, credentials_of(trust, at.host));
  if (m.status == Fetched::Status::kNotFound) {
    error = at.host + " has no tag \"" + tag + "\" in " + at.path;
    return "";
  }
  if (m.status != Fetched::Status::kOk) {
    error = "resolving its tag: " + m.error;
    return "";
  }
  return m.digest;
}

std::optional<SignatureVerdict> SignatureVerifier::cached(const std::string& repository,
                                                          const std::string& digest,
                                                          const TrustedKeys& trust) {
  const std::string key = cache_key(repository, digest, trust);
  std::optional<SignatureVerdict> hit;
  {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    if (it->second->expires <= clock_.now()) {
      lru_.erase(it->second);
      index_.erase(it);
      return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    ++counts_.cache_hits;
    hit = it->second->verdict;
  }
  if (observer_) observer_(hit->result, {}, true);
  return hit;
}

SignatureVerdict SignatureVerifier::verify_digest(const std::string& repository,
                                                  const std::string& digest,
                                                  const TrustedKeys& trust) {
  if (auto hit = cached(repository, digest, trust)) return *hit;
  const std::string key = cache_key(repository, digest, trust);
  const auto start = clock_.now();
  SignatureVerdict verdict = fetch_and_judge(repository, digest, trust);
  count(verdict.result);
  if (observer_) observer_(verdict.result, clock_.now() - start, false);
  if (verdict.result == SignatureResult::kNotEvaluated) return verdict;
  std::lock_guard lock(mu_);
  if (index_.count(key) == 0) {
    lru_.push_front({key, verdict, clock_.now() + options_.cache_ttl});
    index_[key] = lru_.begin();
    while (lru_.size() > options_.max_entries) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
  }
  return verdict;
}

SignatureVerdict SignatureVerifier::fetch_and_judge(const std::string& repository,
                                                    const std::string& digest,
                                                    const TrustedKeys& trust) {
  const auto at = images::registry_path(repository);
  const BasicCredentials* credentials = credentials_of(trust, at.host);
  const images::SignedImage image{repository, digest, trust.identities};
  Fetched m = registry_.manifest(at, images::signature_tag(digest), credentials);
  if (m.status == Fetched::Status::kNotFound)
    return images::judge_signatures(image, {}, trust.keys);
  if (m.status != Fetched::Status::kOk && m.refused_content) {
    return {SignatureResult::kBadSignature, "its signature manifest is refused: " + m.error};
  }
  if (m.status != Fetched::Status::kOk) {
    return {SignatureResult::kNotEvaluated, "reading its signatures: " + m.error};
  }
  std::string error;
  const auto manifest = images::parse_signature_manifest(m.body, error);
  if (!manifest) {
    return {SignatureResult::kBadSignature, "its signature manifest is unreadable: " + error};
  }
  std::vector<images::FetchedSignature> signatures;
  for (const auto& layer : manifest->layers) {
    Fetched b = registry_.blob(at, layer.digest, std::size_t(layer.size), credentials);
    images::FetchedSignature s{layer, std::nullopt};
    if (b.status == Fetched::Status::kOk) s.payload = std::move(b.body);
    // A body over the size the layer declares, or with another digest: the registry holds a
    // broken signature (a declared size of 0 must not make a signature unfetchable for ever).
    if (b.refused_content) s.refused = b.error;
    // A payload the registry says it does not have is a broken signature, never a verified one.
    if (b.status == Fetched::Status::kNotFound) s.payload = std::string();
    signatures.push_back(std::move(s));
  }
  if (signatures.empty()) {
    return {SignatureResult::kUnsigned, "its signature manifest holds no cosign signature (" +
                                            std::to_string(manifest->skipped) + " other layers)"};
  }
  return images::judge_signatures(image, signatures, trust.keys);
}

void SignatureVerifier::count(SignatureResult r) {
  std::lock_guard lock(mu_);
  switch (r) {
    case SignatureResult::kVerified:
      ++counts_.verified;
      break;
    case SignatureResult::kUnsigned:
      ++counts_.unsigned_images;
      break;
    case SignatureResult::kBadSignature:
      ++counts_.bad_signature;
      break;
    case SignatureResult::kNotEvaluated:
    case SignatureResult::kUnverifiable:
      ++counts_.not_evaluated;
      break;
  }
}

VerifierCounts SignatureVerifier::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

}  // namespace bulwark::registry
