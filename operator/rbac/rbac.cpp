#include "operator/rbac/rbac.h"

#include <algorithm>

#include "operator/document/value.h"

namespace bulwark::rbac {

using document::Value;

namespace {

constexpr std::string_view kAll = "*";
constexpr std::string_view kUserPrefix = "system:serviceaccount:";
constexpr std::string_view kAnonymousUser = "system:anonymous";
constexpr std::string_view kAnonymousGroup = "system:unauthenticated";

bool has(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::vector<std::string> strings(const Value* list) {
  std::vector<std::string> out;
  for (const auto& item : document::items_of(list)) {
    if (item.is_scalar()) out.push_back(item.text);
  }
  return out;
}

std::string role_key(RoleKind kind, std::string_view namespace_name, std::string_view name) {
  return kind == RoleKind::kRole ? "Role/" + std::string(namespace_name) + "/" + std::string(name)
                                 : "ClusterRole/" + std::string(name);
}
std::string role_key(const Binding& b) {
  return role_key(b.role_kind, b.namespace_name, b.role_name);
}
std::string binding_key(bool cluster, std::string_view namespace_name, std::string_view name) {
  return cluster ? "ClusterRoleBinding/" + std::string(name)
                 : "RoleBinding/" + std::string(namespace_name) + "/" + std::string(name);
}

// The account a subject names, if it names one: a ServiceAccount, or its username as a User.
std::optional<Account> account_of(const Subject& s, const std::string& binding_namespace) {
  if (s.kind == SubjectKind::kServiceAccount) {
    // As the authorizer does: a subject without a namespace is in the binding's.
    const std::string& ns = s.namespace_name.empty() ? binding_namespace : s.namespace_name;
    if (ns.empty()) return std::nullopt;
    return Account{ns, s.name};
  }
  if (s.kind == SubjectKind::kUser && s.name.rfind(kUserPrefix, 0) == 0) {
    const std::string rest = s.name.substr(kUserPrefix.size());
    const auto colon = rest.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) return std::nullopt;
    if (rest.find(':', colon + 1) != std::string::npos) return std::nullopt;
    return Account{rest.substr(0, colon), rest.substr(colon + 1)};
  }
  return std::nullopt;
}

std::string subject_key(const Subject& s, const std::string& binding_namespace) {
  if (auto a = account_of(s, binding_namespace)) {
    return "account/" + a->namespace_name + "/" + a->name;
  }
  if (s.kind == SubjectKind::kGroup) return "group/" + s.name;
  if (s.name == kAnonymousUser) return "user/" + s.name;
  return {};  // another User that is no ServiceAccount: no account is it
}

// cluster-admin as the API server bootstraps it, for scans of files that bind it by name.
const std::shared_ptr<const Role>& builtin_cluster_admin() {
  static const auto role = [] {
    auto r = std::make_shared<Role>();
    r->name = "cluster-admin";
    r->rules.push_back(Rule{{"*"}, {"*"}, {"*"}, {}});
    return std::shared_ptr<const Role>(std::move(r));
  }();
  return role;
}

}  // namespace

bool verb_matches(const Rule& rule, std::string_view verb) {
  return has(rule.verbs, kAll) || has(rule.verbs, verb);
}

bool api_group_matches(const Rule& rule, std::string_view group) {
  return has(rule.api_groups, kAll) || has(rule.api_groups, group);
}

bool resource_matches(const Rule& rule, std::string_view resource) {
  const auto slash = resource.find('/');
  for (const auto& r : rule.resources) {
    if (r == kAll || r == resource) return true;
    // "*/exec" matches the exec subresource of anything.
    if (slash != std::string_view::npos && r.size() > 2 && r.rfind("*/", 0) == 0 &&
        std::string_view(r).substr(1) == resource.substr(slash)) {
      return true;
    }
  }
  return false;
}

std::string_view to_string(RoleKind kind) {
  return kind == RoleKind::kRole ? "Role" : "ClusterRole";
}

std::string Binding::label() const {
  return cluster ? "ClusterRoleBinding/" + name : "RoleBinding/" + namespace_name + "/" + name;
}

std::optional<Role> read_role(const Value& doc, std::string_view kind) {
  if (kind != "Role" && kind != "ClusterRole") return std::nullopt;
  Role role;
  role.kind = kind == "Role" ? RoleKind::kRole : RoleKind::kClusterRole;
  role.name =
      std::string(doc.find({"metadata", "name"}) ? doc.find({"metadata", "name"})->str() : "");
  if (role.kind == RoleKind::kRole) {
    const Value* ns = doc.find({"metadata", "namespace"});
    role.namespace_name = ns != nullptr ? std::string(ns->str()) : "";
  }
  for (const auto& [k, v] : document::members_of(doc.find({"metadata", "labels"}))) {
    role.labels[k] = v.text;
  }
  for (const auto& r : document::items_of(doc.find("rules"))) {
    role.rules.push_back(Rule{strings(r.find("verbs")), strings(r.find("apiGroups")),
                              strings(r.find("resources")), strings(r.find("resourceNames"))});
  }
  for (const auto& sel :
       document::items_of(doc.find({"aggregationRule", "clusterRoleSelectors"}))) {
    crds::LabelSelector selector;
    for (const auto& [k, v] : document::members_of(sel.find("matchLabels"))) {
      selector.match_labels[k] = v.text;
    }
    for (const auto& e : document::items_of(sel.find("matchExpressions"))) {
      using Op = crds::LabelSelector::Requirement::Operator;
      const std::string_view op = e.find("operator") ? e.find("operator")->str() : "";
      selector.match_expressions.push_back({std::string(e.find("key") ? e.find("key")->str() : ""),
                                            op == "In"       ? Op::kIn
                                            : op == "NotIn"  ? Op::kNotIn
                                            : op == "Exists" ? Op::kExists
                                                             : Op::kDoesNotExist,
                                            strings(e.find("values"))});
    }
    role.aggregation.push_back(std::move(selector));
  }
  return role;
}

std::optional<Binding> read_binding(const Value& doc, std::string_view kind) {
  if (kind != "RoleBinding" && kind != "ClusterRoleBinding") return std::nullopt;
  Binding b;
  b.cluster = kind == "ClusterRoleBinding";
  const Value* meta = doc.find("metadata");
  if (meta != nullptr) {
    if (const Value* n = meta->find("name")) b.name = std::string(n->str());
    if (const Value* ns = meta->find("namespace"); ns != nullptr && !b.cluster) {
      b.namespace_name = std::string(ns->str());
    }
  }
  if (const Value* ref = doc.find("roleRef")) {
    b.role_kind = ref->find("kind") && ref->find("kind")->str() == "Role" ? RoleKind::kRole
                                                                          : RoleKind::kClusterRole;
    if (const Value* n = ref->find("name")) b.role_name = std::string(n->str());
  }
  for (const auto& s : document::items_of(doc.find("subjects"))) {
    const std::string_view k = s.find("kind") ? s.find("kind")->str() : "";
    Subject subject;
    if (k == "ServiceAccount") {
      subject.kind = SubjectKind::kServiceAccount;
    } else if (k == "User") {
      subject.kind = SubjectKind::kUser;
    } else if (k == "Group") {
      subject.kind = SubjectKind::kGroup;
    } else {
      continue;  // the authorizer ignores kinds it does not know
    }
    if (const Value* n = s.find("name")) subject.name = std::string(n->str());
    if (const Value* ns = s.find("namespace")) subject.namespace_name = std::string(ns->str());
    b.subjects.push_back(std::move(subject));
  }
  return b;
}

const Rule& Grant::rule() const {
  static const Rule kNone;
  return role != nullptr && rule_index < role->rules.size() ? role->rules[rule_index] : kNone;
}

bool Permissions::holds_direct_binding() const {
  return std::any_of(grants.begin(), grants.end(), [](const Grant& g) { return g.direct; });
}

void Affected::merge(const Affected& other) {
  all = all || other.all;
  namespaces.insert(other.namespaces.begin(), other.namespaces.end());
  accounts.insert(other.accounts.begin(), other.accounts.end());
}

Affected RbacGraph::affected_by(const Binding& b) const {
  Affected out;
  for (const auto& s : b.subjects) {
    if (auto a = account_of(s, b.namespace_name)) {
      out.accounts.insert(*a);
    } else if (s.kind == SubjectKind::kUser && s.name == kAnonymousUser) {
      out.all = true;
    } else if (s.kind == SubjectKind::kGroup) {
      if (s.name == "system:serviceaccounts" || s.name == "system:authenticated" ||
          s.name == kAnonymousGroup) {
        out.all = true;
      } else if (s.name.rfind("system:serviceaccounts:", 0) == 0) {
        out.namespaces.insert(s.name.substr(std::string_view("system:serviceaccounts:").size()));
      }
    }
  }
  return out;
}

Affected RbacGraph::affected_by_role(const std::string& key) const {
  Affected out;
  if (auto it = by_role_.find(key); it != by_role_.end()) {
    for (const auto& bkey : it->second) out.merge(affected_by(bindings_.at(bkey)));
  }
  return out;
}

void RbacGraph::index(const std::string& key, const Binding& b, bool add) {
  auto update = [&](auto& map, const std::string& k) {
    if (add) {
      map[k].insert(key);
    } else if (auto it = map.find(k); it != map.end()) {
      it->second.erase(key);
      if (it->second.empty()) map.erase(it);
    }
  };
  update(by_role_, role_key(b));
  for (const auto& s : b.subjects) {
    if (auto k = subject_key(s, b.namespace_name); !k.empty()) update(by_subject_, k);
  }
}

Affected RbacGraph::put_role(Role role) {
  const std::string key = role_key(role.kind, role.namespace_name, role.name);
  auto it = roles_.find(key);
  const bool same_rules = it != roles_.end() && it->second->rules == role.rules;
  roles_[key] = std::make_shared<const Role>(std::move(role));
  return same_rules ? Affected{} : affected_by_role(key);
}

Affected RbacGraph::remove_role(RoleKind kind, const std::string& namespace_name,
                                const std::string& name) {
  const std::string key = role_key(kind, namespace_name, name);
  if (roles_.erase(key) == 0) return {};
  return affected_by_role(key);
}

Affected RbacGraph::put_binding(Binding binding) {
  const std::string key = binding_key(binding.cluster, binding.namespace_name, binding.name);
  Affected out;
  if (auto it = bindings_.find(key); it != bindings_.end()) {
    if (it->second.role_kind == binding.role_kind && it->second.role_name == binding.role_name &&
        it->second.subjects.size() == binding.subjects.size() &&
        std::equal(it->second.subjects.begin(), it->second.subjects.end(), binding.subjects.begin(),
                   [](const Subject& a, const Subject& b) {
                     return a.kind == b.kind && a.name == b.name &&
                            a.namespace_name == b.namespace_name;
                   })) {
      return out;  // a label or annotation changed: no account's rights did
    }
    out = affected_by(it->second);
    index(key, it->second, false);
  }
  out.merge(affected_by(binding));
  index(key, binding, true);
  bindings_[key] = std::move(binding);
  return out;
}

Affected RbacGraph::remove_binding(bool cluster, const std::string& namespace_name,
                                   const std::string& name) {
  const std::string key = binding_key(cluster, namespace_name, name);
  auto it = bindings_.find(key);
  if (it == bindings_.end()) return {};
  Affected out = affected_by(it->second);
  index(key, it->second, false);
  bindings_.erase(it);
  return out;
}

Permissions RbacGraph::permissions_of(const Account& account) const {
  Permissions out{account, {}};
  // The bindings naming the account itself first: a binding also reached through a group then
  // counts as direct.
  std::vector<std::pair<std::string, bool>> keys = {
      {"account/" + account.namespace_name + "/" + account.name, true},
      {"group/system:serviceaccounts:" + account.namespace_name, false},
      {"group/system:serviceaccounts", false},
      {"group/system:authenticated", false}};
  if (anonymous_requests_) {
    keys.emplace_back("user/" + std::string(kAnonymousUser), false);
    keys.emplace_back("group/" + std::string(kAnonymousGroup), false);
  }
  std::set<std::string> seen;
  for (const auto& [skey, direct] : keys) {
    // What any pod holds without its token, said so in the chain.
    const bool anonymous =
        skey.rfind("user/", 0) == 0 || skey == "group/" + std::string(kAnonymousGroup);
    auto it = by_subject_.find(skey);
    if (it == by_subject_.end()) continue;
    for (const auto& bkey : it->second) {
      if (!seen.insert(bkey).second) continue;
      const Binding& b = bindings_.at(bkey);
      const std::string rkey = role_key(b);
      std::shared_ptr<const Role> role;
      if (auto r = roles_.find(rkey); r != roles_.end()) {
        role = r->second;
      } else if (b.role_kind == RoleKind::kClusterRole && b.role_name == "cluster-admin") {
        role = builtin_cluster_admin();
      }
      const std::string chain = b.label() + (anonymous ? " (anonymous requests)" : "") + " -> " +
                                std::string(to_string(b.role_kind)) + "/" +
                                (b.role_kind == RoleKind::kRole ? b.namespace_name + "/" : "") +
                                b.role_name;
      if (role == nullptr || role->rules.empty()) {
        // An unresolved or empty role grants nothing (the authorizer agrees), but the binding
        // still names the account (rbacDefaultServiceAccount): kept as a grant of no rule.
        if (direct) {
          out.grants.push_back(Grant{chain + (role == nullptr ? " (not found)" : ""), nullptr, 0,
                                     b.namespace_name, true});
        }
        continue;
      }
      for (std::size_t i = 0; i < role->rules.size(); ++i) {
        out.grants.push_back(Grant{chain, role, i, b.namespace_name, direct});
      }
    }
  }
  return out;
}

bool RbacGraph::has_role(RoleKind kind, const std::string& namespace_name,
                         const std::string& name) const {
  return roles_.count(role_key(kind, namespace_name, name)) > 0;
}

std::set<std::string> RbacGraph::missing_cluster_roles() const {
  std::set<std::string> out;
  for (const auto& [key, binding] : bindings_) {
    if (binding.role_kind == RoleKind::kClusterRole && roles_.count(role_key(binding)) == 0) {
      out.insert(binding.role_name);
    }
  }
  return out;
}

void RbacGraph::aggregate() {
  // Aggregated roles may select other aggregated roles: repeat until nothing changes, as the
  // controller's repeated passes would (bounded: each pass can only add rules).
  for (std::size_t pass = 0; pass <= roles_.size(); ++pass) {
    bool changed = false;
    for (auto& [key, role] : roles_) {
      if (role->kind != RoleKind::kClusterRole || role->aggregation.empty()) continue;
      std::vector<Rule> rules;
      for (const auto& [other_key, other] : roles_) {
        if (other_key == key || other->kind != RoleKind::kClusterRole) continue;
        const crds::Labels& labels = other->labels;  // clang cannot capture a structured binding
        const bool selected = std::any_of(
            role->aggregation.begin(), role->aggregation.end(),
            [&](const crds::LabelSelector& s) { return !s.empty() && s.matches(labels); });
        if (!selected) continue;
        for (const auto& r : other->rules) {
          if (std::find(rules.begin(), rules.end(), r) == rules.end()) rules.push_back(r);
        }
      }
      if (rules != role->rules) {
        auto updated = std::make_shared<Role>(*role);
        updated->rules = std::move(rules);
        role = std::move(updated);
        changed = true;
      }
    }
    if (!changed) return;
  }
}

}  // namespace bulwark::rbac
