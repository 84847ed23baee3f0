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

// The gap a policy of the namespace makes for pods labelled `labels` (the quarantine label set),
// whose values of the keys `unknown` are not known.
std::optional<QuarantineGap> gap_for(const network::NetworkPolicy& policy,
                                     const crds::Labels& labels,
                                     const std::vector<std::string_view>& unknown,
                                     std::string_view kind) {
  const auto rule = first_rule(policy);
  if (!rule) return std::nullopt;  // admits nothing
  if (policy.pod_selector.matches(labels)) return QuarantineGap{kReopenedBy, *rule};
  const auto by_value = network::reads_value_of(policy.pod_selector, unknown);
  if (by_value.empty()) return std::nullopt;
  return QuarantineGap{kMayBeReopenedBy, *rule + ", which selects pods by the value of " +
                                             std::string(by_value) + ", which the " +
                                             std::string(kind) + "'s controller sets"};
}

}  // namespace

std::optional<QuarantineGap> quarantine_not_held(const runtime::CacheReader& network_policies,
                                                 const OwnershipRecord& ownership,
                                                 const std::string& ns, std::string_view kind,
                                                 const crds::Labels& template_labels,
                                                 const std::vector<crds::Labels>& pod_labels) {
  if (!held_by_bulwark(network_policies, ownership, ns)) return QuarantineGap{kNotHeld, ""};
  // The template's controller-set labels are present on every pod, values unknown: Exists and
  // DoesNotExist judge them, a selector on their values cannot be judged. A pod's are its own.
  const auto set_by_controller = posture::controller_pod_labels(kind);
  std::vector<std::pair<crds::Labels, const std::vector<std::string_view>*>> label_sets;
  const std::vector<std::string_view> none;
  label_sets.emplace_back(template_labels, &set_by_controller);
  for (auto key : set_by_controller) label_sets.back().first.emplace(std::string(key), "");
  for (const auto& labels : pod_labels) label_sets.emplace_back(labels, &none);
  for (auto& [labels, unknown] : label_sets) labels[kQuarantineLabel] = "true";
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
    for (const auto& [labels, unknown] : label_sets) {
      auto gap = gap_for(read.policy, labels, *unknown, kind);
      if (gap && gap->reason == kReopenedBy) return gap;
      if (gap && !maybe) maybe = std::move(gap);
    }
  }
  return maybe;
}

}  // namespace bulwark::reconcilers
