// A pod's images verified under the policy's images.verify entries (pod_signatures.h).
#include "operator/registry/pod_signatures.h"

#include <map>
#include <mutex>

#include "operator/document/value.h"
#include "operator/images/reference.h"

namespace bulwark::registry {

using images::SignatureResult;
using images::SignatureVerdict;

std::optional<images::PublicKey> parse_key_cached(const std::string& pem, std::string& error) {
  static std::mutex mu;
  static std::map<std::string, images::PublicKey> parsed;  // guarded by mu
  {
    std::lock_guard lock(mu);
    if (auto it = parsed.find(pem); it != parsed.end()) return it->second;
  }
  auto key = images::PublicKey::from_pem(pem, error);
  if (!key) return std::nullopt;
  std::lock_guard lock(mu);
  if (parsed.size() >= 256) parsed.clear();
  parsed.emplace(pem, *key);
  return key;
}

std::optional<TrustedKeys> InlineTrust::trust_for(const crds::ImageVerifyEntry& entry,
                                                  std::string& error) {
  if (!entry.credentials_secret.empty()) {
    error = "its registry credentials are in Secret \"" + entry.credentials_secret +
            "\", which bulwark scan does not read";
    return std::nullopt;
  }
  TrustedKeys trust;
  trust.identities = entry.signed_identities;
  for (const crds::SigningKey& k : entry.public_keys) {
    if (k.pem.empty()) {
      error = "its key is in Secret \"" + k.secret_name + "\", which bulwark scan does not read";
      return std::nullopt;
    }
    auto key = parse_key_cached(k.pem, error);
    if (!key) return std::nullopt;  // the policy's validation refused it already
    trust.keys.push_back(std::move(*key));
  }
  return trust;
}

namespace {

images::ContainerSignature verify_one(SignatureVerifier& verifier, TrustSource& trust,
                                      const std::vector<const crds::ImageVerifyEntry*>& entries,
                                      const PodImage& c) {
  const std::string repository =
      c.repository.empty() ? images::repository_of(images::parse_image(c.image)) : c.repository;
  if (!c.unverifiable.empty()) {
    return {c.image, {SignatureResult::kNotEvaluated, c.unverifiable}};
  }
  std::string digest = c.digest;  // a tag is resolved once, with the first entry's credentials
  std::optional<SignatureVerdict> worst;
  for (const crds::ImageVerifyEntry* entry : entries) {
    std::string error;
    const auto keys = trust.trust_for(*entry, error);
    if (keys && digest.empty()) digest = verifier.resolve(c.image, *keys, error);
    SignatureVerdict v = keys && !digest.empty()
                             ? verifier.verify_digest(repository, digest, *keys)
                             : SignatureVerdict{SignatureResult::kNotEvaluated, error};
    worst = worst ? images::worst_of(*worst, v) : std::move(v);
  }
  return {digest.empty() ? c.image : repository + "@" + digest, std::move(*worst)};
}

}  // namespace

std::vector<PodImage> images_of(const document::Value& pod_spec) {
  std::vector<PodImage> out;
  for (std::string_view list : {"initContainers", "containers", "ephemeralContainers"}) {
    for (const document::Value& c : document::items_of(pod_spec.find(list))) {
      PodImage p;
      p.container = std::string(c.find("name") != nullptr ? c.find("name")->str() : "");
      p.image = std::string(c.find("image") != nullptr ? c.find("image")->str() : "");
      if (!p.image.empty()) out.push_back(std::move(p));
    }
  }
  return out;
}

images::ImageSignatures verify_pod_images(SignatureVerifier& verifier, TrustSource& trust,
                                          const crds::ImagesSpec& spec,
                                          const std::vector<PodImage>& containers) {
  images::ImageSignatures out;
  for (const PodImage& c : containers) {
    const auto entries = crds::verify_entries_for(spec, c.image);
    if (entries.empty()) continue;
    auto verdict = verify_one(verifier, trust, entries, c);
    // One container name, several images (pods of one workload running other digests): the
    // worst counts.
    auto [it, fresh] = out.try_emplace(c.container, verdict);
    if (!fresh &&
        images::worst_of(it->second.verdict, verdict.verdict).result != it->second.verdict.result) {
      it->second = std::move(verdict);
    }
  }
  return out;
}

}  // namespace bulwark::registry
