#include "reconcilers/policy_set.h"

#include <algorithm>

#include "reconcilers/policy_status.h"

namespace bulwark::reconcilers {

crds::Labels labels_of(const document::Value& object) {
  crds::Labels labels;
  for (const auto& [k, v] : document::members_of(object.find({"metadata", "labels"}))) {
    labels[k] = v.text;
  }
  return labels;
}

std::vector<LoadedPolicy> load_policies(const runtime::CacheReader& policies) {
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

std::vector<LapsedExemption> lapsed_exemptions(const crds::SecurityPolicySpec& spec,
                                               std::chrono::system_clock::time_point now) {
  std::vector<LapsedExemption> out;
  for (std::size_t i = 0; i < spec.exemptions.size(); ++i) {
    const auto& e = spec.exemptions[i];
    if (e.expires && *e.expires <= now) out.push_back({i, e.name, *e.expires});
  }
  return out;
}

std::optional<std::chrono::system_clock::time_point> next_lapse(
    const crds::SecurityPolicySpec& spec, std::chrono::system_clock::time_point now) {
  std::optional<std::chrono::system_clock::time_point> next;
  for (const auto& e : spec.exemptions) {
    if (e.expires && *e.expires > now && (!next || *e.expires < *next)) next = e.expires;
  }
  return next;
}

PolicyJudgingState judging_state(const document::Value& policy) {
  auto integer = [&](std::initializer_list<std::string_view> path) {
    const document::Value* v = policy.find(path);
    return v != nullptr ? v->as_int().value_or(0) : 0;
  };
  PolicyJudgingState s;
  if (const document::Value* uid = policy.find({"metadata", "uid"})) s.uid = uid->str();
  s.generation = integer({"metadata", "generation"});
  s.deleting = policy.find({"metadata", "deletionTimestamp"}) != nullptr;
  return s;
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

bool never_touched(const std::vector<std::string>& never_touch, const std::string& ns) {
  return std::find(never_touch.begin(), never_touch.end(), ns) != never_touch.end();
}

bool enforces(const crds::SecurityPolicySpec& spec, crds::EnforcementAction action) {
  const auto& a = spec.enforcement.actions;
  return spec.enforcement.mode == crds::EnforcementMode::kEnforce &&
         std::find(a.begin(), a.end(), action) != a.end();
}

bool selects_namespace(const crds::SecurityPolicySpec& spec, const std::string& name,
                       const crds::Labels& labels) {
  const auto& excluded = spec.match.exclude_namespaces;
  if (std::find(excluded.begin(), excluded.end(), name) != excluded.end()) return false;
  return spec.match.namespace_selector.matches(labels);
}

}  // namespace bulwark::reconcilers
