// The default-deny reconciler's pure parts: what it applies, and when it leaves things alone.
#include "reconcilers/managed_network_policy.h"

#include <gtest/gtest.h>

#include <sstream>
#include <tuple>

#include "operator/document/reader.h"
#include "operator/runtime/projection.h"
#include "reconcilers/policy_set.h"

namespace bulwark::reconcilers {
namespace {

document::Value parse(const std::string& json) {
  std::istringstream in(json);
  document::Value v;
  document::make_json_reader(in)->next(v);
  return v;
}

const std::vector<std::pair<std::string, std::string>> kOwners = {{"prod", "uid-1"}};
constexpr auto kDeny = ManagedPolicyKind::kDefaultDeny;
constexpr auto kQuarantine = ManagedPolicyKind::kQuarantine;

TEST(ManagedNetworkPolicy, DesiredIsUpToDateWithItself) {
  for (bool dns : {true, false}) {
    const auto v = parse(ManagedNetworkPolicyReconciler::desired(kDeny, "shop", dns, kOwners));
    EXPECT_TRUE(ManagedNetworkPolicyReconciler::up_to_date(kDeny, v, dns, kOwners)) << dns;
    EXPECT_FALSE(ManagedNetworkPolicyReconciler::up_to_date(kDeny, v, !dns, kOwners)) << dns;
    EXPECT_EQ(v.find({"metadata", "namespace"})->str(), "shop");
    EXPECT_EQ(v.find({"metadata", "ownerReferences"})->items[0].find("uid")->str(), "uid-1");
  }
}

TEST(ManagedNetworkPolicy, AnyDriftIsNotUpToDate) {
  const std::string base = ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, kOwners);
  auto drifted = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), to);
    return !ManagedNetworkPolicyReconciler::up_to_date(kDeny, parse(s), true, kOwners);
  };
  EXPECT_TRUE(drifted(R"("podSelector":{})", R"("podSelector":{"matchLabels":{"a":"b"}})"));
  EXPECT_TRUE(drifted(R"("ingress":[])", R"("ingress":[{}])"));
  EXPECT_TRUE(drifted(R"(["Ingress","Egress"])", R"(["Ingress"])"));
  EXPECT_TRUE(drifted(R"("port":53},{"protocol":"TCP")", R"("port":54},{"protocol":"TCP")"));
  EXPECT_TRUE(drifted(R"("app.kubernetes.io/managed-by":"bulwark")", R"("team":"x")"));
  EXPECT_TRUE(drifted(R"("uid":"uid-1")", R"("uid":"other")"));
  // Server defaults and field order do not count as drift.
  EXPECT_FALSE(
      drifted(R"("policyTypes":["Ingress","Egress"])", R"("policyTypes":["Egress","Ingress"])"));
}

TEST(ManagedNetworkPolicy, QuarantineSelectsLabelledPodsAndDeniesEverything) {
  const auto v = parse(ManagedNetworkPolicyReconciler::desired(kQuarantine, "shop", true, kOwners));
  EXPECT_EQ(v.find({"metadata", "name"})->str(), "bulwark-quarantine");
  EXPECT_EQ(v.find({"spec", "podSelector", "matchLabels", "bulwark.dev/quarantine"})->str(),
            "true");
  EXPECT_TRUE(v.find({"spec", "egress"})->items.empty());  // no DNS for quarantined pods
  EXPECT_TRUE(ManagedNetworkPolicyReconciler::up_to_date(kQuarantine, v, true, kOwners));
  EXPECT_FALSE(ManagedNetworkPolicyReconciler::up_to_date(kDeny, v, true, kOwners));
  const auto deny = parse(ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, kOwners));
  EXPECT_FALSE(ManagedNetworkPolicyReconciler::up_to_date(kQuarantine, deny, true, kOwners));
}

