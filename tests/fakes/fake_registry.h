#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

#include "operator/images/cosign_format.h"
#include "operator/images/public_key.h"
#include "operator/registry/registry_client.h"

namespace bulwark::testing {

// A registry held in memory: manifests by repository and reference, blobs by digest. Anything
// not put is a 404; `down` fails every request, as an unreachable registry does. Counts requests.
class FakeRegistry : public registry::Registry {
 public:
  // Puts a manifest under a tag (or its own digest when `tag` is empty); returns its digest.
  std::string put_manifest(const std::string& path, const std::string& tag,
                           const std::string& body) {
    std::lock_guard lock(mu_);
    const std::string digest = images::sha256_digest(body);
    manifests_[path + ":" + digest] = body;
    if (!tag.empty()) manifests_[path + ":" + tag] = body;
    return digest;
  }
  void put_blob(const std::string& body) {
    std::lock_guard lock(mu_);
    blobs_[images::sha256_digest(body)] = body;
  }
  // Signs the manifest of `digest` in `path`: a cosign signature manifest beside it holding one
  // payload with its base64 signature.
  void put_signature(const std::string& path, const std::string& digest, const std::string& payload,
                     const std::string& signature_base64) {
    put_blob(payload);
    put_manifest(path, images::signature_tag(digest),
                 R"({"schemaVersion":2,"layers":[{"mediaType":")" +
                     std::string(images::kSimpleSigningType) + R"(","digest":")" +
                     images::sha256_digest(payload) + R"(","size":)" +
                     std::to_string(payload.size()) +
                     R"(,"annotations":{"dev.cosignproject.cosign/signature":")" +
                     signature_base64 + R"("}}]})");
  }
  void set_down(bool down) {
    std::lock_guard lock(mu_);
    down_ = down;
  }
  // While held, every request waits (a registry slow to answer); released, they go on.
  void set_held(bool held) {
    {
      std::lock_guard lock(mu_);
      held_ = held;
    }
    released_.notify_all();
  }
  int requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  registry::Fetched manifest(const images::RegistryPath& repo, std::string_view reference,
                             const registry::BasicCredentials*) override {
    std::unique_lock lock(mu_);
    released_.wait(lock, [this] { return !held_; });
    return answer(manifests_, repo.path + ":" + std::string(reference));
  }
  registry::Fetched blob(const images::RegistryPath&, std::string_view digest,
                         std::size_t max_bytes, const registry::BasicCredentials*) override {
    std::unique_lock lock(mu_);
    released_.wait(lock, [this] { return !held_; });
    auto f = answer(blobs_, std::string(digest));
    if (f.body.size() > max_bytes) return failed("over the bound");
    return f;
  }

 private:
  static registry::Fetched failed(std::string error) {
    registry::Fetched f;
    f.error = std::move(error);
    return f;
  }
  registry::Fetched answer(const std::map<std::string, std::string>& from, const std::string& key) {
    ++requests_;
    if (down_) return failed("registry.test: connection refused");
    registry::Fetched f;
    auto it = from.find(key);
    if (it == from.end()) {
      f.status = registry::Fetched::Status::kNotFound;
      return f;
    }
    f.status = registry::Fetched::Status::kOk;
    f.body = it->second;
    f.digest = images::sha256_digest(it->second);
    return f;
  }

  mutable std::mutex mu_;
  std::map<std::string, std::string> manifests_, blobs_;  // guarded by mu_
  bool down_ = false;                                     // guarded by mu_
  bool held_ = false;                                     // guarded by mu_
  std::condition_variable released_;
  int requests_ = 0;  // guarded by mu_
};

}  // namespace bulwark::testing
