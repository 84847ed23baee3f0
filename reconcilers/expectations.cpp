#include "reconcilers/expectations.h"

namespace bulwark::reconcilers {

std::optional<std::string> Expectations::seen(const std::string& object,
                                              const std::string& resource_version,
                                              const std::string& field,
                                              std::optional<std::string> cached) {
  std::lock_guard lock(mu_);
  auto it = expected_.find(object);
  if (it == expected_.end()) return cached;
  if (it->second.based_on != resource_version) {
    expected_.erase(it);  // the cache has caught up with the write, or moved past it
    return cached;
  }
  auto f = it->second.fields.find(field);
  return f != it->second.fields.end() ? f->second : cached;
}

void Expectations::expect(const std::string& object, const std::string& resource_version,
                          Fields fields) {
  std::lock_guard lock(mu_);
  auto& e = expected_[object];
  if (e.based_on != resource_version) e = Expected{resource_version, {}};
  for (auto& [k, v] : fields) e.fields[k] = std::move(v);
}

}  // namespace bulwark::reconcilers