TEST(ManagedNetworkPolicy, NamespaceSelection) {
  crds::SecurityPolicySpec spec;
  spec.match.namespace_selector.match_labels = {{"env", "prod"}};
  EXPECT_TRUE(selects_namespace(spec, "shop", {{"env", "prod"}}));
  EXPECT_FALSE(selects_namespace(spec, "shop", {{"env", "dev"}}));
  EXPECT_FALSE(selects_namespace(spec, "kube-system", {{"env", "prod"}}));
}

}  // namespace
}  // namespace bulwark::reconcilers

#include "reconcilers/security_policy_reconciler.h"

namespace bulwark::reconcilers {
namespace {

TEST(SecurityPolicyStatus, ReadyConditionNamesEveryFieldAtFault) {
  auto ok = SecurityPolicyReconciler::ready_condition({});
  EXPECT_EQ(ok.status, "True");
  EXPECT_EQ(ok.reason, "Reconciled");
  EXPECT_EQ(ok.message, "");
  auto bad =
      SecurityPolicyReconciler::ready_condition({{"spec.a", "is wrong"}, {"spec.b", "is worse"}});
  EXPECT_EQ(bad.status, "False");
  EXPECT_EQ(bad.reason, "InvalidSpec");
  EXPECT_EQ(bad.message, "spec.a: is wrong; spec.b: is worse");
}

}  // namespace
}  // namespace bulwark::reconcilers

namespace bulwark::reconcilers {
namespace {

TEST(ExpiredExemptions, OnlyThoseNotAfterNowAreNamed) {
  crds::SecurityPolicySpec spec;
  const auto now = std::chrono::system_clock::from_time_t(1800000000);
  spec.exemptions.push_back({"open-ended", {}, {}, {}, std::nullopt, ""});
  spec.exemptions.push_back({"past", {}, {}, {}, now - std::chrono::seconds(1), ""});
  spec.exemptions.push_back({"future", {}, {}, {}, now + std::chrono::hours(1), ""});
  const auto errors = expired_exemptions(spec, now);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "spec.exemptions[1].expires");
  EXPECT_NE(errors[0].message.find("past"), std::string::npos);
}

TEST(ExpiredExemptions, StatusMarksTheGenerationInvalidForEveryReconciler) {
  runtime::Informer policies(runtime::project_spec);
  policies.upsert(document::parse_json(
      R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":"late",)"
      R"("uid":"u","resourceVersion":"2","generation":3},"spec":{},"status":{"conditions":[)"
      R"({"type":"Ready","status":"False","reason":"ExpiredExemption","observedGeneration":3}]}})"));
  auto loaded = load_policies(policies, std::chrono::system_clock::now());
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_FALSE(loaded[0].active());
  // A new generation is judged afresh.
  policies.upsert(document::parse_json(
      R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":"late",)"
      R"("uid":"u","resourceVersion":"3","generation":4},"spec":{},"status":{"conditions":[)"
      R"({"type":"Ready","status":"False","reason":"ExpiredExemption","observedGeneration":3}]}})"));
  EXPECT_TRUE(load_policies(policies, std::chrono::system_clock::now())[0].active());
}

}  // namespace
}  // namespace bulwark::reconcilers

#include "reconcilers/namespace_findings.h"
#include "tests/base/fake_clock.h"
#include "tests/kube/fake_transport.h"

namespace bulwark::reconcilers {
namespace {

class CountedEvents : public EventRecorder {
 public:
  void record(const ObjectRef&, const std::string&, const std::string& reason,
              const std::string&) override {
    reasons.push_back(reason);
  }
  std::vector<std::string> reasons;
};

// One namespace "shop", one policy "p" (uid "u") in the given mode, and the default-deny
// reconciler over them with a scripted API server.
struct DenyFixture {
  explicit DenyFixture(const std::string& mode)
      : transport_owner(std::make_unique<testing::FakeTransport>()),
        transport(*transport_owner),
        client(std::move(transport_owner), {}, clock),
        set(policies, clock),
        reconciler(kDeny, client, {namespaces, nps, set}, events, clock, {}) {
    namespaces.upsert(parse(R"({"metadata":{"name":"shop","resourceVersion":"1"}})"));
    policies.upsert(parse(
        R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":"p",)"
        R"("uid":"u","resourceVersion":"1","generation":1},"spec":{"enforcement":{"mode":")" +
        mode + R"("}},"status":{"observedGeneration":1}})"));
  }
  testing::FakeClock clock;
  std::unique_ptr<testing::FakeTransport> transport_owner;
  testing::FakeTransport& transport;
  kube::KubeClient client;
  runtime::Informer namespaces{runtime::project_workload}, nps{runtime::project_spec},
      policies{runtime::project_spec};
  PolicySet set;
  CountedEvents events;
  ManagedNetworkPolicyReconciler reconciler;
};

