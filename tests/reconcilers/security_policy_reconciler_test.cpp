// The SecurityPolicy reconciler against the shared fakes: the cleanup finalizer, and the status
// (conditions with meta.SetStatusCondition's semantics, the summary, no write when converged).
#include "reconcilers/security_policy_reconciler.h"

#include <gtest/gtest.h>

#include <set>

#include "operator/base/time_text.h"
#include "operator/document/json_writer.h"
#include "operator/document/reader.h"
#include "reconcilers/input_access.h"
#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_cache.h"
#include "tests/fakes/fake_event_recorder.h"
#include "tests/fakes/fake_object_writer.h"
#include "tests/fakes/fake_status_writer.h"

namespace bulwark::reconcilers {
namespace {

using document::Value;
using kube::ConditionStatus;
using posture::Posture;
using testing::WriteCall;

TEST(SecurityPolicyStatus, ReadyConditionNamesEveryFieldAtFault) {
  auto ok = SecurityPolicyReconciler::ready_condition({});
  EXPECT_EQ(ok.status, ConditionStatus::kTrue);
  EXPECT_EQ(ok.reason, policy_reasons::kReconciled);
  EXPECT_EQ(ok.message, "");
  auto bad =
      SecurityPolicyReconciler::ready_condition({{"spec.a", "is wrong"}, {"spec.b", "is worse"}});
  EXPECT_EQ(bad.status, ConditionStatus::kFalse);
  EXPECT_EQ(bad.reason, policy_reasons::kInvalidSpec);
  EXPECT_EQ(bad.message, "spec.a: is wrong; spec.b: is worse");
}

TEST(SecurityPolicyStatus, CompliantConditionCountsWorkloads) {
  PolicySummary s;
  s.workloads = 4;
  s.violating = 2;
  auto c = SecurityPolicyReconciler::compliant_condition(true, s);
  EXPECT_EQ(c.status, ConditionStatus::kFalse);
  EXPECT_EQ(c.reason, policy_reasons::kViolationsFound);
  EXPECT_EQ(c.message, "2 workloads violate");
  s.violating = 0;
  s.exempt = 1;
  c = SecurityPolicyReconciler::compliant_condition(true, s);
  EXPECT_EQ(c.status, ConditionStatus::kTrue);
  EXPECT_EQ(c.message, "4 workloads comply (1 exempt)");
  EXPECT_EQ(SecurityPolicyReconciler::compliant_condition(false, s).status,
            ConditionStatus::kUnknown);
}

class PolicyReconcilerTest : public ::testing::Test {
 protected:
  PolicyReconcilerTest()
      : reconciler_(writer_, status_writer_,
                    {policies_, namespaces_, workload_caches(), network_policies_, &access_}, book_,
                    clock_, false, [this] { return book_complete_; },
                    {"kube-system", "bulwark-system"}) {
    namespaces_.put_json(R"({"metadata":{"name":"shop","labels":{"env":"prod"}}})");
    reconciler_.set_events(&events_);
    reconciler_.set_ownership(&ownership_);
  }

  WorkloadCaches workload_caches() {
    std::map<std::string_view, const runtime::CacheReader*> by_resource;
    for (const auto& w : kWorkloadKinds) by_resource[w.resource] = &workloads_[w.resource];
    return WorkloadCaches(by_resource);
  }

  // A policy as the cache holds it; `status` is the status JSON already written, if any.
  void policy(const std::string& spec, const std::string& meta_extra = "",
              const std::string& status = "", int generation = 1) {
    policies_.put_json(R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy",)"
                       R"("metadata":{"name":"p","uid":"uid-p","resourceVersion":"7",)"
                       R"("generation":)" +
                       std::to_string(generation) + meta_extra + R"(},"spec":)" + spec +
                       (status.empty() ? "" : R"(,"status":)" + status) + "}");
  }
  static constexpr const char* kFinalized = R"(,"finalizers":["bulwark.dev/cleanup"])";

