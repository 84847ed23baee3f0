#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "operator/kube/conditions.h"
#include "operator/policy/security_policy.h"

namespace bulwark::reconcilers {

// Where Harden applies for one policy (docs/api.md, Harden): the namespaces whose new pods the
// MutatingAdmissionPolicy bulwark-harden fixes, each with the controls whose fixes apply there.
// The admission policy sees only the pod, never its owner, so what it cannot tell from a pod makes
// it do less, never more:
// - a policy that narrows `match.kinds` or selects workloads by label hardens nothing (`reason`);
// - a namespace an active exemption covers loses the controls the exemption names (all of them
//   for an exemption of every control), whatever workloads it selects;
// - the operator's own and never-touch namespaces are never in it;
// - a scope of no namespace, or of more than kMaxHardenNamespaces, hardens nowhere (`reason`).
// Pure: the operator writes it into the policy's status.harden, where the admission policy reads
// it.
struct HardenScope {
  std::map<std::string, std::vector<std::string>> namespaces;  // controls in fix-table order
  std::string reason;  // why it hardens nowhere, when it does not and Harden was asked for
  // When an exemption that shapes it lapses: the scope changes then (CEL has no clock).
  std::optional<std::chrono::system_clock::time_point> next_change;
};

// Whether the API server applies Harden at all: it serves MutatingAdmissionPolicy, and the
// chart's bulwark-harden and its binding are installed (kUnknown: not asked yet, or no answer).
enum class HardenInstall { kInstalled, kNotServed, kNotInstalled, kUnknown };

// status.harden names at most this many namespaces: a SecurityPolicy is one etcd object (1.5 MiB
// by default), and each namespace with four controls costs about 120 bytes there, and as much
// again in its managedFields. A policy that would harden more hardens none and says why.
inline constexpr std::size_t kMaxHardenNamespaces = 2000;

// The namespaces of the cluster with their labels.
using NamespaceLabels = std::vector<std::pair<std::string, crds::Labels>>;

// `in_force`: the Pod Security controls the policy's level and version judge
// (PolicyEvaluator::pss_controls). Call only for a valid policy that enforces Harden.
HardenScope harden_scope(const crds::SecurityPolicySpec& spec,
                         const std::vector<std::string_view>& in_force,
                         const NamespaceLabels& namespaces,
                         const std::vector<std::string>& never_touch,
                         std::chrono::system_clock::time_point now);

// The policy's condition Harden: True/Hardening saying where and which fixes; False/NotServed
// (the API server serves no MutatingAdmissionPolicy), False/NotInstalled (bulwark-harden or its
// binding is missing), False/Nowhere (`scope.reason`); Unknown/Pending while it cannot be told.
// A True never claims more than the installed admission policy does with `scope`.
kube::Condition harden_condition(HardenInstall install, const HardenScope& scope);

}  // namespace bulwark::reconcilers
