// Namespace findings: which NetworkPolicies isolate every pod, and which selected namespaces have
// none (reported in Audit, where Bulwark creates nothing).
#include "reconcilers/namespace_findings.h"

#include <gtest/gtest.h>

#include "operator/document/reader.h"
#include "reconcilers/managed_network_policy.h"
#include "tests/fakes/fake_cache.h"

namespace bulwark::reconcilers {
namespace {

using document::parse_json;

TEST(NamespaceFindings, WhatIsolatesEveryPod) {
  auto np = [](const std::string& spec) {
    return parse_json(R"({"metadata":{"name":"x","namespace":"shop"},"spec":)" + spec + "}");
  };
  EXPECT_TRUE(isolates_every_pod(np(R"({"podSelector":{},"policyTypes":["Ingress","Egress"]})")));
  // Bulwark's default-deny leaves out the quarantined pods: alone it isolates not every pod.
  EXPECT_FALSE(isolates_every_pod(ManagedNetworkPolicyReconciler::desired(
      ManagedPolicyKind::kDefaultDeny, "shop", true, {{"p", "u"}})));
  EXPECT_TRUE(isolates_every_pod(np(R"({"podSelector":{},"policyTypes":["Egress","Ingress"],)"
                                    R"("egress":[{"ports":[{"port":53,"protocol":"UDP"}]}]})")));
  EXPECT_FALSE(isolates_every_pod(np(R"({"podSelector":{},"policyTypes":["Ingress"]})")));
  EXPECT_FALSE(isolates_every_pod(
      np(R"({"podSelector":{"matchLabels":{"app":"a"}},"policyTypes":["Ingress","Egress"]})")));
  EXPECT_FALSE(isolates_every_pod(
      np(R"({"podSelector":{},"policyTypes":["Ingress","Egress"],"ingress":[{}]})")));
  EXPECT_FALSE(isolates_every_pod(np(R"({"podSelector":{},"policyTypes":["Ingress","Egress"],)"
                                     R"("egress":[{"ports":[{"port":443}]}]})")));
  EXPECT_FALSE(isolates_every_pod(
      np(R"({"podSelector":{},"policyTypes":["Ingress","Egress"],"egress":[{}]})")));
}

TEST(NamespaceFindings, SelectedNamespacesWithoutDefaultDenyAreNamed) {
  crds::SecurityPolicySpec spec;
  spec.network.default_deny = true;
  spec.match.namespace_selector.match_labels = {{"env", "prod"}};
  testing::FakeCache namespaces, nps;
  namespaces.put_json(R"({"metadata":{"name":"shop","labels":{"env":"prod"}}})");
  namespaces.put_json(R"({"metadata":{"name":"pay","labels":{"env":"prod"}}})");
  namespaces.put_json(R"({"metadata":{"name":"lab","labels":{"env":"dev"}}})");
  EXPECT_EQ(default_deny_findings(spec, namespaces, nps, std::nullopt).namespaces,
            (std::vector<std::string>{"pay", "shop"}));
  // Any NetworkPolicy that isolates every pod counts, not only Bulwark's own.
  nps.put_json(R"({"metadata":{"name":"mine","namespace":"pay"},)"
               R"("spec":{"podSelector":{},"policyTypes":["Ingress","Egress"]}})");
  const auto findings = default_deny_findings(spec, namespaces, nps, std::nullopt);
  EXPECT_TRUE(findings.judged);
  EXPECT_EQ(findings.namespaces, std::vector<std::string>{"shop"});
  EXPECT_FALSE(findings.not_evaluated);
  // A namespace user's allow-all beside the deny-all reopens every pod: not isolated. An allow of
  // DNS only, or a policy that only isolates, does not.
  nps.put_json(R"({"metadata":{"name":"dns","namespace":"pay"},"spec":{"podSelector":{},)"
               R"("policyTypes":["Egress"],"egress":[{"ports":[{"port":53,"protocol":"UDP"}]}]}})");
  nps.put_json(R"({"metadata":{"name":"closed","namespace":"pay"},"spec":{"podSelector":)"
               R"({"matchLabels":{"app":"db"}},"policyTypes":["Ingress"]}})");
  EXPECT_EQ(default_deny_findings(spec, namespaces, nps, std::nullopt).namespaces,
            std::vector<std::string>{"shop"});
  nps.put_json(R"({"metadata":{"name":"open","namespace":"pay"},"spec":{"podSelector":{},)"
               R"("policyTypes":["Ingress","Egress"],"ingress":[{}],"egress":[{}]}})");
  EXPECT_EQ(default_deny_findings(spec, namespaces, nps, std::nullopt).namespaces,
            (std::vector<std::string>{"pay", "shop"}));
  // Bulwark's default-deny shape counts only beside a policy that isolates the quarantined pods:
  // alone, anyone who may label a pod bulwark.dev/quarantine=true steps out of it.
  nps.put(ManagedNetworkPolicyReconciler::desired(ManagedPolicyKind::kDefaultDeny, "shop", true,
                                                  {{"p", "u"}}));
  EXPECT_EQ(default_deny_findings(spec, namespaces, nps, std::nullopt).namespaces,
            (std::vector<std::string>{"pay", "shop"}));
  nps.put(ManagedNetworkPolicyReconciler::desired(ManagedPolicyKind::kQuarantine, "shop", true,
                                                  {{"p", "u"}}));
  EXPECT_EQ(default_deny_findings(spec, namespaces, nps, std::nullopt).namespaces,
            std::vector<std::string>{"pay"});
  spec.network.default_deny = false;
  EXPECT_FALSE(default_deny_findings(spec, namespaces, nps, std::nullopt).judged);
  spec.network.default_deny = true;
  spec.enforcement.mode = crds::EnforcementMode::kEnforce;  // Bulwark keeps default-deny then
  EXPECT_FALSE(default_deny_findings(spec, namespaces, nps, std::nullopt).judged);
}

// What Bulwark may no longer read it does not judge: no namespace is named, and none is called
// isolated either; the reason is said instead.
TEST(NamespaceFindings, UnreadableInputsLeaveThemNotEvaluated) {
  crds::SecurityPolicySpec spec;
  spec.network.default_deny = true;
  testing::FakeCache namespaces, nps;
  namespaces.put_json(R"({"metadata":{"name":"shop"}})");
  const auto findings = default_deny_findings(
      spec, namespaces, nps, "Bulwark's ServiceAccount may not list networkpolicies");
  EXPECT_TRUE(findings.judged);
  EXPECT_TRUE(findings.namespaces.empty());
  EXPECT_EQ(findings.not_evaluated, "Bulwark's ServiceAccount may not list networkpolicies");
}

}  // namespace
}  // namespace bulwark::reconcilers
