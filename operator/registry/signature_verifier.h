#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "operator/images/public_key.h"
#include "operator/images/signature_check.h"
#include "operator/registry/registry_client.h"

namespace bulwark::base {
class Clock;
}

namespace bulwark::registry {

// What may sign the images of one images.verify entry, its keys read and parsed.
struct TrustedKeys {
  std::vector<images::PublicKey> keys;
  std::vector<std::string> identities;  // signedIdentities; empty: the image's own repository
  // By registry host as the registry API is asked ("registry-1.docker.io" for Docker Hub).
  std::map<std::string, BasicCredentials> credentials;
};

// Counts of what verification did, for metrics (read by the caller at its own pace).
struct VerifierCounts {
  std::size_t verified = 0, unsigned_images = 0, bad_signature = 0, not_evaluated = 0;
  std::size_t cache_hits = 0;
};

// Verifies images' cosign signatures against a registry (docs/api.md, Image signatures):
// resolves a tag to its manifest digest (an index's own digest for a multi-arch image, as cosign
// signs it), fetches the signature manifest beside it and its payloads, and judges them
// (images::judge_signatures). Verdicts are cached by repository, digest and key set for
// `cache_ttl` (kNotEvaluated never: the next call asks again), at most `max_entries`, the least
// recently used dropped first; tags are resolved on every call. Thread-safe; a call blocks for
// at most a few of the registry's request timeouts.
class SignatureVerifier {
 public:
  struct Options {
    std::chrono::seconds cache_ttl{3600};
    std::size_t max_entries = 10000;
  };
  SignatureVerifier(Registry& registry, base::Clock& clock, Options options);

  // An image by the digest it runs (a container's imageID): nothing to resolve.
  images::SignatureVerdict verify_digest(const std::string& repository, const std::string& digest,
                                         const TrustedKeys& trust);
  // The verdict cached for the image under `trust`, without asking the registry.
  std::optional<images::SignatureVerdict> cached(const std::string& repository,
                                                 const std::string& digest,
                                                 const TrustedKeys& trust);
  // The digest `image` resolves to now ("" and `error` when it cannot be).
  std::string resolve(std::string_view image, const TrustedKeys& trust, std::string& error);

  VerifierCounts counts() const;

  // Told of each verification against the registry (its verdict and how long it took) and of
  // each cache hit (`cache_hit`, no time). Set before the first call; called on the caller's
  // thread, outside any lock.
  using Observer =
      std::function<void(images::SignatureResult, std::chrono::nanoseconds took, bool cache_hit)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

 private:
  images::SignatureVerdict fetch_and_judge(const std::string& repository, const std::string& digest,
                                           const TrustedKeys& trust);
  void count(images::SignatureResult r);

  Registry& registry_;
  base::Clock& clock_;
  Observer observer_;
  const Options options_;
  mutable std::mutex mu_;
  struct Entry {
    std::string key;
    images::SignatureVerdict verdict;
    std::chrono::steady_clock::time_point expires;
  };
  std::list<Entry> lru_;                                               // guarded by mu_
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;  // guarded by mu_
  VerifierCounts counts_;                                              // guarded by mu_
};

}  // namespace bulwark::registry
