// The managed NetworkPolicy reconciler: what it applies, when it leaves things alone, and what it
// writes through the ObjectWriter (a shared fake).
#include "reconcilers/managed_network_policy.h"

#include <gtest/gtest.h>

#include <optional>
#include <tuple>

#include "operator/document/json_writer.h"
#include "operator/document/reader.h"
#include "reconcilers/policy_set.h"
#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_cache.h"
#include "tests/fakes/fake_event_recorder.h"
#include "tests/fakes/fake_object_writer.h"

namespace bulwark::reconcilers {
namespace {

using document::parse_json;
using document::to_json;
using testing::WriteCall;

const std::vector<std::pair<std::string, std::string>> kOwners = {{"prod", "uid-1"}};
constexpr auto kDeny = ManagedPolicyKind::kDefaultDeny;
constexpr auto kQuarantine = ManagedPolicyKind::kQuarantine;

TEST(ManagedNetworkPolicy, DesiredIsUpToDateWithItself) {
  for (bool dns : {true, false}) {
    const auto v = ManagedNetworkPolicyReconciler::desired(kDeny, "shop", dns, kOwners);
    EXPECT_TRUE(ManagedNetworkPolicyReconciler::up_to_date(kDeny, v, dns, kOwners)) << dns;
    EXPECT_FALSE(ManagedNetworkPolicyReconciler::up_to_date(kDeny, v, !dns, kOwners)) << dns;
    EXPECT_EQ(v.find({"metadata", "namespace"})->str(), "shop");
    EXPECT_EQ(v.find({"metadata", "ownerReferences"})->items[0].find("uid")->str(), "uid-1");
  }
}

TEST(ManagedNetworkPolicy, DesiredDefaultDenyIsExactlyThis) {
  EXPECT_EQ(
      to_json(ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, kOwners)),
      R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{)"
      R"("name":"bulwark-default-deny","namespace":"shop","labels":{)"
      R"("app.kubernetes.io/managed-by":"bulwark"},"ownerReferences":[{)"
      R"("apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","name":"prod","uid":"uid-1"}]},)"
      R"("spec":{"podSelector":{"matchExpressions":[{"key":"bulwark.dev/quarantine",)"
      R"("operator":"NotIn","values":["true"]}]},"policyTypes":["Ingress","Egress"],)"
      R"("ingress":[],"egress":[{"ports":[{"protocol":"UDP","port":53},{"protocol":"TCP","port":53}]}]}})");
}

TEST(ManagedNetworkPolicy, AnyDriftIsNotUpToDate) {
  const std::string base =
      to_json(ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, kOwners));
  auto drifted = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), to);
    return !ManagedNetworkPolicyReconciler::up_to_date(kDeny, parse_json(s), true, kOwners);
  };
  EXPECT_TRUE(drifted(R"("operator":"NotIn")", R"("operator":"DoesNotExist")"));
  EXPECT_TRUE(drifted(R"("values":["true"])", R"("values":["true","false"])"));
  EXPECT_TRUE(drifted(R"("podSelector":{)", R"("podSelector":{"matchLabels":{"a":"b"},)"));
  // An object from before the quarantine exclusion selects every pod: applied again (migration).
  EXPECT_TRUE(drifted(
      R"({"matchExpressions":[{"key":"bulwark.dev/quarantine","operator":"NotIn","values":["true"]}]})",
      "{}"));
  EXPECT_TRUE(drifted(R"("ingress":[])", R"("ingress":[{}])"));
  EXPECT_TRUE(drifted(R"(["Ingress","Egress"])", R"(["Ingress"])"));
  EXPECT_TRUE(drifted(R"("port":53},{"protocol":"TCP")", R"("port":54},{"protocol":"TCP")"));
  // An endPort beside port 53 opens a range (issue 34: it passed as up to date).
  EXPECT_TRUE(drifted(R"("port":53},{"protocol":"TCP")",
                      R"("port":53,"endPort":65535},{"protocol":"TCP")"));
  EXPECT_TRUE(drifted(R"("app.kubernetes.io/managed-by":"bulwark")", R"("team":"x")"));
  EXPECT_TRUE(drifted(R"("uid":"uid-1")", R"("uid":"other")"));
  // Server defaults and field order do not count as drift.
  EXPECT_FALSE(
      drifted(R"("policyTypes":["Ingress","Egress"])", R"("policyTypes":["Egress","Ingress"])"));
}