  // The status written by one reconcile, or null when none was.
  std::optional<Value> reconcile_status() {
    status_writer_.take_calls();
    reconciler_.reconcile("p");
    auto calls = status_writer_.take_calls();
    if (calls.empty()) return std::nullopt;
    EXPECT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].name, "p");
    EXPECT_EQ(calls[0].object.find({"metadata", "resourceVersion"})->str(), "7");
    return *calls[0].status();
  }

  static const Value* condition(const Value& status, std::string_view type) {
    for (const auto& c : document::items_of(status.find("conditions"))) {
      if (c.find("type")->str() == type) return &c;
    }
    return nullptr;
  }

  testing::FakeClock clock_;
  testing::FakeObjectWriter writer_;
  testing::FakeStatusWriter status_writer_;
  testing::FakeEventRecorder events_;
  OwnershipRecord ownership_{policies_};
  testing::FakeCache policies_, namespaces_, network_policies_;
  std::map<std::string_view, testing::FakeCache> workloads_;
  PostureBook book_;
  bool book_complete_ = true;
  std::set<std::string> refused_;  // resources Bulwark may no longer list (after refresh())
  InputAccess access_{{{ControlInput::kNamespaces, &namespaces_},
                       {ControlInput::kNetworkPolicies, &network_policies_}},
                      [this](const std::string&, const kube::ResourceType& type) {
                        return std::optional<bool>(refused_.count(type.resource) == 0);
                      }};
  SecurityPolicyReconciler reconciler_;
};

TEST_F(PolicyReconcilerTest, ALivePolicyGetsTheFinalizerFirst) {
  policy("{}");
  const auto result = reconciler_.reconcile("p");
  EXPECT_FALSE(result.requeue_after);
  const auto calls = writer_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].verb, WriteCall::Verb::kMergePatch);
  EXPECT_EQ(calls[0].target(), "securitypolicies/p");
  EXPECT_EQ(calls[0].json(),
            R"({"metadata":{"resourceVersion":"7","finalizers":["bulwark.dev/cleanup"]}})");
  EXPECT_TRUE(status_writer_.calls().empty());  // the status follows the update through the cache
}

TEST_F(PolicyReconcilerTest, ADeletedPolicyKeepsItsFinalizerUntilEverythingIsReleased) {
  policy("{}", std::string(kFinalized) + R"(,"deletionTimestamp":"2026-11-28T00:00:00Z")");
  book_.put("Deployment/shop/cart",
            {"shop",
             "Deployment",
             "cart",
             {{"p", Posture::kViolating, {"privileged"}, crds::Severity::kHigh, true, {}}}});
  EXPECT_TRUE(reconciler_.reconcile("p").requeue_after.has_value());
  EXPECT_TRUE(writer_.calls().empty());
  // After a restart the book is empty: the workload's annotations still name the policy.
  book_.erase("Deployment/shop/cart");
  workloads_["deployments"].put_json(
      R"({"kind":"Deployment","metadata":{"name":"cart","namespace":"shop","uid":"d",)"
      R"("annotations":{"bulwark.dev/policies":"other,p"}},"spec":{}})");
  EXPECT_TRUE(reconciler_.reconcile("p").requeue_after.has_value());
  EXPECT_TRUE(writer_.calls().empty());
  // Released: the finalizer goes, other finalizers stay.
  workloads_["deployments"].erase("shop/cart");
  policy("{}", R"(,"finalizers":["example.com/keep","bulwark.dev/cleanup"],)"
               R"("deletionTimestamp":"2026-11-28T00:00:00Z")");
  EXPECT_FALSE(reconciler_.reconcile("p").requeue_after.has_value());
  const auto calls = writer_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].json(),
            R"({"metadata":{"resourceVersion":"7","finalizers":["example.com/keep"]}})");
  EXPECT_TRUE(status_writer_.calls().empty());
}

