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
// (about 2 s a review) and the reconcilers (no wait at all). Each covered container is verified
// by a pool of workers; a caller gets what is known within its budget, and what is not done by
// then comes back not evaluated ("being verified") while the work goes on: its verdict lands in
// the SignatureVerifier's cache for the next call. A verification that could not be done (a
// registry unreachable or not understood) is remembered for `retry_failed` and served as it is
// meanwhile, so an outage costs one attempt per image and interval, not one per judgement. The
// same container under the same entries is verified once however many callers ask meanwhile;
// the queue is bounded, and past it a verdict is not evaluated at once. Thread-safe.
class ImageVerification {
 public:
  struct Options {
    std::size_t workers = 4;
    std::size_t max_queued = 256;
    std::chrono::seconds retry_failed{10};
  };
  ImageVerification(SignatureVerifier& verifier, TrustSource& trust, Options options);
  ~ImageVerification();  // finishes the work in hand, drops what is queued

  // Admission: waits at most `budget`.
  images::ImageSignatures verify(const crds::ImagesSpec& spec,
                                 const std::vector<PodImage>& containers,
                                 std::chrono::milliseconds budget);

  // The reconcilers: no wait. `again` is set when some verdict is not final: how soon to judge
  // again (shortly while being verified; when a failed verification is retried).
  struct Now {
    images::ImageSignatures verdicts;
    std::optional<std::chrono::milliseconds> again;
  };
  Now verify_now(const crds::ImagesSpec& spec, const std::vector<PodImage>& containers);

 private:
  using Clock = std::chrono::steady_clock;
  using Result = std::shared_future<images::ContainerSignature>;
  struct Job {
    std::string key;
    std::vector<crds::ImageVerifyEntry> entries;
    PodImage container;
    std::promise<images::ContainerSignature> promise;
  };
  Now collect(const crds::ImagesSpec& spec, const std::vector<PodImage>& containers,
              Clock::time_point deadline, std::chrono::milliseconds budget);
  Result submit(std::string key, std::vector<crds::ImageVerifyEntry> entries, PodImage c);
  // The verdict at once, when it needs no registry: cached for every entry, unverifiable, or a
  // failure being remembered (then `again` is when it is retried).
  std::optional<images::ContainerSignature> at_once(
      const std::string& key, const std::vector<const crds::ImageVerifyEntry*>& entries,
      const PodImage& c, std::optional<std::chrono::milliseconds>& again);
  void work();

  SignatureVerifier& verifier_;
  TrustSource& trust_;
  const Options options_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> queue_;                  // guarded by mu_
  std::map<std::string, Result> running_;  // queued or being verified; guarded by mu_
  struct Failed {
    images::ContainerSignature verdict;
    Clock::time_point until;
  };
  std::map<std::string, Failed> failed_;  // guarded by mu_
  // The reason last logged for a verification that failed, until one succeeds.
  std::map<std::string, std::string> logged_;  // guarded by mu_
  bool stopping_ = false;                      // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace bulwark::registry
