#pragma once

// Kubernetes RBAC as the API server's authorizer reads it, reduced to what a posture judgement
// needs: roles' rules, bindings' role references and subjects, and, for one ServiceAccount, every
// rule granted to it with the chain that grants it. Pure: no I/O, no clock, no locks.

#include <compare>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "operator/policy/label_selector.h"

namespace bulwark::document {
struct Value;
}

namespace bulwark::rbac {

// One PolicyRule. nonResourceURLs are not kept: no control judges them.
struct Rule {
  std::vector<std::string> verbs;
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;  // "pods", "pods/exec", "*", "*/scale"
  std::vector<std::string> resource_names;
  bool operator==(const Rule&) const = default;
};

// The authorizer's own matching (k8s.io/kubernetes/pkg/apis/rbac/v1 evaluation_helpers.go):
// "*" in the rule matches anything; "*/sub" matches that subresource of any resource; a request
// for "*" matches only a rule that says "*".
bool verb_matches(const Rule& rule, std::string_view verb);
bool api_group_matches(const Rule& rule, std::string_view group);
// `resource` is the combined "pods/exec" form.
bool resource_matches(const Rule& rule, std::string_view resource);

enum class RoleKind { kRole, kClusterRole };
std::string_view to_string(RoleKind kind);

struct Role {
  RoleKind kind = RoleKind::kClusterRole;
  std::string namespace_name;  // empty for a ClusterRole
  std::string name;
  std::vector<Rule> rules;
  crds::Labels labels;  // what aggregation selects on
  // aggregationRule.clusterRoleSelectors. The API server writes the aggregated rules into the
  // role itself; only offline scans need to aggregate (RbacGraph::aggregate).
  std::vector<crds::LabelSelector> aggregation;
};

enum class SubjectKind { kServiceAccount, kUser, kGroup };

struct Subject {
  SubjectKind kind = SubjectKind::kServiceAccount;
  std::string name;
  std::string namespace_name;  // ServiceAccounts only
};

struct Binding {
  bool cluster = false;        // a ClusterRoleBinding
  std::string namespace_name;  // empty for a ClusterRoleBinding
  std::string name;
  RoleKind role_kind = RoleKind::kClusterRole;
  std::string role_name;
  std::vector<Subject> subjects;
  std::string label() const;  // "RoleBinding/shop/ci" or "ClusterRoleBinding/ci"
};

// Reads a Role or ClusterRole (`kind` as the object's own, or from its list). Nullopt when the
// document is neither.
std::optional<Role> read_role(const document::Value& doc, std::string_view kind);
std::optional<Binding> read_binding(const document::Value& doc, std::string_view kind);

struct Account {
  std::string namespace_name;
  std::string name;
  auto operator<=>(const Account&) const = default;
  std::string username() const { return "system:serviceaccount:" + namespace_name + ":" + name; }
};

// One rule an account holds, and how. The rule stays in its role, shared with every account that
// holds it.
struct Grant {
  std::string chain;                 // "ClusterRoleBinding/ci-deployer -> ClusterRole/edit"
  std::shared_ptr<const Role> role;  // null for a binding whose role grants nothing
  std::size_t rule_index = 0;
  std::string scope;         // the namespace the rule holds in; empty: cluster-wide
  bool direct = false;       // the binding names the account itself (not one of its groups)
  const Rule& rule() const;  // an empty rule when `role` is null
};

struct Permissions {
  Account account;
  std::vector<Grant> grants;
  bool holds_direct_binding() const;
};

// The accounts whose permissions a change may have altered.
struct Affected {
  bool all = false;  // a binding for every account (system:authenticated, anonymous, ...)
  std::set<std::string> namespaces;  // every account of these namespaces
  std::set<Account> accounts;
  bool contains(const Account& a) const {
    return all || namespaces.count(a.namespace_name) > 0 || accounts.count(a) > 0;
  }
  bool empty() const { return !all && namespaces.empty() && accounts.empty(); }
  void merge(const Affected& other);
};

// Roles and bindings, indexed both ways: from an account to the bindings naming it (directly or
// by group), and from a role to the bindings referring to it, so a change names exactly the
// accounts it affects.
class RbacGraph {
 public:
  Affected put_role(Role role);
  Affected remove_role(RoleKind kind, const std::string& namespace_name, const std::string& name);
  Affected put_binding(Binding binding);
  Affected remove_binding(bool cluster, const std::string& namespace_name, const std::string& name);

  // Every rule the account holds, through any binding naming it, its username or its groups,
  // and, while anonymous requests are allowed, the user system:anonymous and the group
  // system:unauthenticated: any pod can call the API server without its token. A binding to
  // cluster-admin counts even when the role itself is not known (offline scans).
  Permissions permissions_of(const Account& account) const;

  // Whether the API server authenticates requests without credentials as system:anonymous (its
  // default) or refuses them (--anonymous-auth=false): a fact of the cluster, told by the caller.
  void set_anonymous_requests(bool allowed) { anonymous_requests_ = allowed; }
  bool anonymous_requests() const { return anonymous_requests_; }

  bool has_role(RoleKind kind, const std::string& namespace_name, const std::string& name) const;
  // The ClusterRoles some binding refers to that the graph does not hold (offline scans).
  std::set<std::string> missing_cluster_roles() const;

  // Offline scans: fills each aggregated ClusterRole's rules from the ClusterRoles its selectors
  // match, as the API server's aggregation controller does.
  void aggregate();

  std::size_t roles() const { return roles_.size(); }
  std::size_t bindings() const { return bindings_.size(); }

 private:
  Affected affected_by(const Binding& b) const;
  Affected affected_by_role(const std::string& role_key) const;
  void index(const std::string& key, const Binding& b, bool add);

  std::map<std::string, std::shared_ptr<const Role>, std::less<>> roles_;  // role key -> role
  std::map<std::string, Binding, std::less<>> bindings_;                   // binding key -> binding
  std::map<std::string, std::set<std::string>, std::less<>> by_subject_;  // subject key -> bindings
  std::map<std::string, std::set<std::string>, std::less<>> by_role_;     // role key -> bindings
  bool anonymous_requests_ = true;
};

}  // namespace bulwark::rbac
