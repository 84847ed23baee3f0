#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/images/signature_check.h"
#include "operator/policy/security_policy.h"
#include "operator/registry/signature_verifier.h"

namespace bulwark::registry {

// Where an images.verify entry's keys and credentials come from. Thread-safe.
class TrustSource {
 public:
  virtual ~TrustSource() = default;
  // The entry's keys (and credentials), or nullopt and why they cannot be read: the entry's
  // images are then not evaluated, never passed.
  virtual std::optional<TrustedKeys> trust_for(const crds::ImageVerifyEntry& entry,
                                               std::string& error) = 0;
};

// A PEM public key parsed once (each key a few hundred microseconds to parse and fingerprint),
// then served from a cache of the last 256 texts. Thread-safe.
std::optional<images::PublicKey> parse_key_cached(const std::string& pem, std::string& error);

// Inline PEM keys only, and no credentials: `bulwark scan --verify`, which reads no Secret (an
// entry with a Secret's key or credentials is not evaluated, saying so).
class InlineTrust final : public TrustSource {
 public:
  std::optional<TrustedKeys> trust_for(const crds::ImageVerifyEntry& entry,
                                       std::string& error) override;
};

// One container as verification sees it.
struct PodImage {
  std::string container;
  std::string image;       // as the pod spec names it: decides which entries cover it
  std::string digest;      // what it runs, when known (a container status's imageID); else resolved
  std::string repository;  // where `digest` was pulled from; empty: the image's own
  // Set when what it runs cannot be verified at all (an image known only by its local ID): the
  // reason, and the container is not evaluated.
  std::string unverifiable = {};
};

// The containers, init containers and ephemeral containers of a pod spec, by name and image.
std::vector<PodImage> images_of(const document::Value& pod_spec);

// The verdict of every container that `images.verify` covers, each under every entry covering
// it (images::worst_of). Blocks on the registry (SignatureVerifier's bounds).
images::ImageSignatures verify_pod_images(SignatureVerifier& verifier, TrustSource& trust,
                                          const crds::ImagesSpec& spec,
                                          const std::vector<PodImage>& containers);

}  // namespace bulwark::registry