TEST(ManagedNetworkPolicy, QuarantineSelectsLabelledPodsAndDeniesEverything) {
  const auto v = ManagedNetworkPolicyReconciler::desired(kQuarantine, "shop", true, kOwners);
  EXPECT_EQ(v.find({"metadata", "name"})->str(), "bulwark-quarantine");
  EXPECT_EQ(v.find({"spec", "podSelector", "matchLabels", "bulwark.dev/quarantine"})->str(),
            "true");
  EXPECT_TRUE(v.find({"spec", "egress"})->items.empty());  // no DNS for quarantined pods
  EXPECT_TRUE(ManagedNetworkPolicyReconciler::up_to_date(kQuarantine, v, true, kOwners));
  EXPECT_FALSE(ManagedNetworkPolicyReconciler::up_to_date(kDeny, v, true, kOwners));
  const auto deny = ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, kOwners);
  EXPECT_FALSE(ManagedNetworkPolicyReconciler::up_to_date(kQuarantine, deny, true, kOwners));
}

// One namespace "shop", one policy "p" (uid "u") in the given mode, and the default-deny
// reconciler over them, writing to the shared fake.
// `recorded`: the UIDs the policy's status records (ownership.h); nullopt: a status written by an
// earlier release, without the field.
struct DenyFixture {
  explicit DenyFixture(const std::string& mode, ManagedPolicyKind kind = kDeny,
                       std::optional<std::string> recorded = "[]")
      : set(policies),
        ownership(policies),
        reconciler(kind, writer, {namespaces, nps, set}, ownership, events, clock, {}) {
    namespaces.put_json(R"({"metadata":{"name":"shop","resourceVersion":"1"}})");
    policies.put_json(
        R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":"p",)"
        R"("uid":"u","resourceVersion":"1","generation":1},"spec":{"enforcement":{"mode":")" +
        mode + R"("}},"status":{"observedGeneration":1)" +
        (recorded ? R"(,"networkPolicyUIDs":)" + *recorded : "") + "}}");
  }
  // The object as the cache would show it: `json` with its uid and a resourceVersion.
  void cached(document::Value object, const std::string& uid, const std::string& rv = "5") {
    object.child("metadata").set("uid", document::Value::string(uid));
    object.child("metadata").set("resourceVersion", document::Value::string(rv));
    nps.put(object);
  }
  testing::FakeClock clock;
  testing::FakeObjectWriter writer;
  testing::FakeCache namespaces, nps, policies;
  PolicySet set;
  OwnershipRecord ownership;
  testing::FakeEventRecorder events;
  ManagedNetworkPolicyReconciler reconciler;
};

TEST(ManagedNetworkPolicy, ACacheBehindItsOwnWriteGetsNoSecondApplyUntilTheWindowEnds) {
  DenyFixture f("Enforce");
  auto [clock, writer, nps, events, r] = std::tie(f.clock, f.writer, f.nps, f.events, f.reconciler);

  EXPECT_FALSE(r.reconcile("shop").requeue_after.has_value());
  auto calls = writer.take_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].verb, WriteCall::Verb::kApply);
  EXPECT_EQ(calls[0].target(), "networkpolicies/shop/bulwark-default-deny");
  EXPECT_EQ(calls[0].field_manager, "bulwark");
  EXPECT_TRUE(calls[0].force);
  EXPECT_EQ(to_json(calls[0].body),
            to_json(ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, {{"p", "u"}})));
  // The watch has not delivered the object yet: no second apply, a look again later instead.
  const auto again = r.reconcile("shop");
  EXPECT_TRUE(writer.calls().empty());
  ASSERT_TRUE(again.requeue_after.has_value());
  // Past the window with the cache still empty (the event was lost), it is applied again.
  clock.advance(*again.requeue_after);
  r.reconcile("shop");
  EXPECT_EQ(writer.take_calls().size(), 1u);
  // Seen in the cache, then deleted by a user: restored, with one DriftRepaired.
  nps.put(ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, {{"p", "u"}}));
  EXPECT_FALSE(r.reconcile("shop").requeue_after.has_value());  // up to date: no write
  EXPECT_TRUE(writer.calls().empty());
  nps.erase("shop/bulwark-default-deny");
  r.reconcile("shop");
  r.reconcile("shop");
  EXPECT_EQ(writer.take_calls().size(), 1u);
  EXPECT_EQ(events.briefs(), std::vector<std::string>{"NetworkPolicy/bulwark-default-deny:"
                                                      "DriftRepaired"});
  EXPECT_EQ(events.events()[0].type, EventType::kNormal);
}

