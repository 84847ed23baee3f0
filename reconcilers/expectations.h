#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace bulwark::reconcilers {

// Writes this process made that the cache may not show yet ("expectations", as client-go's
// ReplicaSet controller keeps them). A reconcile that runs before the watch delivers its own write
// would otherwise write, and record an Event, twice. Keyed by object ("Pod/ns/name" or a workload
// key); an expectation holds while the cached object still has the resourceVersion the write was
// based on, and is dropped as soon as the cache moves past it. Thread-safe.
class Expectations {
 public:
  using Fields = std::map<std::string, std::optional<std::string>>;

  // The value of `field` as this process last wrote it, while the cache still shows the object
  // at `resource_version`; otherwise `cached`, what the cache shows.
  std::optional<std::string> seen(const std::string& object, const std::string& resource_version,
                                  const std::string& field, std::optional<std::string> cached);
  // Records that `fields` were written to `object`, computed from its cached `resource_version`.
  void expect(const std::string& object, const std::string& resource_version, Fields fields);

 private:
  struct Expected {
    std::string based_on;  // the cached resourceVersion the write was computed from
    Fields fields;
  };
  std::mutex mu_;
  std::map<std::string, Expected> expected_;  // guarded by mu_
};

}  // namespace bulwark::reconcilers