TEST(ManagedNetworkPolicy, ACacheBehindItsOwnWriteGetsNoSecondApplyUntilTheWindowEnds) {
  DenyFixture f("Enforce");
  auto [clock, api, nps, events, r] = std::tie(f.clock, f.transport, f.nps, f.events, f.reconciler);

  api.respond(200, R"({"metadata":{"uid":"np-1"}})");
  EXPECT_FALSE(r.reconcile("shop").requeue_after.has_value());
  ASSERT_EQ(api.requests.size(), 1u);
  EXPECT_EQ(api.requests[0].method, "PATCH");  // server-side apply
  // The watch has not delivered the object yet: no second apply, a look again later instead.
  const auto again = r.reconcile("shop");
  EXPECT_EQ(api.requests.size(), 1u);
  ASSERT_TRUE(again.requeue_after.has_value());
  // Past the window with the cache still empty (the event was lost), it is applied again.
  clock.advance(*again.requeue_after);
  api.respond(200, R"({"metadata":{"uid":"np-1"}})");
  r.reconcile("shop");
  EXPECT_EQ(api.requests.size(), 2u);
  // Seen in the cache, then deleted by a user: restored, with one DriftRepaired.
  nps.upsert(parse(ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, {{"p", "u"}})));
  EXPECT_FALSE(r.reconcile("shop").requeue_after.has_value());  // up to date: no write
  EXPECT_EQ(api.requests.size(), 2u);
  nps.remove(parse(ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, {{"p", "u"}})));
  api.respond(200, R"({"metadata":{"uid":"np-2"}})");
  r.reconcile("shop");
  r.reconcile("shop");
  EXPECT_EQ(api.requests.size(), 3u);
  EXPECT_EQ(events.reasons, std::vector<std::string>{"DriftRepaired"});
}

// Issue 11 item 1: Audit changes nothing. A policy in Audit wants no default-deny (and one it
// created in Enforce goes when it returns to Audit); the namespace is reported instead.
TEST(ManagedNetworkPolicy, AuditCreatesNothingAndRemovesWhatEnforceCreated) {
  DenyFixture f("Audit");
  auto [api, namespaces, nps, set, r] =
      std::tie(f.transport, f.namespaces, f.nps, f.set, f.reconciler);
  r.reconcile("shop");
  EXPECT_TRUE(api.requests.empty());
  EXPECT_EQ(namespaces_without_default_deny(set.current()->at(0).policy.spec, namespaces, nps),
            std::vector<std::string>{"shop"});
  // What an Enforce generation left behind is removed.
  nps.upsert(parse(ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, {{"p", "u"}})));
  api.respond(200, "{}");
  r.reconcile("shop");
  ASSERT_EQ(api.requests.size(), 1u);
  EXPECT_EQ(api.requests[0].method, "DELETE");
}

TEST(NamespaceFindings, WhatIsolatesEveryPod) {
  auto np = [](const std::string& spec) {
    return parse(R"({"metadata":{"name":"x","namespace":"shop"},"spec":)" + spec + "}");
  };
  EXPECT_TRUE(isolates_every_pod(np(R"({"podSelector":{},"policyTypes":["Ingress","Egress"]})")));
  EXPECT_TRUE(isolates_every_pod(
      parse(ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, {{"p", "u"}}))));
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

}  // namespace
}  // namespace bulwark::reconcilers
