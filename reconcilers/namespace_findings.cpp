#include "reconcilers/namespace_findings.h"

#include <algorithm>
#include <optional>

#include "operator/network/network_policy.h"
#include "reconcilers/input_access.h"
#include "reconcilers/managed_network_policy.h"
#include "reconcilers/policy_set.h"

namespace bulwark::reconcilers {

using document::Value;

namespace {

using network::NetworkPolicy;

// Which pods a podSelector takes in, of the two shapes that can make a namespace isolated.
enum class Selects { kOther, kEveryPod, kAllButQuarantined, kQuarantined };

Selects selects(const crds::LabelSelector& s) {
  if (s.empty()) return Selects::kEveryPod;
  const std::string quarantine(kQuarantineLabel);
  // bulwark-quarantine: the pods labelled quarantined.
  if (s.match_expressions.empty()) {
    const auto label = s.match_labels.find(quarantine);
    const bool quarantined =
        s.match_labels.size() == 1 && label != s.match_labels.end() && label->second == "true";
    return quarantined ? Selects::kQuarantined : Selects::kOther;
  }
  // bulwark-default-deny: every pod but those labelled quarantined.
  if (!s.match_labels.empty() || s.match_expressions.size() != 1) return Selects::kOther;
  const auto& e = s.match_expressions[0];
  const bool all_but = e.key == quarantine &&
                       e.op == crds::LabelSelector::Requirement::Operator::kNotIn &&
                       e.values == std::vector<std::string>{"true"};
  return all_but ? Selects::kAllButQuarantined : Selects::kOther;
}

bool dns_only(const network::Rule& rule) {
  return !rule.ports.empty() &&
         std::all_of(rule.ports.begin(), rule.ports.end(),
                     [](const network::PolicyPort& p) { return p.number == 53 && !p.end_port; });
}

// The policy as the model reads a stored object; nullopt when it cannot.
std::optional<NetworkPolicy> read(const Value& np) {
  auto read = network::read_network_policy(np, "", network::PolicySource::kStored);
  if (!read.errors.empty()) return std::nullopt;
  return std::move(read.policy);
}

// What of the namespace a policy isolates (denies everything but DNS, both ways): every pod,
// all but the quarantined, the quarantined, or none of those shapes.
Selects isolates(const NetworkPolicy& p) {
  const bool closed = p.ingress_type && p.egress_type && p.ingress.empty() &&
                      std::all_of(p.egress.begin(), p.egress.end(), dns_only);
  return closed ? selects(p.pod_selector) : Selects::kOther;
}

bool admits_beyond_dns(const NetworkPolicy& p) {
  if (p.ingress_type && !p.ingress.empty()) return true;
  return p.egress_type && !std::all_of(p.egress.begin(), p.egress.end(), dns_only);
}

}  // namespace

bool admits_beyond_dns(const Value& np) {
  const auto policy = read(np);
  return !policy || admits_beyond_dns(*policy);  // not read: not proven to admit nothing
}

bool isolates_every_pod(const Value& np) {
  const auto policy = read(np);
  return policy && isolates(*policy) == Selects::kEveryPod;
}

std::optional<std::string> namespace_inputs_unreadable(const InputAccess* access) {
  if (access == nullptr) return std::nullopt;
  return access->unreadable_any({ControlInput::kNetworkPolicies, ControlInput::kNamespaces});
}

NamespaceFindings default_deny_findings(const crds::SecurityPolicySpec& spec,
                                        const runtime::CacheReader& namespaces,
                                        const runtime::CacheReader& network_policies,
                                        std::optional<std::string> unreadable) {
  NamespaceFindings out;
  if (!spec.network.default_deny || spec.enforcement.mode != crds::EnforcementMode::kAudit) {
    return out;
  }
  out.judged = true;
  if (unreadable) {
    out.not_evaluated = std::move(unreadable);
    return out;
  }
  for (const auto& ns : namespaces.keys()) {  // sorted
    auto n = namespaces.get(ns);
    if (n == nullptr || !selects_namespace(spec, ns, labels_of(*n))) continue;
    // Policies add up: a deny-all isolates the namespace only while no other policy of it
    // admits anything but DNS to the pods it selects. Bulwark's default-deny leaves out the
    // quarantined pods, so it counts only beside a policy that isolates those (in Audit nothing
    // keeps bulwark-quarantine, and anyone who may label a pod could step out of it).
    bool every = false, all_but = false, quarantined = false, reopened = false;
    for (const auto& key : network_policies.keys_in_namespace(ns)) {
      auto np = network_policies.get(key);
      if (np == nullptr) continue;
      const auto policy = read(*np);  // read once, judged twice
      if (!policy) {
        reopened = true;  // not read: not proven to admit nothing
        continue;
      }
      const Selects isolated = isolates(*policy);
      every = every || isolated == Selects::kEveryPod;
      all_but = all_but || isolated == Selects::kAllButQuarantined;
      quarantined = quarantined || isolated == Selects::kQuarantined;
      reopened = reopened || admits_beyond_dns(*policy);
    }
    if (!(every || (all_but && quarantined)) || reopened) out.namespaces.push_back(ns);
  }
  return out;
}

}  // namespace bulwark::reconcilers
