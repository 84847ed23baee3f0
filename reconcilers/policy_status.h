#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/document/value.h"
#include "operator/kube/conditions.h"
#include "reconcilers/posture_book.h"

namespace bulwark::reconcilers {

// The condition types and reasons of a SecurityPolicy's status (docs/api.md, SecurityPolicy
// status).
namespace policy_conditions {
inline constexpr std::string_view kReady = "Ready";
inline constexpr std::string_view kCompliant = "Compliant";
inline constexpr std::string_view kVulnerabilityReports = "VulnerabilityReports";
inline constexpr std::string_view kReports = "Reports";  // OpenReports Reports written or not
// Whether Bulwark holds the managed NetworkPolicies the policy wants (Enforce with defaultDeny or
// Quarantine): False where a NetworkPolicy it did not create holds one of their names.
inline constexpr std::string_view kNetworkPoliciesHeld = "NetworkPoliciesHeld";
// Whether a NetworkPolicy isolates every pod in each namespace an Audit policy with
// network.defaultDeny selects (namespace_findings.h).
inline constexpr std::string_view kNamespacesIsolated = "NamespacesIsolated";
// Whether the cluster enforces NetworkPolicy on every node, as the enforcement canary proved it
// (enforcement_book.h), on every valid policy with Quarantine or network.defaultDeny.
inline constexpr std::string_view kNetworkEnforced = "NetworkEnforced";
// Whether new pods get the policy's fixes through the MutatingAdmissionPolicy bulwark-harden, on
// every valid policy that enforces Harden (docs/api.md, Harden).
inline constexpr std::string_view kHarden = "Harden";
}  // namespace policy_conditions
namespace policy_reasons {
inline constexpr std::string_view kReconciled = "Reconciled";
inline constexpr std::string_view kInvalidSpec = "InvalidSpec";
inline constexpr std::string_view kExpiredExemption = "ExpiredExemption";
inline constexpr std::string_view kViolationsFound = "ViolationsFound";
inline constexpr std::string_view kNoViolations = "NoViolations";
inline constexpr std::string_view kNotEvaluated = "NotEvaluated";
inline constexpr std::string_view kReportsServed = "ReportsServed";
inline constexpr std::string_view kReportsNotServed = "ReportsNotServed";
inline constexpr std::string_view kHeld = "Held";
inline constexpr std::string_view kNameTaken = "NameTaken";
inline constexpr std::string_view kPending = "Pending";
inline constexpr std::string_view kIsolated = "Isolated";
inline constexpr std::string_view kNotIsolated = "NotIsolated";
inline constexpr std::string_view kEnforced = "Enforced";
inline constexpr std::string_view kNotEnforced = "NotEnforced";
inline constexpr std::string_view kCanaryUnavailable = "CanaryUnavailable";
inline constexpr std::string_view kProbeFromNode = "ProbeFromNode";
inline constexpr std::string_view kProbing = "Probing";
inline constexpr std::string_view kHardening = "Hardening";
inline constexpr std::string_view kNotServed = "NotServed";
inline constexpr std::string_view kNotInstalled = "NotInstalled";
inline constexpr std::string_view kNowhere = "Nowhere";
}  // namespace policy_reasons

// A SecurityPolicy's status, typed: what the reconciler wants written and what the cache holds,
// compared as values rather than as text.
struct PolicyStatus {
  std::int64_t observed_generation = 0;
  std::vector<kube::Condition> conditions;
  int namespaces = 0;     // namespaces the policy selects
  PolicySummary summary;  // the counts, the score and the violations (their `worst` unwritten)
  // The UIDs of the managed NetworkPolicies the policy wants that Bulwark created, sorted
  // (ownership.h); absent in a status written by an earlier release.
  std::optional<std::vector<std::string>> network_policy_uids;
  // status.harden: where the MutatingAdmissionPolicy bulwark-harden applies the policy's fixes
  // (harden_scope.h), for the generation it was resolved for; absent where Harden is not asked.
  struct Harden {
    std::int64_t observed_generation = 0;
    std::map<std::string, std::vector<std::string>> namespaces;
    bool operator==(const Harden&) const = default;
  };
  std::optional<Harden> harden;
  std::string last_evaluated;

  // Reads `status` (null reads as an empty status); what it cannot read stays at its default.
  static PolicyStatus from_value(const document::Value* status);
  document::Value to_value() const;
  // Equal in all but the timestamps (lastEvaluated, lastTransitionTime): whether to write.
  bool same_as(const PolicyStatus& other) const;
};

}  // namespace bulwark::reconcilers