// Issue 11 item 1: Audit changes nothing. A policy in Audit wants no default-deny (and one it
// created in Enforce goes when it returns to Audit).
TEST(ManagedNetworkPolicy, AuditCreatesNothingAndRemovesWhatEnforceCreated) {
  DenyFixture f("Audit", kDeny, R"(["np-1"])");  // the status recorded what Enforce created
  auto [writer, nps, r] = std::tie(f.writer, f.nps, f.reconciler);
  r.reconcile("shop");
  EXPECT_TRUE(writer.calls().empty());
  // What an Enforce generation left behind is removed, only if it is still that very object.
  auto left = ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, {{"p", "u"}});
  left.child("metadata").set("uid", document::Value::string("np-1"));
  nps.put(left);
  r.reconcile("shop");
  const auto calls = writer.take_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].verb, WriteCall::Verb::kRemove);
  EXPECT_EQ(calls[0].target(), "networkpolicies/shop/bulwark-default-deny");
  EXPECT_EQ(calls[0].preconditions.uid, "np-1");
}

// Default-deny leaves quarantined pods to bulwark-quarantine, so a policy that keeps default-deny
// keeps bulwark-quarantine too, Quarantine action or not: a pod labelled quarantined by hand in
// that namespace escapes neither.
TEST(ManagedNetworkPolicy, DefaultDenyAlwaysComesWithTheQuarantinePolicy) {
  DenyFixture f("Enforce", kQuarantine);  // actions: [Annotate], defaultDeny: true (defaults)
  f.reconciler.reconcile("shop");
  const auto calls = f.writer.take_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].target(), "networkpolicies/shop/bulwark-quarantine");
  EXPECT_EQ(to_json(calls[0].body), to_json(ManagedNetworkPolicyReconciler::desired(
                                        kQuarantine, "shop", true, {{"p", "u"}})));
  DenyFixture audit("Audit", kQuarantine);
  audit.reconciler.reconcile("shop");
  EXPECT_TRUE(audit.writer.calls().empty());
}

// Issue 34: a namespace user with `edit` strips the label in the same patch that opens Bulwark's
// object. Ownership is its UID, recorded when Bulwark created it: repaired, label included.
TEST(ManagedNetworkPolicy, AnObjectWhoseLabelWasStrippedIsStillOursAndRepaired) {
  DenyFixture f("Enforce");
  f.reconciler.reconcile("shop");
  const auto created = f.writer.take_calls();
  ASSERT_EQ(created.size(), 1u);
  auto opened = ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, {{"p", "u"}});
  opened.child("metadata").set("labels", document::Value::object());
  opened.child("spec").set("ingress", parse_json("[{}]")).set("egress", parse_json("[{}]"));
  f.cached(opened, "uid-bulwark-default-deny");  // the uid the fake gave the create
  f.reconciler.reconcile("shop");
  const auto calls = f.writer.take_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].verb, WriteCall::Verb::kApply);
  // Exactly Bulwark's object, and only if it is still the object judged (its UID).
  auto want = ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, {{"p", "u"}});
  want.child("metadata").set("uid", document::Value::string("uid-bulwark-default-deny"));
  EXPECT_EQ(to_json(calls[0].body), to_json(want));
  EXPECT_EQ(f.events.briefs(),
            std::vector<std::string>{"NetworkPolicy/bulwark-default-deny:DriftRepaired"});
  EXPECT_FALSE(f.ownership.conflict("shop", "bulwark-default-deny"));
}

// An object of Bulwark's name that Bulwark did not create, even carrying Bulwark's label and an
// owner reference to the policy, is never edited or deleted; where a policy wants the name it is a
// conflict, told once per version by a Warning Event on it. Once it goes, Bulwark makes its own.
TEST(ManagedNetworkPolicy, ASquatterIsNeverTouchedAndIsAConflict) {
  DenyFixture f("Enforce");
  auto forged = ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, {{"p", "u"}});
  forged.child("spec").set("ingress", parse_json("[{}]"));
  f.cached(forged, "squatter");
  f.reconciler.reconcile("shop");
  f.reconciler.reconcile("shop");
  EXPECT_TRUE(f.writer.calls().empty());
  EXPECT_TRUE(f.ownership.conflict("shop", "bulwark-default-deny"));
  EXPECT_EQ(f.ownership.conflicts(), 1u);
  ASSERT_EQ(f.events.briefs(),
            std::vector<std::string>{"NetworkPolicy/bulwark-default-deny:NameConflict"});
  EXPECT_EQ(f.events.events()[0].type, EventType::kWarning);
  EXPECT_EQ(f.events.events()[0].about.uid, "squatter");
  f.nps.erase("shop/bulwark-default-deny");
  f.reconciler.reconcile("shop");
  EXPECT_EQ(f.writer.take_calls().size(), 1u);
  EXPECT_FALSE(f.ownership.conflict("shop", "bulwark-default-deny"));
}

