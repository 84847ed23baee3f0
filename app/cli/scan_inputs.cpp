#include "app/cli/scan_inputs.h"

#include <set>

#include "operator/document/value.h"
#include "operator/rbac/bootstrap_roles.h"

namespace bulwark::cli {

using document::Value;

ScanInputs::ScanInputs(Wanted wanted, bool anonymous_requests) : wanted_(wanted) {
  rbac_.set_anonymous_requests(anonymous_requests);
}

bool ScanInputs::take(const Value& object, std::vector<std::string>& problems) {
  return (wanted_.rbac && read_rbac(object)) ||
         (wanted_.accounts && read_service_account(object)) ||
         (wanted_.network && read_network(object, problems));
}

// Roles and bindings of the scanned files join the graph the workloads are judged against.
bool ScanInputs::read_rbac(const Value& object) {
  const Value* kind = object.find("kind");
  const Value* api = object.find("apiVersion");
  if (kind == nullptr || api == nullptr || api->str().rfind("rbac.authorization.k8s.io/", 0) != 0) {
    return false;
  }
  Value copy = object;
  if (kind->str() == "Role" || kind->str() == "RoleBinding") {
    Value& ns = copy.child("metadata");
    if (ns.find("namespace") == nullptr || ns.find("namespace")->str().empty()) {
      ns.set("namespace", Value::string("default"));
    }
  }
  if (auto role = rbac::read_role(copy, kind->str())) {
    rbac_.put_role(std::move(*role));
  } else if (auto binding = rbac::read_binding(copy, kind->str())) {
    rbac_.put_binding(std::move(*binding));
  } else {
    return false;
  }
  return true;
}

// A ServiceAccount of the scanned files: what it says of token automounting.
bool ScanInputs::read_service_account(const Value& object) {
  const Value* kind = object.find("kind");
  const Value* api = object.find("apiVersion");
  if (kind == nullptr || api == nullptr || kind->str() != "ServiceAccount" || api->str() != "v1") {
    return false;
  }
  const Value* ns = object.find({"metadata", "namespace"});
  const Value* name = object.find({"metadata", "name"});
  if (name == nullptr || name->str().empty()) return false;
  const rbac::Account account{
      std::string(ns != nullptr && !ns->str().empty() ? ns->str() : "default"),
      std::string(name->str())};
  if (const Value* v = object.find("automountServiceAccountToken")) {
    if (auto setting = v->as_bool()) automount_[account] = *setting;
  }
  return true;
}

// NetworkPolicies, Services and Namespaces join the network model. A NetworkPolicy the API server
// would refuse is a problem of its document, and stays out of the model.
bool ScanInputs::read_network(const Value& object, std::vector<std::string>& problems) {
  const std::string kind = document::text_at(object, {"kind"});
  const std::string api = document::text_at(object, {"apiVersion"});
  if (kind == "NetworkPolicy" && api == "networking.k8s.io/v1") {
    auto read = network::read_network_policy(object, "default");
    for (const auto& e : read.errors) {
      problems.push_back("NetworkPolicy " + read.policy.name + ": " + e.field + ": " + e.message);
    }
    if (read.errors.empty()) {
      network_.add_policy(std::move(read.policy));
      ++network_policies_;
    }
  } else if (network::is_service(object)) {
    network_.add_service(network::read_service(object, "default"));
  } else if (kind == "Namespace" && api == "v1") {
    crds::Labels labels;
    for (const auto& [key, value] : document::members_of(object.find({"metadata", "labels"}))) {
      labels[key] = std::string(value.str());
    }
    network_.add_namespace(document::text_at(object, {"metadata", "name"}), std::move(labels));
  } else {
    return false;
  }
  return true;
}

// The pinned release's built-in ClusterRoles the files do not define, all of them, as a cluster
// holds them: a binding to one the files do not define grants its rules, and the files' own
// aggregated roles take in theirs (an aggregationRule that selects aggregate-to-admin gets edit's
// rules). Returns the note naming the release and the roles a binding uses, or "".
std::string ScanInputs::add_bootstrap_roles() {
  const std::set<std::string> missing = rbac_.missing_cluster_roles();
  const auto& bootstrap = rbac::bootstrap_cluster_roles();
  std::string used;
  for (const auto& role : bootstrap.roles) {
    if (rbac_.has_role(rbac::RoleKind::kClusterRole, "", role.name)) continue;
    if (missing.count(role.name) > 0) used += (used.empty() ? "" : ", ") + role.name;
    rbac_.put_role(role);
  }
  if (used.empty()) return "";
  return "the files bind ClusterRoles they do not define; using Kubernetes " +
         bootstrap.kubernetes_version + "'s built-in " + used;
}

std::vector<std::string> ScanInputs::resolve() {
  std::vector<std::string> notes;
  if (resolved_) return notes;
  resolved_ = true;
  if (wanted_.rbac) {
    if (auto note = add_bootstrap_roles(); !note.empty()) notes.push_back(std::move(note));
    rbac_.aggregate();
  }
  if (wanted_.network && network_policies_ == 0) {
    notes.push_back(
        "the files hold no NetworkPolicy: every workload is judged as no NetworkPolicy isolates "
        "it");
  }
  return notes;
}

std::optional<rbac::Permissions> ScanInputs::permissions_of(const rbac::Account& account) const {
  if (!wanted_.rbac) return std::nullopt;
  return rbac_.permissions_of(account);
}

std::optional<bool> ScanInputs::automount_of(const rbac::Account& account) const {
  const auto setting = automount_.find(account);
  if (setting == automount_.end()) return std::nullopt;
  return setting->second;
}

}  // namespace bulwark::cli
