#include "reconcilers/quarantine_hold.h"

#include "operator/document/value.h"
#include "operator/network/reach.h"
#include "operator/policy/workload_kinds.h"
#include "operator/policy/written_names.h"
#include "operator/runtime/cache_reader.h"
#include "reconcilers/managed_network_policy.h"
#include "reconcilers/ownership.h"

namespace bulwark::reconcilers {

namespace {

using network::Direction;

// The first rule of `policy` that admits anything, as "ingress rule 1"; nullopt when it has none
// in the directions it affects (a deny-all).
std::optional<std::string> first_rule(const network::NetworkPolicy& policy) {
  for (const Direction d : {Direction::kIngress, Direction::kEgress}) {
    if (policy.affects(d) && !policy.rules(d).empty()) return network::rule_name(policy, d, 0);
  }
  return std::nullopt;
}

bool held_by_bulwark(const runtime::CacheReader& network_policies, const OwnershipRecord& ownership,
                     const std::string& ns) {
  const auto ours = network_policies.get(ns + "/" + kQuarantinePolicyName);
  return ours != nullptr && ownership.owns(document::text_at(*ours, {"metadata", "uid"})) &&
         ManagedNetworkPolicyReconciler::in_shape(ManagedPolicyKind::kQuarantine, *ours, false);
}

}  // namespace

std::optional<QuarantineGap> quarantine_not_held(const runtime::CacheReader& network_policies,
                                                 const OwnershipRecord& ownership,
                                                 const std::string& ns, std::string_view kind,
                                                 crds::Labels pod_labels) {
  if (!held_by_bulwark(network_policies, ownership, ns)) return QuarantineGap{kNotHeld, ""};
  pod_labels[kQuarantineLabel] = "true";
  // Present on every pod, values unknown: Exists and DoesNotExist judge them; a selector on
  // their values cannot be judged from the template.
  const auto set_by_controller = posture::controller_pod_labels(kind);
  for (auto key : set_by_controller) pod_labels.emplace(std::string(key), "");
  std::optional<QuarantineGap> maybe;
  for (const auto& key : network_policies.keys_in_namespace(ns)) {
    const auto np = network_policies.get(key);
    if (np == nullptr || key == ns + "/" + kQuarantinePolicyName) continue;
    auto read = network::read_network_policy(*np, ns, network::PolicySource::kStored);
    if (!read.errors.empty()) {
      if (!maybe) {
        maybe = QuarantineGap{kMayBeReopenedBy, "NetworkPolicy " + key + ", which Bulwark cannot " +
                                                    "read (" + read.errors.front().field + ": " +
                                                    read.errors.front().message + ")"};
      }
      continue;
    }
    const auto rule = first_rule(read.policy);
    if (!rule) continue;  // admits nothing
    if (read.policy.pod_selector.matches(pod_labels)) return QuarantineGap{kReopenedBy, *rule};
    const auto by_value = network::reads_value_of(read.policy.pod_selector, set_by_controller);
    if (!by_value.empty() && !maybe) {
      maybe = QuarantineGap{kMayBeReopenedBy, *rule + ", which selects pods by the value of " +
                                                  std::string(by_value) + ", which the " +
                                                  std::string(kind) + "'s controller sets"};
    }
  }
  return maybe;
}

}  // namespace bulwark::reconcilers
