#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "app/admission/review.h"
#include "operator/base/byte_budget.h"
#include "operator/base/clock.h"
#include "operator/runtime/cache_reader.h"
#include "operator/server/http_server.h"
#include "reconcilers/policy_set.h"
#include "reconcilers/rbac_index.h"

namespace bulwark::reconcilers {
class InputAccess;
}
namespace bulwark::registry {
class ImageVerification;
}

namespace bulwark::admission {

// The memory admission may hold (docs/api.md, Admission under attack): an AdmissionReview holds
// the object (up to the API server's 3 MiB request limit: admission runs before etcd's 1.5 MiB)
// and, for an update, its old version: 6.5 MiB with the envelope. Bodies being received share
// kBodyBytesInFlight (the server counts them); reviews being judged, kReviewMemoryBudget.
inline constexpr std::size_t kMaxReviewBytes = 6656 * 1024;
inline constexpr std::size_t kBodyBytesInFlight = 48u << 20;
inline constexpr std::size_t kReviewMemoryBudget = 128u << 20;

// How one review went, for metrics: `decision` is "allowed", "warned", "denied" or "error".
using ReviewObserver = std::function<void(const std::string& operation, const std::string& kind,
                                          std::string_view decision, base::Clock::Duration took)>;

struct ReviewHandlerOptions {
  std::set<std::string, std::less<>> never_touch;    // the operator's own namespace among them
  const reconcilers::RbacIndex* rbac = nullptr;      // null: spec.permissions not judged here
  const reconcilers::InputAccess* access = nullptr;  // null: every input taken to be readable
  registry::ImageVerification* images = nullptr;     // null: imageSignature not evaluated here
  std::chrono::milliseconds images_budget{2000};     // what verification may take of a review
  // What reviews being judged may hold together: a review is charged 18 times its body plus
  // 2 MiB, so the largest (6.5 MiB) takes 119 MiB and small ones (a few KB) 2 MiB each.
  std::size_t review_memory_budget = kReviewMemoryBudget;
  bool fail_closed = false;  // the configuration's failurePolicy is Fail, until told otherwise
  // The budget only requests from trusted sources (server::Request::trusted: the API server's
  // addresses, config admission.apiServerSources) may take.
  std::size_t trusted_reserve = 0;
  std::function<void()> on_shed;  // metrics: a review shed for memory
};

// POST /validate: the body read as an AdmissionReview within its memory bounds, judged with the
// shared PolicySet and the namespace cache, answered. A body that is not a review (or is denser
// than a real object) is 400; one that does not fit the memory budget is 503 (unparsed, it has no
// uid to answer); until every cache has synced or when judging fails, the answer is what the
// configuration's failurePolicy says (Ignore admits with a warning, Fail refuses). Each of those
// counts as an error. Thread-safe.
class ReviewHandler {
 public:
  ReviewHandler(ReviewHandlerOptions options, reconcilers::PolicySet& policies,
                const runtime::CacheReader& namespaces, std::function<bool()> synced,
                base::Clock& clock, ReviewObserver observer = {});

  server::Reply handle(const server::Request& request);
  // The configuration's failurePolicy, as last read: Fail refuses what cannot be judged.
  void set_fail_closed(bool fail) { fail_closed_ = fail; }
  bool fail_closed() const { return fail_closed_; }
  // What the reviews being judged are charged against their memory budget now.
  std::size_t bytes_in_flight() const { return budget_.used(); }

 private:
  server::Reply answer(const Review& review);

  const ReviewHandlerOptions options_;
  reconcilers::PolicySet& policies_;
  const runtime::CacheReader& namespaces_;
  std::function<bool()> synced_;
  base::Clock& clock_;
  ReviewObserver observer_;
  base::ByteBudget budget_;
  std::atomic<bool> fail_closed_;
};

}  // namespace bulwark::admission
