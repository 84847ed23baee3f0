#include "reconcilers/namespace_findings.h"

#include <algorithm>

#include "operator/network/network_policy.h"
#include "reconcilers/input_access.h"
#include "reconcilers/managed_network_policy.h"
#include "reconcilers/policy_set.h"

namespace bulwark::reconcilers {

using document::Value;

namespace {

bool only_dns(const Value& rule) {
  const auto& ports = document::items_of(rule.find("ports"));
  if (ports.empty()) return false;  // no ports: every port
  return std::all_of(ports.begin(), ports.end(), [](const Value& p) {
    const Value* port = p.find("port");
    return port != nullptr && port->as_int() == 53 && p.find("endPort") == nullptr;
  });
}

// Which pods a podSelector takes in, of the two shapes that can make a namespace isolated.
enum class Selects { kOther, kEveryPod, kAllButQuarantined, kQuarantined };

Selects selects(const Value* selector) {
  if (selector == nullptr || selector->is_null()) return Selects::kEveryPod;
  const auto& labels = document::members_of(selector->find("matchLabels"));
  const auto& expressions = document::items_of(selector->find("matchExpressions"));
  if (labels.empty() && expressions.empty()) return Selects::kEveryPod;
  // bulwark-quarantine: the pods labelled quarantined.
  if (expressions.empty() && labels.size() == 1 && labels[0].first == kQuarantineLabel &&
      labels[0].second.str() == "true") {
    return Selects::kQuarantined;
  }
  // bulwark-default-deny: every pod but those labelled quarantined.
  if (!labels.empty() || expressions.size() != 1) return Selects::kOther;
  const Value& e = expressions[0];
  const Value* key = e.find("key");
  const Value* op = e.find("operator");
  const auto& values = document::items_of(e.find("values"));
  const bool all_but = key != nullptr && key->str() == kQuarantineLabel && op != nullptr &&
                       op->str() == "NotIn" && values.size() == 1 && values[0].str() == "true";
  return all_but ? Selects::kAllButQuarantined : Selects::kOther;
}

// Whether the policy denies its pods everything but DNS, both ways.
bool denies_all_but_dns(const Value& spec) {
  bool ingress = false, egress = false;
  for (const auto& t : document::items_of(spec.find("policyTypes"))) {
    ingress = ingress || t.str() == "Ingress";
    egress = egress || t.str() == "Egress";
  }
  if (!ingress || !egress) return false;
  if (!document::items_of(spec.find("ingress")).empty()) return false;
  const auto& rules = document::items_of(spec.find("egress"));
  return std::all_of(rules.begin(), rules.end(), only_dns);
}

// What of the namespace a policy isolates: every pod, all but the quarantined, or these.
Selects isolates(const Value& np) {
  const Value* spec = np.find("spec");
  if (spec == nullptr || !denies_all_but_dns(*spec)) return Selects::kOther;
  return selects(spec->find("podSelector"));
}

bool dns_only(const network::Rule& rule) {
  return !rule.ports.empty() &&
         std::all_of(rule.ports.begin(), rule.ports.end(),
                     [](const network::PolicyPort& p) { return p.number == 53 && !p.end_port; });
}

}  // namespace

bool admits_beyond_dns(const Value& np) {
  const auto read = network::read_network_policy(np, "", network::PolicySource::kStored);
  if (!read.errors.empty()) return true;  // not read: not proven to admit nothing
  const auto& p = read.policy;
  if (p.ingress_type && !p.ingress.empty()) return true;
  return p.egress_type && !std::all_of(p.egress.begin(), p.egress.end(), dns_only);
}

bool isolates_every_pod(const Value& np) { return isolates(np) == Selects::kEveryPod; }

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
      const Selects isolated = isolates(*np);
      every = every || isolated == Selects::kEveryPod;
      all_but = all_but || isolated == Selects::kAllButQuarantined;
      quarantined = quarantined || isolated == Selects::kQuarantined;
      reopened = reopened || admits_beyond_dns(*np);
    }
    if (!(every || (all_but && quarantined)) || reopened) out.namespaces.push_back(ns);
  }
  return out;
}

}  // namespace bulwark::reconcilers
