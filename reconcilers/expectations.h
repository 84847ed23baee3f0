#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "operator/base/clock.h"

namespace bulwark::reconcilers {

// Writes this process made that the cache may not show yet ("expectations", as client-go's
// ReplicaSet controller keeps them). A reconcile that runs before the watch delivers its own write
// would otherwise write, and record an Event, twice. Keyed by object ("Pod/ns/name" or a workload
// key); an expectation holds while the cached object still has the resourceVersion the write was
// based on, or a version older than the one the write produced (another client's write that landed
// between ours and the version we judged: judged without our fields, it would be written, and its
// Event recorded, twice). It is dropped once the cache shows the produced version or a later one
// (or any other version, where versions are not comparable: kube/resource_version.h), or after five
// minutes (client-go's ExpectationsTimeout): an object deleted before the cache showed the write is
// never looked up again, and its entry must not stay for the life of the process. Thread-safe.
class Expectations {
 public:
  using Fields = std::map<std::string, std::optional<std::string>>;
  static constexpr auto kTimeout = std::chrono::minutes(5);
  // What became of a change held back while a write was in flight (Seen::kHeld).
  enum class Held { kNone, kEcho, kRoute };

  explicit Expectations(const base::Clock& clock) : clock_(clock) {}

  // The value of `field` as this process last wrote it, while the cache still shows the object
  // at `resource_version`; otherwise `cached`, what the cache shows.
  std::optional<std::string> seen(const std::string& object, const std::string& resource_version,
                                  const std::string& field, std::optional<std::string> cached);
  // Records that `fields` were written to `object`, computed from its cached `resource_version`;
  // `produced` is the version the write answered with ("" when unknown). Ends a write in flight:
  // a change held back meanwhile was its echo, or is to be routed.
  Held expect(const std::string& object, const std::string& resource_version,
              const std::string& produced, Fields fields);
  // What a change the cache was told of (runtime::Informer::Change) is:
  // - kEcho: exactly this process's last write to `object`, from the version the write was
  //   computed from ("" for a creation, which no version precedes) to the version it produced,
  //   with nothing between. It carries nothing to judge
  //   (what was written is what the judgement decided, and seen() has answered with it meanwhile),
  //   and it settles the expectation.
  // - kHeld: a change from the version a write in flight (begin) was computed from. The watch can
  //   be faster than the write's answer, so whether it is the echo is known only then: the write's
  //   settling (expect, abandon) says whether to route it.
  // - kChange: anything else (another client's write between, a relist that may have missed one,
  //   an object this process has no record of): to be judged.
  enum class Seen { kChange, kEcho, kHeld };
  Seen echo(const std::string& object, const std::string& before, const std::string& after);
  // Marks a write to `object`, computed from `resource_version`, in flight (see kHeld). Every
  // begin() is followed by expect() or abandon(). The write must be conditional on that version
  // (a merge patch with metadata.resourceVersion): an unconditional one that changes nothing on
  // top of another client's write answers with that client's version, which would pass for our
  // echo. The one exception is a write that sets every field its caller reads of the object (the
  // policy report keeper's forced apply: the managed-by label and the whole content it hashes):
  // whatever it was written over, the version it answers with says what the caller wanted, so
  // that version's change is no news even when it was another client's. Two writers to one object
  // at once (a pod two workloads list) make neither's answer proof of anything: what either held is
  // routed.
  void begin(const std::string& object, const std::string& resource_version);
  // The version a write computed from the cache at `resource_version` is to be conditional on:
  // the one this process's last write to `object` produced while the cache does not show it yet
  // (what seen() answers is that version: the cache's, with what the write set), otherwise
  // `resource_version`. A write conditional on the stale cached version would fail with 409
  // against our own write, and the reconcile that made it (pods already written) would be cut
  // short. A write based on our own last one keeps what that one set standing in for the cache.
  std::string write_base(const std::string& object, const std::string& resource_version) const;
  // The write in flight failed or went unanswered: a change held back is to be routed.
  Held abandon(const std::string& object);
  std::size_t size() const;

 private:
  struct Expected {
    std::string based_on;  // the cached resourceVersion the write was computed from
    std::string produced;  // the version the last write answered with, "" when unknown
    Fields fields;
    base::Clock::TimePoint at;        // when the last of `fields` was written
    int in_flight = 0;                // writes begun and not settled (never swept meanwhile)
    bool contended = false;           // more than one was in flight: no change is anyone's echo
    std::optional<std::string> held;  // the version a change held back meanwhile went to
  };
  // Ends the write in flight of `e` that produced `produced` ("" for none): what its held change
  // was. Callers hold mu_.
  static Held settle_locked(Expected& e, const std::string& produced);
  // Whether the cache, showing `resource_version`, may not show `e`'s write yet.
  static bool pending(const Expected& e, const std::string& resource_version);
  // Drops what has timed out, at most once a timeout (callers hold mu_).
  void sweep_locked(base::Clock::TimePoint now);

  const base::Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Expected> expected_;  // guarded by mu_
  base::Clock::TimePoint swept_{};            // guarded by mu_
};

}  // namespace bulwark::reconcilers
