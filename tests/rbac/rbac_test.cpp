// RBAC as the authorizer reads it: rule matching (wildcards, subresources, groups, resourceNames),
// subjects (the account, its username, its groups), aggregation, the accounts a change affects,
// and each permission control with the chain it names.
#include "operator/rbac/rbac.h"

#include <gtest/gtest.h>

#include <sstream>

#include "operator/document/reader.h"
#include "operator/rbac/permission_checks.h"

namespace bulwark::rbac {
namespace {

document::Value yaml(const std::string& text) {
  std::istringstream in(text);
  auto reader = document::make_yaml_reader(in);
  document::Value doc;
  reader->next(doc);
  return doc;
}

Role role(const std::string& text) {
  auto doc = yaml(text);
  return *read_role(doc, doc.find("kind")->str());
}
Binding binding(const std::string& text) {
  auto doc = yaml(text);
  return *read_binding(doc, doc.find("kind")->str());
}

Rule rule(std::vector<std::string> verbs, std::vector<std::string> groups,
          std::vector<std::string> resources, std::vector<std::string> names = {}) {
  return Rule{std::move(verbs), std::move(groups), std::move(resources), std::move(names)};
}

std::vector<std::string> controls_of(const Permissions& p, std::vector<std::string> forbid) {
  std::vector<std::string> ids;
  for (const auto& f : judge_permissions(p, forbid)) {
    if (ids.empty() || ids.back() != f.control) ids.emplace_back(f.control);
  }
  return ids;
}

const std::vector<std::string> kAllControls = [] {
  std::vector<std::string> ids;
  for (const auto& c : permission_controls()) ids.emplace_back(c.id);
  return ids;
}();

TEST(RuleMatching, WildcardsMatchAnythingButARequestForStarMatchesOnlyStar) {
  const Rule get_pods = rule({"get"}, {""}, {"pods"});
  EXPECT_TRUE(verb_matches(get_pods, "get"));
  EXPECT_FALSE(verb_matches(get_pods, "*"));
  EXPECT_FALSE(api_group_matches(get_pods, "apps"));
  const Rule all = rule({"*"}, {"*"}, {"*"});
  EXPECT_TRUE(verb_matches(all, "escalate"));
  EXPECT_TRUE(verb_matches(all, "*"));
  EXPECT_TRUE(api_group_matches(all, "batch"));
  EXPECT_TRUE(resource_matches(all, "pods/exec"));
}

TEST(RuleMatching, SubresourcesAreTheirOwnResourceExceptForStarSlash) {
  EXPECT_FALSE(resource_matches(rule({"create"}, {""}, {"pods"}), "pods/exec"));
  EXPECT_TRUE(resource_matches(rule({"create"}, {""}, {"pods/exec"}), "pods/exec"));
  EXPECT_TRUE(resource_matches(rule({"create"}, {""}, {"*/exec"}), "pods/exec"));
  EXPECT_FALSE(resource_matches(rule({"create"}, {""}, {"*/exec"}), "pods"));
  EXPECT_FALSE(resource_matches(rule({"create"}, {""}, {"pods/*"}), "pods/exec"));
  EXPECT_FALSE(resource_matches(rule({"create"}, {""}, {"*/attach"}), "pods/exec"));
}

TEST(Subjects, TheAccountItsUsernameAndItsGroupsCountAndNothingElse) {
  RbacGraph g;
  g.put_role(role(R"(kind: ClusterRole
metadata: {name: reader}
rules: [{verbs: [get], apiGroups: [""], resources: [secrets]}])"));
  auto bind = [&](const std::string& name, const std::string& subject) {
    g.put_binding(binding("kind: RoleBinding\nmetadata: {name: " + name +
                          ", namespace: shop}\nroleRef: {kind: ClusterRole, name: reader}\n"
                          "subjects: [" +
                          subject + "]"));
  };
  bind("sa", "{kind: ServiceAccount, name: web}");  // namespace defaults to the binding's
  bind("user", "{kind: User, name: 'system:serviceaccount:shop:api'}");
  bind("group", "{kind: Group, name: 'system:serviceaccounts:shop'}");
  bind("other", "{kind: User, name: alice}");
  bind("elsewhere", "{kind: ServiceAccount, name: web, namespace: other}");
  auto chains = [&](const std::string& ns, const std::string& name) {
    std::vector<std::string> out;
    for (const auto& grant : g.permissions_of({ns, name}).grants) out.push_back(grant.chain);
    return out;
  };
  EXPECT_EQ(chains("shop", "web"),
            (std::vector<std::string>{"RoleBinding/shop/sa -> ClusterRole/reader",
                                      "RoleBinding/shop/group -> ClusterRole/reader"}));
  EXPECT_EQ(chains("shop", "api"),
            (std::vector<std::string>{"RoleBinding/shop/user -> ClusterRole/reader",
                                      "RoleBinding/shop/group -> ClusterRole/reader"}));
  EXPECT_EQ(chains("other", "web"),
            std::vector<std::string>{"RoleBinding/shop/elsewhere -> ClusterRole/reader"});
  EXPECT_TRUE(chains("other", "db").empty());
  // The grant holds in the binding's namespace, not the account's.
  EXPECT_EQ(g.permissions_of({"other", "web"}).grants.at(0).scope, "shop");
  EXPECT_TRUE(g.permissions_of({"shop", "web"}).grants.at(0).direct);
  EXPECT_FALSE(g.permissions_of({"shop", "web"}).grants.at(1).direct);
}

TEST(Subjects, EveryAuthenticatedAccountHoldsWhatSystemAuthenticatedIsBound) {
  RbacGraph g;
  g.put_role(
      role("kind: ClusterRole\nmetadata: {name: r}\nrules: [{verbs: ['*'], apiGroups: "
           "['*'], resources: ['*']}]"));
  const Affected a = g.put_binding(binding(
      "kind: ClusterRoleBinding\nmetadata: {name: everyone}\nroleRef: {kind: ClusterRole, name: "
      "r}\nsubjects: [{kind: Group, name: 'system:authenticated'}]"));
  EXPECT_TRUE(a.all);
  const auto p = g.permissions_of({"any", "one"});
  EXPECT_EQ(controls_of(p, kAllControls),
            (std::vector<std::string>{"rbacClusterAdmin", "rbacWildcard", "rbacSecretsRead",
                                      "rbacPodExec", "rbacWorkloadCreate", "rbacEscalate",
                                      "rbacNodeProxy", "rbacWebhookWrite", "rbacTokenCreate"}));
  EXPECT_FALSE(p.holds_direct_binding());
}

// Any pod can call the API server without its token: what system:anonymous and
// system:unauthenticated are bound to, every account holds, while the cluster allows anonymous
// requests. A secret was read that way while Bulwark counted only the account's own rights.
TEST(Subjects, AnonymousBindingsCountWhileTheClusterAllowsAnonymousRequests) {
  RbacGraph g;
  g.put_role(role(R"(kind: ClusterRole
metadata: {name: reader}
rules: [{verbs: [get], apiGroups: [""], resources: [secrets]}])"));
  const Affected by_group = g.put_binding(binding(
      "kind: ClusterRoleBinding\nmetadata: {name: open}\nroleRef: {kind: ClusterRole, name: "
      "reader}\nsubjects: [{kind: Group, name: 'system:unauthenticated'}]"));
  const Affected by_user = g.put_binding(binding(
      "kind: RoleBinding\nmetadata: {name: anon, namespace: shop}\nroleRef: {kind: ClusterRole, "
      "name: reader}\nsubjects: [{kind: User, name: 'system:anonymous'}]"));
  EXPECT_TRUE(by_group.all);
  EXPECT_TRUE(by_user.all);
  const auto findings = judge_permissions(g.permissions_of({"any", "one"}), {"rbacSecretsRead"});
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].message,
            "RoleBinding/shop/anon (anonymous requests) -> ClusterRole/reader rules[0]: get "
            "secrets (in namespace shop)");
  EXPECT_EQ(findings[1].message,
            "ClusterRoleBinding/open (anonymous requests) -> ClusterRole/reader rules[0]: get "
            "secrets (cluster-wide)");
  EXPECT_FALSE(g.permissions_of({"any", "one"}).holds_direct_binding());
  g.set_anonymous_requests(false);  // --anonymous-auth=false
  EXPECT_TRUE(g.permissions_of({"any", "one"}).grants.empty());
}

// Requests for cluster-scoped resources carry no namespace, so a RoleBinding never grants them,
// whatever its role says; the authorizer found 11 of 17 disagreements in one seed here.
TEST(Controls, ARoleBindingGrantsNoClusterScopedResource) {
  RbacGraph g;
  g.put_role(role(R"(kind: ClusterRole
metadata: {name: wide}
rules:
- {verbs: ['*'], apiGroups: [""], resources: [nodes/proxy, users, serviceaccounts]}
- {verbs: ['*'], apiGroups: [admissionregistration.k8s.io], resources: ['*']}
- {verbs: ['*'], apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles, clusterrolebindings]}
)"));
  g.put_binding(
      binding("kind: RoleBinding\nmetadata: {name: ns-only, namespace: shop}\nroleRef: {kind: "
              "ClusterRole, name: wide}\nsubjects: [{kind: ServiceAccount, name: web}]"));
  auto findings = judge_permissions(g.permissions_of({"shop", "web"}),
                                    {"rbacNodeProxy", "rbacWebhookWrite", "rbacEscalate"});
  std::vector<std::string> messages;
  for (const auto& f : findings) messages.push_back(std::string(f.control) + ": " + f.message);
  // Left: bind of a ClusterRole in the namespace (a RoleBinding referring to it) and
  // impersonating the namespace's ServiceAccounts.
  EXPECT_EQ(messages, (std::vector<std::string>{
                          "rbacEscalate: RoleBinding/shop/ns-only -> ClusterRole/wide rules[0]: "
                          "impersonate serviceaccounts (in namespace shop)",
                          "rbacEscalate: RoleBinding/shop/ns-only -> ClusterRole/wide rules[2]: "
                          "bind clusterroles (rbac.authorization.k8s.io) (in namespace shop)"}));
  g.put_binding(binding(
      "kind: ClusterRoleBinding\nmetadata: {name: everywhere}\nroleRef: {kind: ClusterRole, "
      "name: wide}\nsubjects: [{kind: ServiceAccount, name: web, namespace: shop}]"));
  EXPECT_EQ(controls_of(g.permissions_of({"shop", "web"}),
                        {"rbacNodeProxy", "rbacWebhookWrite", "rbacEscalate"}),
            (std::vector<std::string>{"rbacEscalate", "rbacNodeProxy", "rbacWebhookWrite"}));
}

// Exec-equivalent rights beyond exec: an ephemeral container runs with the pod's token and
// volumes, and the proxies reach any port of a pod or Service. Admission policies rewrite or
// refuse objects as webhooks do.
TEST(Controls, EphemeralContainersProxiesAndAdmissionPoliciesCount) {
  RbacGraph g;
  g.put_role(role(R"(kind: Role
metadata: {name: r, namespace: shop}
rules:
- {verbs: [patch], apiGroups: [""], resources: [pods/ephemeralcontainers]}
- {verbs: [get], apiGroups: [""], resources: [services/proxy]}
- {verbs: [create], apiGroups: [""], resources: [pods/proxy]}
- {verbs: [get, list], apiGroups: [""], resources: [nodes/pods, nodes/log, nodes/stats]}
)"));
  g.put_role(role(R"(kind: ClusterRole
metadata: {name: policies}
rules:
- {verbs: [update], apiGroups: [admissionregistration.k8s.io], resources: [mutatingadmissionpolicies]}
- {verbs: [create], apiGroups: [admissionregistration.k8s.io], resources: [validatingadmissionpolicybindings]}
)"));
  g.put_binding(binding(
      "kind: RoleBinding\nmetadata: {name: b, namespace: shop}\nroleRef: {kind: Role, name: r}\n"
      "subjects: [{kind: ServiceAccount, name: web}]"));
  g.put_binding(
      binding("kind: ClusterRoleBinding\nmetadata: {name: p}\nroleRef: {kind: ClusterRole, name: "
              "policies}\nsubjects: [{kind: ServiceAccount, name: web, namespace: shop}]"));
  std::vector<std::string> messages;
  for (const auto& f : judge_permissions(g.permissions_of({"shop", "web"}), kAllControls)) {
    messages.push_back(std::string(f.control) + ": " + f.message);
  }
  EXPECT_EQ(
      messages,
      (std::vector<std::string>{
          "rbacPodExec: RoleBinding/shop/b -> Role/shop/r rules[0]: patch "
          "pods/ephemeralcontainers (in namespace shop)",
          "rbacPodExec: RoleBinding/shop/b -> Role/shop/r rules[1]: get services/proxy "
          "(in namespace shop)",
          "rbacPodExec: RoleBinding/shop/b -> Role/shop/r rules[2]: create pods/proxy "
          "(in namespace shop)",
          "rbacWebhookWrite: ClusterRoleBinding/p -> ClusterRole/policies rules[0]: update "
          "mutatingadmissionpolicies (admissionregistration.k8s.io) (cluster-wide)",
          "rbacWebhookWrite: ClusterRoleBinding/p -> ClusterRole/policies rules[1]: create "
          "validatingadmissionpolicybindings (admissionregistration.k8s.io) (cluster-wide)"}));
}

TEST(Aggregation, AnAggregatedRoleHoldsTheRulesOfTheRolesItsSelectorsMatch) {
  RbacGraph g;
  g.put_role(role(R"(kind: ClusterRole
metadata: {name: monitoring}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {rbac.example.com/aggregate-to-monitoring: "true"}}]}
rules: [])"));
  g.put_role(role(R"(kind: ClusterRole
metadata: {name: secrets, labels: {rbac.example.com/aggregate-to-monitoring: "true"}}
rules: [{verbs: [list], apiGroups: [""], resources: [secrets]}])"));
  g.put_role(role(R"(kind: ClusterRole
metadata: {name: unrelated}
rules: [{verbs: [create], apiGroups: [""], resources: [pods]}])"));
  g.put_binding(
      binding("kind: ClusterRoleBinding\nmetadata: {name: mon}\nroleRef: {kind: ClusterRole, name: "
              "monitoring}\nsubjects: [{kind: ServiceAccount, name: prom, namespace: mon}]"));
  EXPECT_TRUE(controls_of(g.permissions_of({"mon", "prom"}), kAllControls).empty());
  g.aggregate();
  EXPECT_EQ(controls_of(g.permissions_of({"mon", "prom"}), kAllControls),
            std::vector<std::string>{"rbacSecretsRead"});
}

TEST(Controls, EachControlNamesTheChainTheRequestAndTheScope) {
  RbacGraph g;
  g.put_role(role(R"(kind: ClusterRole
metadata: {name: edit-ish}
rules:
- {verbs: [get], apiGroups: [""], resources: [configmaps]}
- {verbs: [create], apiGroups: [""], resources: [pods/exec]}
- {verbs: [patch], apiGroups: [apps], resources: [deployments]}
- {verbs: [get], apiGroups: [""], resources: [secrets], resourceNames: [tls, db]}
- {verbs: [bind], apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles]}
- {verbs: [get], apiGroups: [""], resources: [nodes/proxy]}
- {verbs: [delete], apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations]}
- {verbs: [create], apiGroups: [""], resources: [serviceaccounts/token]}
)"));
  g.put_binding(binding(
      "kind: ClusterRoleBinding\nmetadata: {name: ci-deployer}\nroleRef: {kind: ClusterRole, "
      "name: edit-ish}\nsubjects: [{kind: ServiceAccount, name: default, namespace: ci}]"));
  const auto findings = judge_permissions(g.permissions_of({"ci", "default"}), kAllControls);
  std::vector<std::string> messages;
  for (const auto& f : findings) messages.push_back(std::string(f.control) + ": " + f.message);
  const std::string chain = "ClusterRoleBinding/ci-deployer -> ClusterRole/edit-ish";
  EXPECT_EQ(
      messages,
      (std::vector<std::string>{
          "rbacSecretsRead: " + chain +
              " rules[3]: get secrets (cluster-wide; only resourceNames tls, db)",
          "rbacPodExec: " + chain + " rules[1]: create pods/exec (cluster-wide)",
          "rbacWorkloadCreate: " + chain + " rules[2]: patch deployments (apps) (cluster-wide)",
          "rbacEscalate: " + chain +
              " rules[4]: bind clusterroles (rbac.authorization.k8s.io) (cluster-wide)",
          "rbacNodeProxy: " + chain + " rules[5]: get nodes/proxy (cluster-wide)",
          "rbacWebhookWrite: " + chain +
              " rules[6]: delete validatingwebhookconfigurations "
              "(admissionregistration.k8s.io) (cluster-wide)",
          "rbacTokenCreate: " + chain + " rules[7]: create serviceaccounts/token (cluster-wide)",
          "rbacDefaultServiceAccount: runs as the default ServiceAccount, which holds a "
          "binding: " +
              chain}));
}

TEST(Controls, ClusterAdminByNameCountsEvenWhenTheRoleIsNotInTheFiles) {
  RbacGraph g;
  g.put_binding(binding(
      "kind: RoleBinding\nmetadata: {name: admin, namespace: shop}\nroleRef: {kind: ClusterRole, "
      "name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: web}]"));
  const auto findings = judge_permissions(g.permissions_of({"shop", "web"}), {"rbacClusterAdmin"});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(
      findings[0].message,
      "RoleBinding/shop/admin -> ClusterRole/cluster-admin rules[0]: * * (in namespace shop)");
}

TEST(Controls, OnlyTheControlsListedAreJudgedAndAWildcardSaysWhere) {
  RbacGraph g;
  g.put_role(
      role("kind: Role\nmetadata: {name: ops, namespace: shop}\nrules: [{verbs: ['*'], "
           "apiGroups: [''], resources: [configmaps]}]"));
  g.put_binding(
      binding("kind: RoleBinding\nmetadata: {name: ops, namespace: shop}\nroleRef: "
              "{kind: Role, name: ops}\nsubjects: [{kind: ServiceAccount, name: web}]"));
  const auto p = g.permissions_of({"shop", "web"});
  EXPECT_TRUE(judge_permissions(p, {"rbacSecretsRead"}).empty());
  const auto f = judge_permissions(p, {"rbacWildcard"});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].message,
            "RoleBinding/shop/ops -> Role/shop/ops rules[0]: * in verbs (in namespace shop)");
}

TEST(Controls, ManyGrantingRulesAreCappedWithACount) {
  RbacGraph g;
  Role r;
  r.name = "many";
  for (int i = 0; i < 8; ++i) r.rules.push_back(rule({"get"}, {""}, {"secrets"}));
  g.put_role(r);
  g.put_binding(
      binding("kind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: "
              "ClusterRole, name: many}\nsubjects: [{kind: ServiceAccount, name: a, "
              "namespace: ns}]"));
  const auto f = judge_permissions(g.permissions_of({"ns", "a"}), {"rbacSecretsRead"});
  ASSERT_EQ(f.size(), kMaxFindingsPerControl + 1);
  EXPECT_EQ(f.back().message, "and 3 more rules that read Secrets");
}

TEST(Changes, NameExactlyTheAccountsTheyAffect) {
  RbacGraph g;
  Affected a = g.put_binding(binding(
      "kind: RoleBinding\nmetadata: {name: b, namespace: shop}\nroleRef: {kind: Role, name: r}\n"
      "subjects: [{kind: ServiceAccount, name: web}, {kind: Group, name: "
      "'system:serviceaccounts:batch'}, {kind: User, name: alice}]"));
  EXPECT_FALSE(a.all);
  EXPECT_EQ(a.accounts, (std::set<Account>{{"shop", "web"}}));
  EXPECT_EQ(a.namespaces, std::set<std::string>{"batch"});
  // The role it refers to appearing affects the same accounts; a role nobody binds, none.
  a = g.put_role(role("kind: Role\nmetadata: {name: r, namespace: shop}\nrules: []"));
  EXPECT_TRUE(a.contains({"shop", "web"}));
  EXPECT_TRUE(a.contains({"batch", "anyone"}));
  EXPECT_FALSE(a.contains({"shop", "api"}));
  EXPECT_TRUE(
      g.put_role(role("kind: Role\nmetadata: {name: s, namespace: shop}\nrules: []")).empty());
  // The same rules again (a label changed): nobody.
  EXPECT_TRUE(g.put_role(role("kind: Role\nmetadata: {name: r, namespace: shop, labels: {a: b}}\n"
                              "rules: []"))
                  .empty());
  // Removing the binding affects what it named.
  a = g.remove_binding(false, "shop", "b");
  EXPECT_TRUE(a.contains({"shop", "web"}));
  EXPECT_TRUE(g.permissions_of({"shop", "web"}).grants.empty());
}

}  // namespace
}  // namespace bulwark::rbac
