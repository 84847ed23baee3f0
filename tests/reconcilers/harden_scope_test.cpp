// Where Harden applies: what the admission policy cannot tell from a pod makes it do less.
#include "reconcilers/harden_scope.h"

#include <gtest/gtest.h>

#include "operator/document/reader.h"
#include "operator/posture/engine.h"
#include "reconcilers/policy_status.h"

namespace bulwark::reconcilers {
namespace {

using std::chrono::hours;

crds::SecurityPolicySpec spec_of(const std::string& json) {
  auto parsed = crds::parse_security_policy(document::parse_json(
      R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":"p"},)"
      R"("spec":)" +
      json + "}"));
  EXPECT_TRUE(parsed.ok());
  return parsed.policy.spec;
}

const NamespaceLabels kNamespaces = {{"shop", {{"team", "a"}}},
                                     {"web", {{"team", "b"}}},
                                     {"kube-system", {}},
                                     {"bulwark-system", {}}};
const auto kNow = std::chrono::system_clock::time_point{} + hours(1000);

HardenScope scope_of(const crds::SecurityPolicySpec& spec) {
  return harden_scope(spec, posture::PolicyEvaluator(spec).pss_controls(), kNamespaces,
                      {"bulwark-system"}, kNow);
}

const std::vector<std::string> kAll = {"capabilities_restricted", "allowPrivilegeEscalation",
                                       "runAsNonRoot", "seccompProfile_restricted"};

TEST(HardenScope, EverySelectedNamespaceButNeverTouchedOnesGetsTheFixesInForce) {
  const auto scope =
      scope_of(spec_of(R"({"enforcement":{"mode":"Enforce","actions":["Harden"]}})"));
  EXPECT_TRUE(scope.reason.empty());
  ASSERT_EQ(scope.namespaces.size(), 2u);  // kube-system is excluded by default
  EXPECT_EQ(scope.namespaces.at("shop"), kAll);
  EXPECT_EQ(scope.namespaces.count("bulwark-system"), 0u);
  const auto selected = scope_of(spec_of(R"({"match":{"namespaceSelector":{"matchLabels":)"
                                         R"({"team":"b"}}}})"));
  EXPECT_EQ(selected.namespaces.size(), 1u);
  EXPECT_EQ(selected.namespaces.count("web"), 1u);
}

TEST(HardenScope, WhatAPodCannotShowMakesItHardenNowhere) {
  EXPECT_FALSE(scope_of(spec_of(R"({"match":{"kinds":["Deployment"]}})")).reason.empty());
  EXPECT_FALSE(scope_of(spec_of(R"({"match":{"workloadSelector":{"matchLabels":{"a":"b"}}}})"))
                   .reason.empty());
  const auto none = scope_of(spec_of(R"({"match":{"namespaceSelector":{"matchLabels":)"
                                     R"({"team":"nobody"}}}})"));
  EXPECT_NE(none.reason.find("no namespace it selects"), std::string::npos);
  NamespaceLabels many;
  for (std::size_t i = 0; i <= kMaxHardenNamespaces; ++i)
    many.push_back({"ns-" + std::to_string(i), {}});
  const auto spec = spec_of("{}");
  const auto too_many =
      harden_scope(spec, posture::PolicyEvaluator(spec).pss_controls(), many, {}, kNow);
  EXPECT_TRUE(too_many.namespaces.empty());
  EXPECT_NE(too_many.reason.find("more than the 2000"), std::string::npos);
  const auto baseline = scope_of(spec_of(R"({"podSecurity":{"level":"baseline"}})"));
  EXPECT_NE(baseline.reason.find("no control that has a fix"), std::string::npos);
  EXPECT_TRUE(baseline.namespaces.empty());
}

TEST(HardenScope, AnActiveExemptionTakesItsControlsOutOfItsNamespacesUntilItLapses) {
  const auto spec =
      spec_of(R"({"exemptions":[{"name":"legacy","namespaces":["shop"],)"
              R"("workloadSelector":{"matchLabels":{"app":"old"}},"controls":["runAsNonRoot"],)"
              R"("expires":"1970-02-12T00:00:00Z","reason":"r"},)"
              R"({"name":"all","namespaces":["web"],"reason":"r"}]})");
  const auto scope = scope_of(spec);
  EXPECT_EQ(scope.namespaces.at("shop"),
            (std::vector<std::string>{"capabilities_restricted", "allowPrivilegeEscalation",
                                      "seccompProfile_restricted"}));
  EXPECT_EQ(scope.namespaces.count("web"), 0u);  // every control exempted
  ASSERT_TRUE(scope.next_change.has_value());
  const auto lapsed = harden_scope(spec, posture::PolicyEvaluator(spec).pss_controls(), kNamespaces,
                                   {}, *scope.next_change);
  EXPECT_EQ(lapsed.namespaces.at("shop"), kAll);
}

TEST(HardenScope, TheConditionSaysWhatTheApiServerDoes) {
  HardenScope scope;
  scope.namespaces["shop"] = {"runAsNonRoot"};
  EXPECT_EQ(harden_condition(HardenInstall::kInstalled, scope).reason, "Hardening");
  EXPECT_EQ(harden_condition(HardenInstall::kNotServed, scope).reason, "NotServed");
  EXPECT_EQ(harden_condition(HardenInstall::kNotInstalled, scope).status,
            kube::ConditionStatus::kFalse);
  EXPECT_EQ(harden_condition(HardenInstall::kUnknown, scope).status,
            kube::ConditionStatus::kUnknown);
  scope.reason = "match.kinds narrows the kinds";
  EXPECT_EQ(harden_condition(HardenInstall::kInstalled, scope).reason, "Nowhere");
}

TEST(HardenScope, TheStatusReadsBackAsWritten) {
  PolicyStatus status;
  status.harden = PolicyStatus::Harden{4, {{"shop", {"runAsNonRoot"}}}};
  const auto back =
      PolicyStatus::from_value(&*std::make_unique<document::Value>(status.to_value()));
  ASSERT_TRUE(back.harden.has_value());
  EXPECT_EQ(*back.harden, *status.harden);
  EXPECT_TRUE(back.same_as(status));
}

}  // namespace
}  // namespace bulwark::reconcilers