// The posture reconciler never acts in a never-touched namespace, so it never releases what carries
// the policy's annotations there: such a workload must not hold the finalizer forever.
TEST_F(PolicyReconcilerTest, AWorkloadInANeverTouchedNamespaceDoesNotHoldTheFinalizer) {
  policy("{}", std::string(kFinalized) + R"(,"deletionTimestamp":"2026-11-28T00:00:00Z")");
  workloads_["deployments"].put_json(
      R"({"kind":"Deployment","metadata":{"name":"dns","namespace":"kube-system","uid":"d",)"
      R"("annotations":{"bulwark.dev/policies":"p"}},"spec":{}})");
  EXPECT_FALSE(reconciler_.reconcile("p").requeue_after.has_value());
  const auto calls = writer_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].json(), R"({"metadata":{"resourceVersion":"7","finalizers":[]}})");
}

TEST_F(PolicyReconcilerTest, StatusIsWrittenOnceAndTransitionTimesMoveOnlyOnAFlip) {
  policy("{}", kFinalized);
  const auto first = reconcile_status();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->find("observedGeneration")->str(), "1");
  const Value* ready = condition(*first, "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->find("status")->str(), "True");
  EXPECT_EQ(ready->find("reason")->str(), "Reconciled");
  EXPECT_EQ(ready->find("observedGeneration")->str(), "1");
  const std::string ready_since(ready->find("lastTransitionTime")->str());
  EXPECT_EQ(condition(*first, "Compliant")->find("status")->str(), "True");
  EXPECT_EQ(first->find({"summary", "namespaces"})->str(), "1");
  EXPECT_EQ(first->find({"summary", "score"})->str(), "100");

  // The cache brings the write back: converged, nothing is written however often it runs.
  policy("{}", kFinalized, document::to_json(*first));
  clock_.advance(std::chrono::minutes(5));
  EXPECT_FALSE(reconcile_status().has_value());

  // A violation: Compliant flips and its time moves; Ready's does not.
  book_.put("Deployment/shop/cart",
            {"shop",
             "Deployment",
             "cart",
             {{"p", Posture::kViolating, {"privileged"}, crds::Severity::kHigh, false, {}}}});
  const auto second = reconcile_status();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(condition(*second, "Ready")->find("lastTransitionTime")->str(), ready_since);
  const Value* compliant = condition(*second, "Compliant");
  EXPECT_EQ(compliant->find("status")->str(), "False");
  EXPECT_EQ(compliant->find("reason")->str(), "ViolationsFound");
  EXPECT_NE(compliant->find("lastTransitionTime")->str(), ready_since);
  EXPECT_EQ(second->find({"summary", "violating"})->str(), "1");
  // The namespace finding first (network.defaultDeny defaults on, and in Audit nothing creates
  // one), then the workload.
  const auto& violations = second->find("violations")->items;
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(document::to_json(violations[0]),
            R"({"namespace":"shop","kind":"Namespace","name":"shop",)"
            R"("controls":["networkDefaultDeny"]})");
  EXPECT_EQ(document::to_json(violations[1]),
            R"({"namespace":"shop","kind":"Deployment","name":"cart","controls":["privileged"]})");
}

// While a posture pass has gone on for five seconds or more, a policy's status is written at most
// once each five seconds; otherwise (small passes, single changes) at once.
TEST_F(PolicyReconcilerTest, DuringALongPassTheStatusIsWrittenAtMostOnceEachFiveSeconds) {
  bool long_pass = false;
  reconciler_.set_pass_clock(
      [&](base::Clock::Duration d) { return long_pass && d <= std::chrono::seconds(5); });
  const auto violating = [&](const std::string& name) {
    book_.put("Deployment/shop/" + name,
              {"shop",
               "Deployment",
               name,
               {{"p", Posture::kViolating, {"privileged"}, crds::Severity::kHigh, false, {}}}});
  };
  policy("{}", kFinalized);
  auto written = reconcile_status();
  ASSERT_TRUE(written.has_value());
  policy("{}", kFinalized, document::to_json(*written));
  violating("a");  // no long pass: at once
  written = reconcile_status();
  ASSERT_TRUE(written.has_value());
  policy("{}", kFinalized, document::to_json(*written));
  long_pass = true;
  violating("b");
  status_writer_.take_calls();
  const auto result = reconciler_.reconcile("p");
  EXPECT_TRUE(status_writer_.take_calls().empty());
  ASSERT_TRUE(result.requeue_after.has_value());
  EXPECT_LE(*result.requeue_after, std::chrono::seconds(5));
  clock_.advance(*result.requeue_after);
  written = reconcile_status();
  ASSERT_TRUE(written.has_value());
  EXPECT_EQ(written->find({"summary", "violating"})->str(), "2");
}

