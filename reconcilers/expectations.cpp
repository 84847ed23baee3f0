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
  if (it->second.in_flight == 0 &&
      (!pending(it->second, resource_version) || now - it->second.at > kTimeout)) {
    expected_.erase(it);  // the cache has caught up with the write or moved past it, or timed out
    return cached;
  }
  auto f = it->second.fields.find(field);
  return f != it->second.fields.end() ? f->second : cached;
}

Expectations::Held Expectations::expect(const std::string& object,
                                        const std::string& resource_version,
                                        const std::string& produced, Fields fields) {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  sweep_locked(now);
  auto& e = expected_[object];
  const Held held = settle_locked(e, produced);
  if (e.based_on != resource_version) {
    // Written over our own last write (write_base): what that one set still stands.
    if (e.produced != resource_version) e.fields.clear();
    e.based_on = resource_version;
  }
  e.produced = produced;
  for (auto& [k, v] : fields) e.fields[k] = std::move(v);
  e.at = now;
  // Its echo came while it was in flight: the cache shows the write, nothing is left to expect.
  if (held == Held::kEcho && e.in_flight == 0) expected_.erase(object);
  return held;
}

void Expectations::begin(const std::string& object, const std::string& resource_version) {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  auto& e = expected_[object];
  if (e.in_flight > 0) {
    e.contended = true;  // two writers: no change is taken for either's echo until both settle
  } else if (e.based_on != resource_version && e.produced == resource_version &&
             !resource_version.empty()) {
    e.based_on = resource_version;  // over our own last write: what it set still stands
  } else if (e.based_on != resource_version) {
    e = Expected{resource_version, {}, {}, now, 0, false, std::nullopt};
  }
  ++e.in_flight;
  e.at = now;
}

Expectations::Held Expectations::abandon(const std::string& object) {
  std::lock_guard lock(mu_);
  auto it = expected_.find(object);
  if (it == expected_.end()) return Held::kNone;
  const Held held = settle_locked(it->second, "");
  if (it->second.in_flight == 0 && it->second.fields.empty()) expected_.erase(it);
  return held;
}

Expectations::Held Expectations::settle_locked(Expected& e, const std::string& produced) {
  if (e.in_flight > 0) --e.in_flight;
  const bool contended = e.contended;
  if (e.in_flight == 0) e.contended = false;
  if (!e.held) return Held::kNone;
  const bool echo = !contended && !produced.empty() && *e.held == produced;
  e.held.reset();
  return echo ? Held::kEcho : Held::kRoute;
}

Expectations::Seen Expectations::echo(const std::string& object, const std::string& before,
                                      const std::string& after) {
  // A removal is never an echo. A change from no version (a creation, or a relist that may have
  // missed versions between) can be one only of a write computed from no version: a creation.
  if (after.empty()) return Seen::kChange;
  std::lock_guard lock(mu_);
  auto it = expected_.find(object);
  if (it == expected_.end() || it->second.based_on != before) return Seen::kChange;
  Expected& e = it->second;
  if (e.in_flight > 0) {
    if (e.contended || e.held) return Seen::kChange;
    e.held = after;
    return Seen::kHeld;
  }
  if (e.produced != after) return Seen::kChange;
  expected_.erase(it);
  return Seen::kEcho;
}

bool Expectations::pending(const Expected& e, const std::string& resource_version) {
  if (resource_version == e.based_on) return true;
  const auto order = kube::compare_resource_versions(resource_version, e.produced);
  return order && *order < 0;  // between the version judged and the one our write made
}

// Versions that do not compare (kube/resource_version.h: not etcd's numbers) make pending() false
// once a write was based on our own: the overlay is then dropped and the next write conditional
// on the cached version, with a 409 to judge again, as before write_base. Posture kinds are
// built-in types, whose versions compare.
std::string Expectations::write_base(const std::string& object,
                                     const std::string& resource_version) const {
  std::lock_guard lock(mu_);
  const auto it = expected_.find(object);
  if (it == expected_.end()) return resource_version;
  const Expected& e = it->second;
  const bool ours_unseen = e.in_flight == 0 && !e.produced.empty() &&
                           resource_version != e.produced && pending(e, resource_version);
  return ours_unseen ? e.produced : resource_version;
}

std::size_t Expectations::size() const {
  std::lock_guard lock(mu_);
  return expected_.size();
}

void Expectations::sweep_locked(base::Clock::TimePoint now) {
  if (now - swept_ < kTimeout) return;
  swept_ = now;
  std::erase_if(expected_, [&](const auto& entry) {
    return entry.second.in_flight == 0 && now - entry.second.at > kTimeout;
  });
}

}  // namespace bulwark::reconcilers
