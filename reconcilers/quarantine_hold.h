#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/policy/label_selector.h"

namespace bulwark::runtime {
class CacheReader;
}

namespace bulwark::reconcilers {

class OwnershipRecord;

// Why a quarantine does not isolate a workload's pods, or why Bulwark cannot prove it does: what
// the QuarantineNotEnforced Event and the report's quarantine fact say (docs/api.md, Quarantine).
struct QuarantineGap {
  std::string_view reason;  // kHostNetwork, kReopenedBy, kNodeNotEnforcing, ...
  std::string detail;       // what the reason names: kReopenedBy's rule, kMayBeReopenedBy's why
  // "ReopenedBy ingress rule 1 of NetworkPolicy shop/web": the reason, then what it names.
  std::string text() const {
    return detail.empty() ? std::string(reason) : std::string(reason) + " " + detail;
  }
};

// The pods share their node's network namespace, which NetworkPolicy does not isolate.
inline constexpr std::string_view kHostNetwork = "HostNetwork";
// Bulwark may no longer read NetworkPolicies: whether the label isolates is not known.
inline constexpr std::string_view kNetworkPoliciesUnreadable = "NetworkPoliciesUnreadable";
// bulwark-quarantine is not yet Bulwark's own object in its shape (being created or repaired):
// nothing to tell, the pods are just not counted yet.
inline constexpr std::string_view kNotHeld = "NotHeld";
// A rule of another NetworkPolicy selecting the labelled pods admits traffic (NetworkPolicies add
// up); the detail names it.
inline constexpr std::string_view kReopenedBy = "ReopenedBy";
// Another NetworkPolicy with rules might select the labelled pods, and Bulwark cannot tell: it
// cannot read it, or it selects by the value of a label the pods' controller sets.
inline constexpr std::string_view kMayBeReopenedBy = "MayBeReopenedBy";

// Why quarantine does not hold, now, for the pods of a `kind` of namespace `ns`, or nullopt when it
// does: nothing but their own node reaches them and they reach nothing but their node, as the
// network model reads the namespace's NetworkPolicies (bulwark-quarantine admits nothing, not even
// DNS, so any rule of another policy selecting them reopens them). Judged on the template's labels
// (`template_labels`, for pods to come) and on each existing pod's own (`pod_labels`): a pod may
// carry labels its template does not (set by hand, by a webhook, or from an older template).
std::optional<QuarantineGap> quarantine_not_held(const runtime::CacheReader& network_policies,
                                                 const OwnershipRecord& ownership,
                                                 const std::string& ns, std::string_view kind,
                                                 const crds::Labels& template_labels,
                                                 const std::vector<crds::Labels>& pod_labels = {});

}  // namespace bulwark::reconcilers