TEST_F(PolicyReconcilerTest, AnInvalidSpecIsReadyFalseAndJudgesNothing) {
  policy(R"({"podSecurity":{"level":"sometimes"}})", kFinalized);
  book_.put("Deployment/shop/cart",
            {"shop",
             "Deployment",
             "cart",
             {{"p", Posture::kViolating, {"privileged"}, crds::Severity::kHigh, false, {}}}});
  const auto status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  const Value* ready = condition(*status, "Ready");
  EXPECT_EQ(ready->find("status")->str(), "False");
  EXPECT_EQ(ready->find("reason")->str(), "InvalidSpec");
  EXPECT_NE(ready->find("message")->str().find("spec.podSecurity.level"), std::string_view::npos);
  EXPECT_EQ(condition(*status, "Compliant")->find("status")->str(), "Unknown");
  EXPECT_EQ(status->find({"summary", "workloads"})->str(), "0");
  EXPECT_TRUE(status->find("violations")->items.empty());
}

// docs/api.md, Exemptions: a lapse ends that exemption only. The policy stays Ready (an edit to a
// policy still listing a lapsed exemption used to make it Ready=False and inactive), the message
// names each lapsed entry, one Warning Event tells of each lapse, and the policy is judged again at
// the next one.
TEST_F(PolicyReconcilerTest, ALapsedExemptionKeepsThePolicyReadyAndIsNamedOnce) {
  const auto next = clock_.wall_now() + std::chrono::seconds(60);
  const std::string spec =
      R"({"exemptions":[{"name":"old","controls":["privileged"],"reason":"r",)"
      R"("expires":"2026-01-01T00:00:00Z"},{"name":"soon","controls":["privileged"],)"
      R"("reason":"r","expires":")" +
      base::format_rfc3339(next) + R"("}]})";
  policy(spec, kFinalized, "", 2);  // a new generation, as after an edit
  status_writer_.take_calls();
  const auto result = reconciler_.reconcile("p");
  auto calls = status_writer_.take_calls();
  ASSERT_EQ(calls.size(), 1u);
  const Value status = *calls[0].status();
  const Value* ready = condition(status, "Ready");
  EXPECT_EQ(ready->find("status")->str(), "True");
  EXPECT_EQ(ready->find("reason")->str(), "ExpiredExemption");
  const std::string message(ready->find("message")->str());
  EXPECT_NE(message.find("old (spec.exemptions[0], expired 2026-01-01T00:00:00Z)"),
            std::string::npos);
  EXPECT_EQ(message.find("soon"), std::string::npos);
  EXPECT_EQ(condition(status, "Compliant")->find("status")->str(), "True");  // still judging
  ASSERT_TRUE(result.requeue_after.has_value());
  EXPECT_EQ(*result.requeue_after, std::chrono::seconds(61));
  ASSERT_EQ(events_.briefs(), std::vector<std::string>{"SecurityPolicy/p:ExemptionLapsed"});
  EXPECT_EQ(events_.events()[0].type, EventType::kWarning);

  // Written: nothing more to say until the next lapse.
  policy(spec, kFinalized, document::to_json(status), 2);
  events_.clear();
  EXPECT_FALSE(reconcile_status().has_value());
  EXPECT_TRUE(events_.events().empty());
  clock_.advance(std::chrono::seconds(61));
  const auto later = reconcile_status();
  ASSERT_TRUE(later.has_value());
  EXPECT_NE(std::string(condition(*later, "Ready")->find("message")->str()).find("soon"),
            std::string::npos);
  ASSERT_EQ(events_.events().size(), 1u);  // the new lapse only
  EXPECT_NE(events_.events()[0].message.find("soon"), std::string::npos);
}

