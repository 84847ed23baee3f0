#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "crds/security_policy.h"
#include "posture/engine.h"
#include "runtime/informer.h"

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
std::vector<LoadedPolicy> load_policies(const runtime::Informer& policies);

// The parsed policies, shared by every reconciler and rebuilt only after the policy cache
// changed: parsing and building evaluators once per change, not once per workload, is what lets
// 10,000 workloads be judged quickly. Thread-safe; snapshots are immutable.
class PolicySet {
 public:
  using Snapshot = std::shared_ptr<const std::vector<LoadedPolicy>>;
  explicit PolicySet(const runtime::Informer& policies) : policies_(policies) {}
  // Called from the policy cache's handler: the next current() rebuilds.
  void invalidate();
  Snapshot current() const;

 private:
  const runtime::Informer& policies_;
  mutable std::mutex mu_;
  mutable Snapshot snapshot_;  // guarded by mu_; null when stale
};

// Whether the policy governs the namespace: not excluded, and its namespace selector matches.
bool selects_namespace(const crds::SecurityPolicySpec& spec, const std::string& name,
                       const crds::Labels& labels);

crds::Labels labels_of(const document::Value& object);

}  // namespace bulwark::reconcilers
