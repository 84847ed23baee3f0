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

  explicit Expectations(const base::Clock& clock) : clock_(clock) {}

  // The value of `field` as this process last wrote it, while the cache still shows the object
  // at `resource_version`; otherwise `cached`, what the cache shows.
  std::optional<std::string> seen(const std::string& object, const std::string& resource_version,
                                  const std::string& field, std::optional<std::string> cached);
  // Records that `fields` were written to `object`, computed from its cached `resource_version`;
  // `produced` is the version the write answered with ("" when unknown).
  void expect(const std::string& object, const std::string& resource_version,
              const std::string& produced, Fields fields);
  // Whether a change the cache was told of (runtime::Informer::Change) is exactly this process's
  // last write to `object`: from the version the write was computed from to the version it
  // produced, with nothing between. Such a change carries nothing to judge (what was written is
  // what the judgement decided, and seen() has answered with it meanwhile), and it settles the
  // expectation. A change from any other version (another client's write between, a relist that
  // may have missed one) is no echo, nor is one this process has no record of.
  bool echo(const std::string& object, const std::string& before, const std::string& after);
  std::size_t size() const;

 private:
  struct Expected {
    std::string based_on;  // the cached resourceVersion the write was computed from
    std::string produced;  // the version the last write answered with, "" when unknown
    Fields fields;
    base::Clock::TimePoint at;  // when the last of `fields` was written
  };
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