// The status records the UIDs of the managed NetworkPolicies Bulwark holds for the policy (where
// namespace users cannot write), and NetworkPoliciesHeld names each namespace where someone else's
// object holds one of their names; a taken default-deny is a namespace finding.
TEST_F(PolicyReconcilerTest, TheStatusRecordsOwnedUidsAndNamesTakenNames) {
  policy(R"({"enforcement":{"mode":"Enforce","actions":["Quarantine"]}})", kFinalized);
  network_policies_.put_json(R"({"metadata":{"name":"bulwark-default-deny","namespace":"shop",)"
                             R"("uid":"np-1"},"spec":{}})");
  network_policies_.put_json(R"({"metadata":{"name":"bulwark-quarantine","namespace":"shop",)"
                             R"("uid":"squatter"},"spec":{}})");
  ownership_.record("np-1");
  ownership_.set_conflict("shop", "bulwark-quarantine", true);
  auto status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(document::to_json(*status->find("networkPolicyUIDs")), R"(["np-1"])");
  const Value* held = condition(*status, "NetworkPoliciesHeld");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->find("status")->str(), "False");
  EXPECT_EQ(held->find("reason")->str(), "NameTaken");
  EXPECT_NE(std::string(held->find("message")->str()).find("1 namespace (shop)"),
            std::string::npos);
  EXPECT_TRUE(status->find("violations")->items.empty());

  ownership_.set_conflict("shop", "bulwark-quarantine", false);
  ownership_.set_conflict("shop", "bulwark-default-deny", true);
  status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(document::to_json(*status->find("networkPolicyUIDs")), "[]");
  ASSERT_EQ(status->find("violations")->items.size(), 1u);
  EXPECT_EQ(status->find("violations")->items[0].find("kind")->str(), "Namespace");

  ownership_.set_conflict("shop", "bulwark-default-deny", false);
  // The squatter is still there though no conflict is recorded (after a start, before the
  // NetworkPolicy controller has been through the namespace): never called held.
  status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(condition(*status, "NetworkPoliciesHeld")->find("reason")->str(), "NameTaken");
  network_policies_.erase("shop/bulwark-quarantine");  // not there yet: not held either
  status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(condition(*status, "NetworkPoliciesHeld")->find("reason")->str(), "Pending");
  network_policies_.put_json(R"({"metadata":{"name":"bulwark-quarantine","namespace":"shop",)"
                             R"("uid":"np-2"},"spec":{}})");
  ownership_.record("np-2");
  status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(condition(*status, "NetworkPoliciesHeld")->find("reason")->str(), "Held");
  // A policy that wants none (Audit) has no such condition.
  policy("{}", kFinalized);
  status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(condition(*status, "NetworkPoliciesHeld"), nullptr);
}

// An Audit policy with defaultDeny says whether its namespaces are isolated; what Bulwark may no
// longer read it says it does not know (issue: status that claims what was not checked).
TEST_F(PolicyReconcilerTest, NamespacesIsolatedIsUnknownWhenItsInputsCannotBeRead) {
  policy(R"({"match":{"namespaceSelector":{"matchLabels":{"env":"prod"}}}})", kFinalized);
  auto status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(condition(*status, "NamespacesIsolated")->find("reason")->str(), "NotIsolated");
  EXPECT_EQ(condition(*status, "Compliant")->find("status")->str(), "True");
  ASSERT_EQ(status->find("violations")->items.size(), 1u);
  network_policies_.put_json(R"({"metadata":{"name":"deny","namespace":"shop","uid":"n"},)"
                             R"("spec":{"podSelector":{},"policyTypes":["Ingress","Egress"]}})");
  status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(condition(*status, "NamespacesIsolated")->find("reason")->str(), "Isolated");

  refused_ = {"networkpolicies"};
  access_.refresh();
  status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  const Value* isolated = condition(*status, "NamespacesIsolated");
  EXPECT_EQ(isolated->find("status")->str(), "Unknown");
  EXPECT_EQ(isolated->find("reason")->str(), "NotEvaluated");
  EXPECT_NE(std::string(isolated->find("message")->str()).find("may not list networkpolicies"),
            std::string::npos);
  EXPECT_TRUE(status->find("violations")->items.empty());  // none named, none called isolated
  EXPECT_EQ(condition(*status, "Compliant")->find("status")->str(), "True");

  // Without Namespaces, which namespaces the selector selects is not known either.
  refused_ = {"namespaces"};
  access_.refresh();
  status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(condition(*status, "NamespacesIsolated")->find("reason")->str(), "NotEvaluated");
  const Value* compliant = condition(*status, "Compliant");
  EXPECT_EQ(compliant->find("status")->str(), "Unknown");
  EXPECT_EQ(compliant->find("reason")->str(), "NotEvaluated");
  EXPECT_NE(std::string(compliant->find("message")->str()).find("may not list namespaces"),
            std::string::npos);
  // A policy that selects every namespace needs no labels: it still knows.
  policy(R"({"network":{"defaultDeny":false}})", kFinalized);
  status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(condition(*status, "Compliant")->find("status")->str(), "True");
  EXPECT_EQ(condition(*status, "NamespacesIsolated"), nullptr);
  // An Enforce policy that keeps NetworkPolicies does not know where they are needed.
  policy(R"({"enforcement":{"mode":"Enforce","actions":["Quarantine"]}})", kFinalized);
  status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(condition(*status, "NetworkPoliciesHeld")->find("reason")->str(), "NotEvaluated");
}

