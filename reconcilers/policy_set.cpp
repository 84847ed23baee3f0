#include "reconcilers/policy_set.h"

#include <algorithm>

namespace bulwark::reconcilers {

crds::Labels labels_of(const document::Value& object) {
  crds::Labels labels;
  for (const auto& [k, v] : document::members_of(object.find({"metadata", "labels"}))) {
    labels[k] = v.text;
  }
  return labels;
}

std::vector<LoadedPolicy> load_policies(const runtime::Informer& policies) {
  std::vector<LoadedPolicy> out;
  for (const auto& key : policies.keys()) {  // keys() is sorted
    auto object = policies.get(key);
    if (!object) continue;
    auto parsed = crds::parse_security_policy(*object);
    LoadedPolicy p{std::move(parsed.policy), "", std::move(parsed.errors), false, nullptr};
    if (const auto* uid = object->find({"metadata", "uid"})) p.uid = std::string(uid->str());
    p.deleting = object->find({"metadata", "deletionTimestamp"}) != nullptr;
    if (p.valid()) p.evaluator = std::make_shared<posture::PolicyEvaluator>(p.policy.spec);
    out.push_back(std::move(p));
  }
  return out;
}

void PolicySet::invalidate() {
  std::lock_guard lock(mu_);
  snapshot_.reset();
}

PolicySet::Snapshot PolicySet::current() const {
  std::lock_guard lock(mu_);
  // Rebuilt under the lock: a change lands while one thread rebuilds, the others wait for it
  // rather than all parsing at once.
  if (!snapshot_)
    snapshot_ = std::make_shared<const std::vector<LoadedPolicy>>(load_policies(policies_));
  return snapshot_;
}

bool selects_namespace(const crds::SecurityPolicySpec& spec, const std::string& name,
                       const crds::Labels& labels) {
  const auto& excluded = spec.match.exclude_namespaces;
  if (std::find(excluded.begin(), excluded.end(), name) != excluded.end()) return false;
  return spec.match.namespace_selector.matches(labels);
}

}  // namespace bulwark::reconcilers
