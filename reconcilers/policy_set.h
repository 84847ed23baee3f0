#pragma once

#include <string>
#include <vector>

#include "crds/security_policy.h"
#include "runtime/informer.h"

namespace bulwark::reconcilers {

// A SecurityPolicy as the reconcilers use it: the parsed spec, and what owner references need.
struct LoadedPolicy {
  crds::SecurityPolicy policy;
  std::string uid;
  std::vector<crds::FieldError> errors;  // empty when valid; invalid policies act on nothing
  bool valid() const { return errors.empty(); }
};

// Reads every SecurityPolicy in the cache. Policies are few, so each reconcile reads them afresh
// and never acts on a stale parse.
std::vector<LoadedPolicy> load_policies(const runtime::Informer& policies);

// Whether the policy governs the namespace: not excluded, and its namespace selector matches.
bool selects_namespace(const crds::SecurityPolicySpec& spec, const std::string& name,
                       const crds::Labels& labels);

crds::Labels labels_of(const document::Value& object);

}  // namespace bulwark::reconcilers
