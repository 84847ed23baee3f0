#pragma once

#include <optional>
#include <string>
#include <vector>

#include "operator/document/value.h"
#include "operator/policy/security_policy.h"
#include "operator/runtime/cache_reader.h"

namespace bulwark::reconcilers {

class InputAccess;

// docs/api.md: findings about a namespace rather than a workload. They are reported (policy
// status, bulwark_namespace_violations) and never change a workload's posture or the score.
inline constexpr const char* kNetworkDefaultDenyControl = "networkDefaultDeny";

// Whether this NetworkPolicy alone isolates every pod of its namespace: it selects all pods (an
// empty podSelector), covers Ingress and Egress, allows no ingress, and allows no egress but DNS
// (port 53). Bulwark's own default-deny, which leaves out the quarantined pods, isolates them all
// only beside bulwark-quarantine (default_deny_findings).
bool isolates_every_pod(const document::Value& network_policy);

// Whether this NetworkPolicy admits anything but DNS (port 53) to the pods it selects, in a
// direction it affects; one that cannot be read counts as admitting. Beside a deny-all it reopens
// those pods: NetworkPolicies add up.
bool admits_beyond_dns(const document::Value& network_policy);

// In Audit, network.defaultDeny is observed, not enforced: its namespace findings. Judged (and
// `judged` true) only for a valid policy in Audit with defaultDeny (Bulwark keeps
// bulwark-default-deny in Enforce).
struct NamespaceFindings {
  bool judged = false;
  // The namespaces the policy selects in which no NetworkPolicy isolates every pod, or another
  // admits more than DNS (admits_beyond_dns), sorted.
  std::vector<std::string> namespaces;
  // Why none could be judged (posture::NotEvaluated's reason: Bulwark may no longer read
  // NetworkPolicies or Namespaces, and what its caches hold may be stale); `namespaces` is then
  // empty, never a claim that they are isolated.
  std::optional<std::string> not_evaluated;
};

// Why the inputs of namespace findings (NetworkPolicies and Namespaces) cannot be read, or nullopt
// when they can; `access` null: every input is readable.
std::optional<std::string> namespace_inputs_unreadable(const InputAccess* access);

// The findings of `spec`; `unreadable` is namespace_inputs_unreadable().
NamespaceFindings default_deny_findings(const crds::SecurityPolicySpec& spec,
                                        const runtime::CacheReader& namespaces,
                                        const runtime::CacheReader& network_policies,
                                        std::optional<std::string> unreadable);

}  // namespace bulwark::reconcilers
