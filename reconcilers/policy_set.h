#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "operator/policy/security_policy.h"
#include "operator/posture/engine.h"
#include "operator/runtime/cache_reader.h"

namespace bulwark::reconcilers {

// A SecurityPolicy as the reconcilers use it: the parsed spec, what owner references need, and
// the engine built for it (null for an invalid policy, which acts on nothing).
struct LoadedPolicy {
  crds::SecurityPolicy policy;
  std::string uid;
  std::vector<crds::FieldError> errors;  // empty when valid
  bool deleting = false;                 // deletionTimestamp set: it selects nothing any more
  std::shared_ptr<const posture::PolicyEvaluator> evaluator;
  bool valid() const { return errors.empty(); }
  // Whether the policy acts on the cluster: valid and not being deleted.
  bool active() const { return valid() && !deleting; }
};

// Reads every SecurityPolicy in the cache, sorted by name.
std::vector<LoadedPolicy> load_policies(const runtime::CacheReader& policies);

// The parsed policies, shared by every reconciler and rebuilt only after the policy cache
// changed: parsing and building evaluators once per change, not once per workload, is what lets
// 10,000 workloads be judged quickly. Thread-safe; snapshots are immutable.
class PolicySet {
 public:
  using Snapshot = std::shared_ptr<const std::vector<LoadedPolicy>>;
  explicit PolicySet(const runtime::CacheReader& policies) : policies_(policies) {}
  // Called from the policy cache's handler: the next current() rebuilds.
  void invalidate();
  Snapshot current() const;

 private:
  const runtime::CacheReader& policies_;
  mutable std::mutex mu_;
  mutable Snapshot snapshot_;  // guarded by mu_; null when stale
};

// docs/api.md, Exemptions: an exemption whose `expires` has passed simply stops applying, whether
// it lapsed while the policy ran or had passed when it was written; the policy stays valid and
// keeps enforcing everything else (the engine skips it; posture::Exemption). Its Ready condition
// names it (policy_reasons::kExpiredExemption) and an Event says when it lapsed.
struct LapsedExemption {
  std::size_t index;  // in spec.exemptions
  std::string name;
  std::chrono::system_clock::time_point expired;
};
// The exemptions of `spec` whose `expires` is not after `now`, in spec order.
std::vector<LapsedExemption> lapsed_exemptions(const crds::SecurityPolicySpec& spec,
                                               std::chrono::system_clock::time_point now);
// The first `expires` after `now`: when the policy's Ready message changes next.
std::optional<std::chrono::system_clock::time_point> next_lapse(
    const crds::SecurityPolicySpec& spec, std::chrono::system_clock::time_point now);

// What decides how a policy judges, out of its whole object. The status the operator writes
// changes none of it (its first write, observedGeneration included: a new policy's workloads were
// judged on its creation, and judging them again on that write was the second half of every
// pass), so status writes need not re-judge every workload.
struct PolicyJudgingState {
  std::string uid;
  std::int64_t generation = 0;
  bool deleting = false;
  bool operator==(const PolicyJudgingState&) const = default;
};
PolicyJudgingState judging_state(const document::Value& policy);

// Whether the policy governs the namespace: not excluded, and its namespace selector matches.
bool selects_namespace(const crds::SecurityPolicySpec& spec, const std::string& name,
                       const crds::Labels& labels);

crds::Labels labels_of(const document::Value& object);

// Whether `ns` is one Bulwark never acts on (neverTouchNamespaces, its own namespace included).
bool never_touched(const std::vector<std::string>& never_touch, const std::string& ns);

// Whether the policy is in Enforce mode and lists the action.
bool enforces(const crds::SecurityPolicySpec& spec, crds::EnforcementAction action);

}  // namespace bulwark::reconcilers