// Adopted once: an object exactly as Bulwark would write it (its creator keeps nothing by it; a
// crash between a create and the status write leaves one), and, after an upgrade, one an earlier
// release made (labelled, owned by a policy whose status has recorded nothing yet).
TEST(ManagedNetworkPolicy, IdenticalObjectsAndAnEarlierReleasesAreAdopted) {
  DenyFixture f("Enforce");
  f.cached(ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, {{"p", "u"}}), "same");
  f.reconciler.reconcile("shop");
  EXPECT_TRUE(f.writer.calls().empty());
  EXPECT_TRUE(f.ownership.owns("same"));
  EXPECT_FALSE(f.ownership.conflict("shop", "bulwark-default-deny"));

  // Bulwark's shape with other owners (a second policy since a crash before the status write) is
  // adopted and brought up to date; a shape with an owner that is no policy is not.
  DenyFixture owners("Enforce");
  owners.cached(ManagedNetworkPolicyReconciler::desired(kDeny, "shop", false, {}), "bare");
  owners.reconciler.reconcile("shop");
  EXPECT_TRUE(owners.ownership.conflict("shop", "bulwark-default-deny"));  // no owner at all
  owners.cached(ManagedNetworkPolicyReconciler::desired(kDeny, "shop", false, {{"p", "u"}}),
                "shaped");
  owners.reconciler.reconcile("shop");
  EXPECT_TRUE(owners.ownership.owns("shaped"));
  EXPECT_EQ(owners.writer.take_calls().size(), 1u);  // DNS allowed again

  DenyFixture upgraded("Enforce", kDeny, std::nullopt);
  auto old = ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, {{"p", "u"}});
  old.child("spec").set("podSelector", parse_json("{}"));  // the older shape
  upgraded.cached(old, "old");
  upgraded.reconciler.reconcile("shop");
  EXPECT_EQ(upgraded.writer.take_calls().size(), 1u);  // adopted, then applied again
  EXPECT_TRUE(upgraded.ownership.owns("old"));
  // The same object under a policy that has recorded its UIDs is someone else's.
  DenyFixture recorded("Enforce");
  recorded.cached(old, "old");
  recorded.reconciler.reconcile("shop");
  EXPECT_TRUE(recorded.writer.calls().empty());
  EXPECT_TRUE(recorded.ownership.conflict("shop", "bulwark-default-deny"));
}

// Removing its own object whose label a user stripped: the fence deletes only labelled objects,
// so the label comes back first.
TEST(ManagedNetworkPolicy, ADelabelledObjectGetsItsLabelBackBeforeItIsRemoved) {
  DenyFixture f("Audit", kDeny, R"(["mine"])");
  auto left = ManagedNetworkPolicyReconciler::desired(kDeny, "shop", true, {{"p", "u"}});
  left.child("metadata").set("labels", document::Value::object());
  f.cached(left, "mine");
  f.reconciler.reconcile("shop");
  const auto calls = f.writer.take_calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].verb, WriteCall::Verb::kApply);
  EXPECT_EQ(calls[0].body.find({"metadata", "labels", "app.kubernetes.io/managed-by"})->str(),
            "bulwark");
  EXPECT_EQ(calls[0].body.find({"metadata", "uid"})->str(), "mine");
  EXPECT_EQ(calls[1].verb, WriteCall::Verb::kRemove);
  EXPECT_EQ(calls[1].preconditions.uid, "mine");
}

// A NetworkPolicy of that name that Bulwark did not create is never touched.
TEST(ManagedNetworkPolicy, AUsersObjectOfTheSameNameIsLeftAlone) {
  DenyFixture f("Audit");
  f.nps.put_json(R"({"metadata":{"name":"bulwark-default-deny","namespace":"shop","uid":"x"},)"
                 R"("spec":{"podSelector":{}}})");
  f.reconciler.reconcile("shop");
  EXPECT_TRUE(f.writer.calls().empty());
}

// An API error from the write fails the reconcile (the controller classifies and retries it).
TEST(ManagedNetworkPolicy, AFailedApplyFailsTheReconcile) {
  DenyFixture f("Enforce");
  f.writer.fail_next(kube::ApiError(500, "InternalError", "apply failed"));
  EXPECT_THROW(f.reconciler.reconcile("shop"), kube::ApiError);
  EXPECT_TRUE(f.events.events().empty());
}

}  // namespace
}  // namespace bulwark::reconcilers
