// Whether bulwark-quarantine isolates a workload's labelled pods: NetworkPolicies add up, so any
// rule of another policy that selects them reopens them, and one Bulwark cannot judge is told too.
#include "reconcilers/quarantine_hold.h"

#include <gtest/gtest.h>

#include "operator/document/reader.h"
#include "reconcilers/managed_network_policy.h"
#include "reconcilers/ownership.h"
#include "tests/fakes/fake_cache.h"

namespace bulwark::reconcilers {
namespace {

class QuarantineHold : public ::testing::Test {
 protected:
  void SetUp() override {
    auto np = ManagedNetworkPolicyReconciler::desired(ManagedPolicyKind::kQuarantine, "shop", false,
                                                      {{"enforce", "uid-enforce"}});
    np.child("metadata").set("uid", document::Value::string("q-uid"));
    network_policies_.put(np);
    ownership_.record("q-uid");
  }
  void policy(const std::string& name, const std::string& spec) {
    network_policies_.put_json(R"({"metadata":{"name":")" + name +
                               R"(","namespace":"shop","uid":"u-)" + name + R"("},"spec":)" + spec +
                               "}");
  }
  // "reason detail", or "held".
  std::string gap(std::string_view kind = "Pod", crds::Labels labels = {{"app", "cart"}}) {
    const auto g = quarantine_not_held(network_policies_, ownership_, "shop", kind, labels);
    return g ? g->text() : "held";
  }
  // A Deployment labelled app=cart with one pod labelled `pod`.
  std::string pod_gap(crds::Labels pod) {
    const auto g = quarantine_not_held(network_policies_, ownership_, "shop", "Deployment",
                                       {{"app", "cart"}}, {pod});
    return g ? g->text() : "held";
  }
  testing::FakeCache policies_, network_policies_;
  OwnershipRecord ownership_{policies_};
};

TEST_F(QuarantineHold, HeldOnlyWhileBulwarksOwnPolicyIsInShape) {
  EXPECT_EQ(gap(), "held");
  network_policies_.erase("shop/bulwark-quarantine");
  EXPECT_EQ(gap(), "NotHeld");
}

TEST_F(QuarantineHold, AnyRuleOfAPolicySelectingTheLabelledPodsReopensThem) {
  policy("allow-all", R"({"podSelector":{},"ingress":[{}],"egress":[{}]})");
  EXPECT_EQ(gap(), "ReopenedBy ingress rule 1 of NetworkPolicy shop/allow-all");
  // Egress alone, even DNS alone: bulwark-quarantine admits nothing.
  policy("allow-all", R"({"podSelector":{},"policyTypes":["Egress"],)"
                      R"("egress":[{"ports":[{"port":53,"protocol":"UDP"}]}]})");
  EXPECT_EQ(gap(), "ReopenedBy egress rule 1 of NetworkPolicy shop/allow-all");
  // A rule naming pods that do not exist yet admits whoever a namespace user labels so.
  policy("allow-all", R"({"podSelector":{"matchLabels":{"bulwark.dev/quarantine":"true"}},)"
                      R"("ingress":[{"from":[{"podSelector":{"matchLabels":{"x":"z"}}}]}]})");
  EXPECT_EQ(gap(), "ReopenedBy ingress rule 1 of NetworkPolicy shop/allow-all");
}

TEST_F(QuarantineHold, APodsOwnLabelsCountBesideItsTemplates) {
  // Labelled by hand (or by a webhook, or from an older template): the template does not show it.
  policy("open", R"({"podSelector":{"matchLabels":{"open":"1"}},"ingress":[{}],"egress":[{}]})");
  EXPECT_EQ(pod_gap({{"app", "cart"}}), "held");
  EXPECT_EQ(pod_gap({{"app", "cart"}, {"open", "1"}}),
            "ReopenedBy ingress rule 1 of NetworkPolicy shop/open");
}

TEST_F(QuarantineHold, PoliciesThatAdmitNothingOrSelectOtherPodsLeaveItHeld) {
  policy("deny-all", R"({"podSelector":{},"policyTypes":["Ingress","Egress"]})");
  // Ingress rules under policyTypes [Egress] are not in force.
  policy("egress-only", R"({"podSelector":{},"policyTypes":["Egress"],"ingress":[{}]})");
  policy("web", R"({"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{}]})");
  policy("unquarantined", R"({"podSelector":{"matchExpressions":[{"key":"bulwark.dev/)"
                          R"(quarantine","operator":"DoesNotExist"}]},"ingress":[{}]})");
  EXPECT_EQ(gap(), "held");
}

TEST_F(QuarantineHold, WhatBulwarkCannotJudgeIsNotCountedAsHeld) {
  // An operator newer than Bulwark: it used to be skipped, and the pods counted as quarantined.
  policy("newer", R"({"podSelector":{"matchExpressions":[{"key":"app","operator":"Gt",)"
                  R"("values":["1"]}]},"ingress":[{}]})");
  EXPECT_EQ(gap().rfind("MayBeReopenedBy NetworkPolicy shop/newer, which Bulwark cannot read (", 0),
            0u);
  // A pod's own labels are known: the one carrying that value is reopened.
  network_policies_.erase("shop/newer");
  policy("by-hash", R"({"podSelector":{"matchLabels":{"pod-template-hash":"7d9f"}},)"
                    R"("ingress":[{}]})");
  EXPECT_EQ(pod_gap({{"app", "cart"}, {"pod-template-hash", "7d9f"}}),
            "ReopenedBy ingress rule 1 of NetworkPolicy shop/by-hash");
  EXPECT_EQ(pod_gap({{"app", "cart"}, {"pod-template-hash", "1111"}}),
            "MayBeReopenedBy ingress rule 1 of NetworkPolicy shop/by-hash, which selects pods by "
            "the value of pod-template-hash, which the Deployment's controller sets");
  // A Deployment's pods carry pod-template-hash, whose value the template does not hold.
  network_policies_.erase("shop/newer");
  policy("by-hash", R"({"podSelector":{"matchLabels":{"pod-template-hash":"7d9f"}},)"
                    R"("ingress":[{}]})");
  EXPECT_EQ(
      gap("Deployment"),
      "MayBeReopenedBy ingress rule 1 of NetworkPolicy shop/by-hash, which selects pods by the "
      "value of pod-template-hash, which the Deployment's controller sets");
  EXPECT_EQ(gap("Pod"), "held");  // a Pod's own labels are all known
  // That it exists is known: Exists selects every pod of a Deployment.
  policy("any-hash", R"({"podSelector":{"matchExpressions":[{"key":"pod-template-hash",)"
                     R"("operator":"Exists"}]},"ingress":[{}]})");
  EXPECT_EQ(gap("Deployment"), "ReopenedBy ingress rule 1 of NetworkPolicy shop/any-hash");
}

}  // namespace
}  // namespace bulwark::reconcilers