TEST_F(PolicyReconcilerTest, NoStatusUntilTheBookIsComplete) {
  policy("{}", kFinalized);
  book_complete_ = false;
  const auto result = reconciler_.reconcile("p");
  ASSERT_TRUE(result.requeue_after.has_value());
  EXPECT_TRUE(status_writer_.calls().empty());
}

TEST_F(PolicyReconcilerTest, AConditionNoLongerWantedGoes) {
  policy(R"({"images":{"maxSeverity":"High"}})", kFinalized);
  const auto first = reconcile_status();
  ASSERT_TRUE(first.has_value());
  const Value* reports = condition(*first, "VulnerabilityReports");
  ASSERT_NE(reports, nullptr);
  EXPECT_EQ(reports->find("reason")->str(), "ReportsNotServed");
  policy("{}", kFinalized, document::to_json(*first), 2);
  const auto second = reconcile_status();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(condition(*second, "VulnerabilityReports"), nullptr);
  EXPECT_EQ(condition(*second, "Ready")->find("observedGeneration")->str(), "2");
}

TEST_F(PolicyReconcilerTest, TheReportsConditionSaysWhetherReportsAreWritten) {
  policy("{}", kFinalized);
  auto status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(condition(*status, "Reports"), nullptr);  // not told: no condition
  reconciler_.set_policy_reports_served([] { return false; });
  policy("{}", kFinalized, document::to_json(*status), 2);
  status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  const Value* reports = condition(*status, "Reports");
  ASSERT_NE(reports, nullptr);
  EXPECT_EQ(reports->find("status")->str(), "False");
  EXPECT_EQ(reports->find("reason")->str(), "ReportsNotServed");
  EXPECT_EQ(condition(*status, "Ready")->find("status")->str(), "True");  // Ready stays True
  reconciler_.set_policy_reports_served([] { return true; });
  policy("{}", kFinalized, document::to_json(*status), 3);
  status = reconcile_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(condition(*status, "Reports")->find("reason")->str(), "ReportsServed");
}

// A stale status write is refused with 409: the reconcile fails, and the controller retries it
// (classified by api_error.h, not by its message).
TEST_F(PolicyReconcilerTest, AConflictFailsTheReconcileForARetry) {
  policy("{}", kFinalized);
  status_writer_.fail_next(kube::ApiError(409, "Conflict", "the object has been modified"));
  try {
    reconciler_.reconcile("p");
    FAIL() << "expected a conflict";
  } catch (const kube::ApiError& e) {
    EXPECT_EQ(e.error_class(), kube::ErrorClass::kConflict);
    EXPECT_EQ(runtime::classify_failure(e), runtime::ReconcileResult::kConflict);
  }
}

}  // namespace
}  // namespace bulwark::reconcilers
