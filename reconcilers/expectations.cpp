#include "reconcilers/expectations.h"

#include "operator/kube/resource_version.h"

namespace bulwark::reconcilers {

std::optional<std::string> Expectations::seen(const std::string& object,
                                              const std::string& resource_version,
                                              const std::string& field,
                                              std::optional<std::string> cached) {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  auto it = expected_.find(object);
  if (it == expected_.end()) return cached;
  if (!pending(it->second, resource_version) || now - it->second.at > kTimeout) {
    expected_.erase(it);  // the cache has caught up with the write or moved past it, or timed out
    return cached;
  }
  auto f = it->second.fields.find(field);
  return f != it->second.fields.end() ? f->second : cached;
}

void Expectations::expect(const std::string& object, const std::string& resource_version,
                          const std::string& produced, Fields fields) {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  sweep_locked(now);
  auto& e = expected_[object];
  if (e.based_on != resource_version) e = Expected{resource_version, {}, {}, now};
  e.produced = produced;
  for (auto& [k, v] : fields) e.fields[k] = std::move(v);
  e.at = now;
}

bool Expectations::echo(const std::string& object, const std::string& before,
                        const std::string& after) {
  if (before.empty() || after.empty()) return false;
  std::lock_guard lock(mu_);
  auto it = expected_.find(object);
  if (it == expected_.end() || it->second.based_on != before || it->second.produced != after) {
    return false;
  }
  expected_.erase(it);
  return true;
}

bool Expectations::pending(const Expected& e, const std::string& resource_version) {
  if (resource_version == e.based_on) return true;
  const auto order = kube::compare_resource_versions(resource_version, e.produced);
  return order && *order < 0;  // between the version judged and the one our write made
}

std::size_t Expectations::size() const {
  std::lock_guard lock(mu_);
  return expected_.size();
}

void Expectations::sweep_locked(base::Clock::TimePoint now) {
  if (now - swept_ < kTimeout) return;
  swept_ = now;
  std::erase_if(expected_, [&](const auto& entry) { return now - entry.second.at > kTimeout; });
}

}  // namespace bulwark::reconcilers
