#include "reconcilers/ownership.h"

namespace bulwark::reconcilers {

std::optional<std::vector<std::string>> recorded_uids(const document::Value* status) {
  const document::Value* list = status != nullptr ? status->find(kOwnedUidsField) : nullptr;
  if (list == nullptr || !list->is_sequence()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& uid : list->items) out.emplace_back(uid.str());
  return out;
}

const OwnershipRecord::FromStatus& OwnershipRecord::from_status() const {
  if (!from_status_) {
    FromStatus built;
    for (const auto& key : policies_.keys()) {
      auto policy = policies_.get(key);
      if (policy == nullptr) continue;
      auto uids = recorded_uids(policy->find("status"));
      if (!uids) continue;
      if (const document::Value* uid = policy->find({"metadata", "uid"})) {
        built.recording_policies.emplace(uid->str());
      }
      built.uids.insert(uids->begin(), uids->end());
    }
    from_status_ = std::move(built);
  }
  return *from_status_;
}

bool OwnershipRecord::owns(const std::string& uid) const {
  if (uid.empty()) return false;
  std::lock_guard lock(mu_);
  return created_.count(uid) > 0 || from_status().uids.count(uid) > 0;
}

void OwnershipRecord::record(const std::string& uid, const std::string& ns) {
  if (uid.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (!created_.insert(uid).second) return;
  }
  if (ns.empty()) return;
  for (const auto& listener : listeners_) listener(ns);
}

void OwnershipRecord::invalidate() {
  std::lock_guard lock(mu_);
  from_status_.reset();
}

bool OwnershipRecord::recorded_by(const std::string& policy_uid) const {
  std::lock_guard lock(mu_);
  return from_status().recording_policies.count(policy_uid) > 0;
}

void OwnershipRecord::set_conflict(const std::string& ns, const std::string& name, bool conflict) {
  {
    std::lock_guard lock(mu_);
    const auto key = std::make_pair(ns, name);
    const bool was = conflicts_.count(key) > 0;
    if (was == conflict) return;
    if (conflict) {
      conflicts_.insert(key);
    } else {
      conflicts_.erase(key);
    }
  }
  for (const auto& listener : listeners_) listener(ns);
}

bool OwnershipRecord::conflict(const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mu_);
  return conflicts_.count({ns, name}) > 0;
}

std::size_t OwnershipRecord::conflicts() const {
  std::lock_guard lock(mu_);
  return conflicts_.size();
}

void OwnershipRecord::add_listener(Listener listener) { listeners_.push_back(std::move(listener)); }

}  // namespace bulwark::reconcilers
