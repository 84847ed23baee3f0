#pragma once

#include <string>
#include <vector>

#include "crds/security_policy.h"
#include "operator/document/value.h"
#include "operator/runtime/cache_reader.h"

namespace bulwark::reconcilers {

// docs/api.md: findings about a namespace rather than a workload. They are reported (policy
// status, bulwark_namespace_violations) and never change a workload's posture or the score.
inline constexpr const char* kNetworkDefaultDenyControl = "networkDefaultDeny";

// Whether this NetworkPolicy isolates every pod of its namespace: it selects all pods (an empty
// podSelector, or Bulwark's own default-deny selector, which leaves out only quarantined pods
// that bulwark-quarantine, always kept beside it, isolates), covers Ingress and Egress, allows no
// ingress, and allows no egress but DNS (port 53).
bool isolates_every_pod(const document::Value& network_policy);

// In Audit, network.defaultDeny is observed, not enforced: the namespaces the policy selects in
// which no NetworkPolicy isolates every pod, sorted. Empty for a policy in Enforce (Bulwark keeps
// bulwark-default-deny there) or without defaultDeny.
std::vector<std::string> namespaces_without_default_deny(
    const crds::SecurityPolicySpec& spec, const runtime::CacheReader& namespaces,
    const runtime::CacheReader& network_policies);

}  // namespace bulwark::reconcilers
