#include "reconcilers/default_deny.h"

#include <algorithm>
#include <set>

#include "document/json_writer.h"
#include "reconcilers/policy_set.h"
#include "server/logging.h"

namespace bulwark::reconcilers {

using document::Value;

DefaultDenyReconciler::DefaultDenyReconciler(kube::KubeClient& client, Sources sources,
                                             std::vector<std::string> never_touch)
    : client_(client), sources_(sources), never_touch_(std::move(never_touch)) {}

std::string DefaultDenyReconciler::desired(
    const std::string& ns, bool allow_dns,
    const std::vector<std::pair<std::string, std::string>>& owners) {
  using document::json_quote;
  std::string refs;
  for (const auto& [name, uid] : owners) {
    refs += std::string(refs.empty() ? "" : ",") +
            R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","name":)" +
            json_quote(name) + R"(,"uid":)" + json_quote(uid) + "}";
  }
  // ingress: [] and the whole podSelector are set explicitly: both are atomic, so a forced apply
  // also takes back rules a user added, not only fields Bulwark set before.
  return R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":")" +
         std::string(kDefaultDenyName) + R"(","namespace":)" + json_quote(ns) + R"(,"labels":{")" +
         kManagedByLabel + R"(":"bulwark"},"ownerReferences":[)" + refs +
         R"(]},"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"],"ingress":[],"egress":)" +
         (allow_dns ? R"([{"ports":[{"protocol":"UDP","port":53},{"protocol":"TCP","port":53}]}])"
                    : "[]") +
         "}}";
}

bool DefaultDenyReconciler::up_to_date(
    const Value& current, bool allow_dns,
    const std::vector<std::pair<std::string, std::string>>& owners) {
  const Value* managed = current.find({"metadata", "labels", kManagedByLabel});
  if (managed == nullptr || managed->str() != "bulwark") return false;
  std::set<std::string> want, have;
  for (const auto& o : owners) want.insert(o.second);
  for (const auto& ref : document::items_of(current.find({"metadata", "ownerReferences"}))) {
    if (const Value* uid = ref.find("uid")) have.emplace(uid->str());
  }
  if (want != have) return false;
  const Value* spec = current.find("spec");
  if (spec == nullptr) return false;
  const Value* selector = spec->find("podSelector");
  if (selector != nullptr && !document::members_of(selector).empty()) return false;
  std::set<std::string> types;
  for (const auto& t : document::items_of(spec->find("policyTypes"))) types.emplace(t.str());
  if (types != std::set<std::string>{"Ingress", "Egress"}) return false;
  if (!document::items_of(spec->find("ingress")).empty()) return false;
  const auto& egress = document::items_of(spec->find("egress"));
  if (!allow_dns) return egress.empty();
  if (egress.size() != 1 || egress[0].find("to") != nullptr) return false;
  std::set<std::string> ports;
  for (const auto& p : document::items_of(egress[0].find("ports"))) {
    const Value* proto = p.find("protocol");
    const Value* port = p.find("port");
    ports.insert(std::string(proto ? proto->str() : "TCP") + "/" +
                 std::string(port ? port->str() : ""));
  }
  return ports == std::set<std::string>{"UDP/53", "TCP/53"};
}

runtime::Result DefaultDenyReconciler::reconcile(const std::string& ns) {
  if (std::find(never_touch_.begin(), never_touch_.end(), ns) != never_touch_.end()) return {};
  auto namespace_object = sources_.namespaces.get(ns);
  const bool live = namespace_object != nullptr &&
                    namespace_object->find({"metadata", "deletionTimestamp"}) == nullptr;

  std::vector<std::pair<std::string, std::string>> owners;
  bool allow_dns = true;  // the strictest selecting policy wins
  if (live) {
    const auto labels = labels_of(*namespace_object);
    for (const auto& p : load_policies(sources_.policies)) {
      if (!p.valid() || !p.policy.spec.network.default_deny) continue;
      if (!selects_namespace(p.policy.spec, ns, labels)) continue;
      owners.emplace_back(p.policy.name, p.uid);
      allow_dns = allow_dns && p.policy.spec.network.allow_dns_egress;
    }
    std::sort(owners.begin(), owners.end());
  }

  auto current = sources_.network_policies.get(ns + "/" + kDefaultDenyName);
  if (current != nullptr) {
    const Value* managed = current->find({"metadata", "labels", kManagedByLabel});
    if (managed == nullptr || managed->str() != "bulwark") {
      // Someone else's object that happens to have our name: never rewrite or delete it.
      logging::warn("namespace " + ns + " has a NetworkPolicy " + kDefaultDenyName +
                    " that Bulwark did not create; leaving it alone");
      return {};
    }
  }
  if (owners.empty()) {
    if (current == nullptr) return {};
    const Value* uid = current->find({"metadata", "uid"});
    try {
      client_.remove(kube::resources::kNetworkPolicies, ns, kDefaultDenyName,
                     uid != nullptr ? std::optional<std::string>(uid->str()) : std::nullopt);
      logging::info("removed " + ns + "/" + kDefaultDenyName + ": no policy selects the namespace");
    } catch (const kube::ApiError& e) {
      if (e.error_class() != kube::ErrorClass::kNotFound) throw;
    }
    return {};
  }
  if (current != nullptr && up_to_date(*current, allow_dns, owners)) {
    logging::debug(ns + "/" + kDefaultDenyName + " is up to date");  // no write
    return {};
  }
  client_.apply(kube::resources::kNetworkPolicies, ns, kDefaultDenyName,
                desired(ns, allow_dns, owners), "bulwark", true);
  logging::info(std::string(current == nullptr ? "created " : "repaired ") + ns + "/" +
                kDefaultDenyName);
  return {};
}

}  // namespace bulwark::reconcilers
