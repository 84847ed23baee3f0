#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "operator/registry/pod_signatures.h"

namespace bulwark::registry {

// Verification with a time budget, for callers that cannot wait on a registry: the webhook
// (about 2 s a review) and the reconcilers (none: they are told when a verdict is ready). Each
// covered container is verified by a pool of workers; a caller waits for its verdicts at most
// its budget, and what is not done by then comes back not evaluated ("not verified within N
// ms") while the work goes on: its verdict lands in the SignatureVerifier's cache for the next
// call, and `on_done` (if set) is told. The same container under the same entries is verified
// once however many callers ask meanwhile. The queue is bounded: past it, not evaluated at once.
// Thread-safe.
class ImageVerification {
 public:
  struct Options {
    std::size_t workers = 4;
    std::size_t max_queued = 256;
  };
  ImageVerification(SignatureVerifier& verifier, TrustSource& trust, Options options);
  ~ImageVerification();  // finishes the work in hand, drops what is queued

  images::ImageSignatures verify(const crds::ImagesSpec& spec,
                                 const std::vector<PodImage>& containers,
                                 std::chrono::milliseconds budget);

  // Told (on a worker) each time a verification ends: the reconcilers judge again the workloads
  // waiting on one. Set before the first verify.
  void set_on_done(std::function<void()> on_done) { on_done_ = std::move(on_done); }

 private:
  using Result = std::shared_future<images::ContainerSignature>;
  struct Job {
    std::string key;
    std::vector<crds::ImageVerifyEntry> entries;
    PodImage container;
    std::promise<images::ContainerSignature> promise;
  };
  Result submit(std::string key, std::vector<crds::ImageVerifyEntry> entries, PodImage c);
  void work();

  SignatureVerifier& verifier_;
  TrustSource& trust_;
  const Options options_;
  std::function<void()> on_done_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> queue_;                  // guarded by mu_
  std::map<std::string, Result> running_;  // queued or being verified; guarded by mu_
  bool stopping_ = false;                  // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace bulwark::registry
