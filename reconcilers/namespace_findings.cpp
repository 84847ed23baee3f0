#include "reconcilers/namespace_findings.h"

#include <algorithm>

#include "operator/network/network_policy.h"
#include "reconcilers/input_access.h"
#include "reconcilers/managed_network_policy.h"
#include "reconcilers/policy_set.h"

namespace bulwark::reconcilers {

using document::Value;

namespace {

bool selects_every_pod(const Value* selector) {
  if (selector == nullptr || selector->is_null()) return true;
  const auto& labels = document::members_of(selector->find("matchLabels"));
  const auto& expressions = document::items_of(selector->find("matchExpressions"));
  if (labels.empty() && expressions.empty()) return true;
  // bulwark-default-deny: every pod but those labelled quarantined, which bulwark-quarantine,
  // kept beside it, isolates.
  if (!labels.empty() || expressions.size() != 1) return false;
  const Value& e = expressions[0];
  const Value* key = e.find("key");
  const Value* op = e.find("operator");
  const auto& values = document::items_of(e.find("values"));
  return key != nullptr && key->str() == kQuarantineLabel && op != nullptr &&
         op->str() == "NotIn" && values.size() == 1 && values[0].str() == "true";
}

bool only_dns(const Value& rule) {
  const auto& ports = document::items_of(rule.find("ports"));
  if (ports.empty()) return false;  // no ports: every port
  return std::all_of(ports.begin(), ports.end(), [](const Value& p) {
    const Value* port = p.find("port");
    return port != nullptr && port->as_int() == 53 && p.find("endPort") == nullptr;
  });
}

bool dns_only(const network::Rule& rule) {
  return !rule.ports.empty() &&
         std::all_of(rule.ports.begin(), rule.ports.end(),
                     [](const network::PolicyPort& p) { return p.number == 53 && !p.end_port; });
}

}  // namespace

bool admits_beyond_dns(const Value& np) {
  const auto read = network::read_network_policy(np, "");
  if (!read.errors.empty()) return true;  // not read: not proven to admit nothing
  const auto& p = read.policy;
  if (p.ingress_type && !p.ingress.empty()) return true;
  return p.egress_type && !std::all_of(p.egress.begin(), p.egress.end(), dns_only);
}

bool isolates_every_pod(const Value& np) {
  const Value* spec = np.find("spec");
  if (spec == nullptr || !selects_every_pod(spec->find("podSelector"))) return false;
  bool ingress = false, egress = false;
  for (const auto& t : document::items_of(spec->find("policyTypes"))) {
    ingress = ingress || t.str() == "Ingress";
    egress = egress || t.str() == "Egress";
  }
  if (!ingress || !egress) return false;
  if (!document::items_of(spec->find("ingress")).empty()) return false;
  const auto& rules = document::items_of(spec->find("egress"));
  return std::all_of(rules.begin(), rules.end(), only_dns);
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
    // admits anything but DNS to the pods it selects.
    bool deny_all = false, reopened = false;
    for (const auto& key : network_policies.keys_in_namespace(ns)) {
      auto np = network_policies.get(key);
      if (np == nullptr) continue;
      deny_all = deny_all || isolates_every_pod(*np);
      reopened = reopened || admits_beyond_dns(*np);
    }
    if (!deny_all || reopened) out.namespaces.push_back(ns);
  }
  return out;
}

}  // namespace bulwark::reconcilers
