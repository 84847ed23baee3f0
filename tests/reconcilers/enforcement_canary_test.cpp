// The enforcement canary's prober: it flips the canary's NetworkPolicy, probes until each node's
// round ends, and publishes only what the probes proved.
#include "reconcilers/enforcement_canary.h"

#include <gtest/gtest.h>

#include "operator/document/json_writer.h"
#include "operator/document/reader.h"
#include "operator/kube/api_error.h"
#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_object_writer.h"
#include "tests/fakes/fake_probe_transport.h"

namespace bulwark::reconcilers {
namespace {

using canary::Enforcement;
using namespace std::chrono_literals;
using State = EnforcementSnapshot::State;

class FakeInventory : public CanaryInventory {
 public:
  CanaryInventoryRead state;
  std::optional<kube::ApiError> failure;
  CanaryInventoryRead read() override {
    if (failure) throw *failure;
    return state;
  }
};

constexpr const char* kCanaryIp = "198.18.0.9";

class EnforcementCanaryTest : public ::testing::Test {
 protected:
  EnforcementCanaryTest() {
    inventory.state.daemonset_uid = "ds-uid";
    inventory.state.nodes = {{"n1", {"198.18.0.0/25"}, {"198.18.0.1"}, false}};
    inventory.state.pods = {{"bulwark-canary-x",
                             "n1",
                             kCanaryIp,
                             true,
                             {{"app.kubernetes.io/name", "bulwark-canary"}}}};
  }
  EnforcementCanary make(std::string own_ip = "198.18.0.5", bool probes = true) {
    EnforcementCanary::Options o;
    o.ns = "bulwark-system";
    o.own_ip = std::move(own_ip);
    o.interval = 60s;
    o.change_timeout = 30s;
    o.lag = [this](base::Clock::Duration d) { lags.push_back(d); };
    return EnforcementCanary(inventory, writer, probes ? &net : nullptr, book, clock, o);
  }
  // Reconciles until the round has published (a deadline of steps, not of time). What the
  // prober writes is what the next read finds; a live enforcer applies it at once.
  void run_round(EnforcementCanary& c) {
    const auto before = book.published();
    for (int step = 0; step < 200 && book.published() == before; ++step) {
      const auto result = c.reconcile(EnforcementCanary::kKey);
      follow_writes();
      if (book.published() == before && result.requeue_after) {
        clock.advance(*result.requeue_after);
      }
    }
    ASSERT_GT(book.published(), before) << "the round never ended";
  }
  // The next round, after the interval.
  void next_round(EnforcementCanary& c) {
    clock.advance(60s);
    run_round(c);
  }
  void follow_writes() {
    const auto calls = writer.calls();
    if (calls.size() == seen_writes) return;
    seen_writes = calls.size();
    document::Value np = calls.back().body;
    np.child("metadata").set("uid", document::Value::string("np-1"));
    inventory.state.policy = np;
    if (enforcer_alive) enforce_phase(canary_policy_phase(np));
  }
  void enforce_phase(int phase) {
    const auto p = canary::round_ports(phase);
    net.canaries[kCanaryIp] = {{p.in_allowed}, {p.out_allowed}};
  }
  Enforcement in() { return book.snapshot().nodes.at(0).in; }
  Enforcement out() { return book.snapshot().nodes.at(0).out; }

  FakeInventory inventory;
  testing::FakeObjectWriter writer;
  testing::FakeProbeTransport net;
  EnforcementBook book;
  testing::FakeClock clock;
  std::vector<base::Clock::Duration> lags;
  std::size_t seen_writes = 0;
  bool enforcer_alive = true;
};

TEST_F(EnforcementCanaryTest, AChangeInEffectBothWaysIsEnforcedWithItsLag) {
  auto c = make();
  run_round(c);  // the first round only creates the policy
  EXPECT_EQ(book.snapshot().state, State::kProbing);
  EXPECT_EQ(net.pings, 0);
  next_round(c);  // the phase in place seen holding, then the change taking effect
  const auto s = book.snapshot();
  EXPECT_EQ(s.state, State::kProbed);
  ASSERT_EQ(s.nodes.size(), 1u);
  EXPECT_EQ(in(), Enforcement::kEnforced);
  EXPECT_EQ(out(), Enforcement::kEnforced);
  EXPECT_EQ(lags.size(), 2u);
  const auto calls = writer.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].verb, testing::WriteCall::Verb::kCreate);
  EXPECT_EQ(calls[0].target(), "networkpolicies/bulwark-system/bulwark-canary");
  EXPECT_EQ(calls[1].verb, testing::WriteCall::Verb::kApply);
  EXPECT_EQ(canary_policy_phase(calls[1].body), 1);
  EXPECT_EQ(network_enforced_condition(s).status, kube::ConditionStatus::kTrue);
  // Held: the next round does not probe the phase in place again before its change.
  const int second = net.pings;  // the first round sent none
  next_round(c);
  EXPECT_EQ(in(), Enforcement::kEnforced);
  EXPECT_LT(net.pings - second, second);
}

TEST_F(EnforcementCanaryTest, NoEnforcerIsNotEnforcedAfterTheTimeout) {
  auto c = make();
  enforcer_alive = false;
  net.canaries[kCanaryIp] = {{9771, 9772}, {9773, 9774}};
  run_round(c);
  const auto start = clock.now();
  next_round(c);
  EXPECT_GE(clock.now() - start, 60s + 30s);
  EXPECT_EQ(in(), Enforcement::kNotEnforced);
  EXPECT_EQ(out(), Enforcement::kNotEnforced);
  EXPECT_TRUE(lags.empty());
  const auto condition = network_enforced_condition(book.snapshot());
  EXPECT_EQ(condition.status, kube::ConditionStatus::kFalse);
  EXPECT_EQ(condition.reason, "NotEnforced");
  EXPECT_NE(condition.message.find("n1 (both ways)"), std::string::npos) << condition.message;
}

// A dead enforcer keeps its last rules, which match one phase: every other change lands on them.
// Each round must still say NotEnforced, never Enforced every other round; and once the enforcer
// is back, Enforced again.
TEST_F(EnforcementCanaryTest, ADeadEnforcersLastRulesAreNeverEnforcement) {
  auto c = make();
  run_round(c);
  next_round(c);
  ASSERT_EQ(in(), Enforcement::kEnforced);
  enforcer_alive = false;  // its rules stay as they are
  for (int round = 0; round < 4; ++round) {
    next_round(c);
    EXPECT_EQ(in(), Enforcement::kNotEnforced) << "round " << round;
    EXPECT_EQ(out(), Enforcement::kNotEnforced) << "round " << round;
  }
  enforcer_alive = true;
  enforce_phase(canary_policy_phase(*inventory.state.policy));
  next_round(c);
  EXPECT_EQ(in(), Enforcement::kEnforced);
  EXPECT_EQ(out(), Enforcement::kEnforced);
}

TEST_F(EnforcementCanaryTest, ACanaryDownOrNotReadyIsUnknownNeverEnforced) {
  auto c = make();
  run_round(c);
  net.canaries.clear();  // nothing answers
  enforcer_alive = false;
  next_round(c);
  EXPECT_EQ(in(), Enforcement::kUnknown);
  EXPECT_EQ(out(), Enforcement::kUnknown);
  EXPECT_EQ(network_enforced_condition(book.snapshot()).reason, "CanaryUnavailable");

  inventory.state.pods[0].ready = false;
  enforcer_alive = true;
  enforce_phase(canary_policy_phase(*inventory.state.policy));
  const int pings = net.pings;
  next_round(c);
  const auto s = book.snapshot();
  EXPECT_EQ(in(), Enforcement::kUnknown);
  EXPECT_EQ(s.nodes.at(0).unknown, "canary pod bulwark-canary-x on node n1 is not ready");
  EXPECT_EQ(net.pings, pings);  // not probed
  EXPECT_NE(network_enforced_condition(s).message.find("not ready"), std::string::npos);
}

TEST_F(EnforcementCanaryTest, FromANodeNothingIsWrittenOrProbed) {
  for (const char* own : {"", "198.18.0.1"}) {
    auto c = make(own, std::string(own).size() > 0);
    run_round(c);
    const auto s = book.snapshot();
    EXPECT_EQ(s.state, State::kProbeFromNode) << own;
    EXPECT_EQ(s.nodes.at(0).in, Enforcement::kUnknown);
    EXPECT_EQ(network_enforced_condition(s).reason, "ProbeFromNode");
    EXPECT_TRUE(writer.calls().empty());
    EXPECT_EQ(net.pings, 0);
    clock.advance(60s);
  }
}

TEST_F(EnforcementCanaryTest, WithoutItsDaemonSetOrPolicyNothingIsWritten) {
  inventory.state.daemonset_uid.reset();
  auto c = make();
  run_round(c);
  EXPECT_EQ(book.snapshot().state, State::kCanaryUnavailable);
  EXPECT_NE(book.snapshot().why.find("DaemonSet bulwark-canary"), std::string::npos);

  // Someone else's NetworkPolicy by that name is left as it is.
  inventory.state.daemonset_uid = "ds-uid";
  inventory.state.policy = document::parse_json(
      R"({"metadata": {"name": "bulwark-canary", "uid": "np-1", "labels": {}}})");
  clock.advance(60s);
  run_round(c);
  EXPECT_EQ(book.snapshot().state, State::kCanaryUnavailable);
  EXPECT_NE(book.snapshot().why.find("not Bulwark's"), std::string::npos);
  EXPECT_TRUE(writer.calls().empty());
  EXPECT_EQ(net.pings, 0);

  inventory.failure = kube::ApiError(403, "Forbidden", "nodes is forbidden");
  clock.advance(60s);
  run_round(c);
  EXPECT_NE(book.snapshot().why.find("cannot read the canary"), std::string::npos);
}

TEST_F(EnforcementCanaryTest, ItsOwnPolicyIsAppliedOnlyToTheObjectRead) {
  inventory.state.policy = canary_network_policy("bulwark-system", "ds-uid", 1);
  inventory.state.policy->child("metadata").set("uid", document::Value::string("np-7"));
  enforce_phase(1);
  auto c = make();
  run_round(c);  // its phase (1) seen holding, then changed to 0
  const auto calls = writer.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].verb, testing::WriteCall::Verb::kApply);
  EXPECT_EQ(calls[0].field_manager, "bulwark");
  EXPECT_EQ(document::text_at(calls[0].body, {"metadata", "uid"}), "np-7");
  EXPECT_EQ(canary_policy_phase(calls[0].body), 0);
  EXPECT_EQ(in(), Enforcement::kEnforced);
}

// Someone widens the canary's policy between rounds: put back, and nothing proven that round;
// the next one sees the phase in place holding again before it trusts a change.
TEST_F(EnforcementCanaryTest, AChangedPolicyIsPutBackAndProvesNothing) {
  auto c = make();
  run_round(c);
  next_round(c);
  ASSERT_EQ(in(), Enforcement::kEnforced);
  inventory.state.policy->child("spec").set("ingress", document::parse_json(R"([{}])"));
  const auto writes = writer.calls().size();
  net.canaries[kCanaryIp] = {{9771, 9772}, {9773, 9774}};  // what that policy lets through
  next_round(c);
  EXPECT_EQ(book.snapshot().state, State::kCanaryUnavailable);
  EXPECT_NE(book.snapshot().why.find("changed by someone"), std::string::npos);
  ASSERT_EQ(writer.calls().size(), writes + 1);
  // Put back in Bulwark's shape, in the phase it can still read.
  CanaryInventoryRead put_back = inventory.state;
  put_back.policy = writer.calls().back().body;
  EXPECT_EQ(canary_policy_trouble(put_back, "bulwark-system").kind,
            CanaryPolicyTrouble::Kind::kNone);
  EXPECT_EQ(in(), Enforcement::kUnknown);
  next_round(c);
  EXPECT_EQ(in(), Enforcement::kEnforced);
}

// Another NetworkPolicy that selects the canary's pods and allows traffic would let its denied
// ports through whatever the plugin does: not a verdict on the plugin.
TEST_F(EnforcementCanaryTest, AnotherPolicyOpeningTheCanaryIsNoVerdict) {
  inventory.state.pods[0].labels = {{"app.kubernetes.io/name", "bulwark-canary"}};
  auto c = make();
  run_round(c);
  inventory.state.other_policies.push_back(document::parse_json(
      R"({"metadata":{"name":"allow-same-namespace"},"spec":{"podSelector":{},"ingress":[{}]}})"));
  const auto writes = writer.calls().size();
  next_round(c);
  EXPECT_EQ(book.snapshot().state, State::kCanaryUnavailable);
  EXPECT_NE(book.snapshot().why.find("allow-same-namespace in bulwark-system also selects"),
            std::string::npos)
      << book.snapshot().why;
  EXPECT_EQ(writer.calls().size(), writes);
  EXPECT_EQ(net.pings, 0);
  // One that selects other pods, or allows nothing, changes nothing.
  inventory.state.other_policies = {
      document::parse_json(R"({"metadata":{"name":"web"},"spec":{"podSelector":{"matchLabels":)"
                           R"({"app":"web"}},"ingress":[{}]}})"),
      document::parse_json(R"({"metadata":{"name":"deny"},"spec":{"podSelector":{}}})")};
  next_round(c);
  next_round(c);
  EXPECT_EQ(in(), Enforcement::kEnforced);
}

// The one shape the fence admits: the canary pods, in from and out to the operator's pods on one
// port each, TCP and UDP, owned by the DaemonSet.
TEST(CanaryNetworkPolicy, TheShapeTheFenceAdmits) {
  const auto p = canary::round_ports(1);
  const auto np = canary_network_policy("bulwark-system", "ds-uid", 1);
  EXPECT_EQ(
      document::to_json(np),
      R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"bulwark-canary",)"
      R"("namespace":"bulwark-system","labels":{"app.kubernetes.io/name":"bulwark-canary",)"
      R"("app.kubernetes.io/managed-by":"bulwark"},"ownerReferences":[{"apiVersion":"apps/v1",)"
      R"("kind":"DaemonSet","name":"bulwark-canary","uid":"ds-uid"}]},"spec":{"podSelector":)"
      R"({"matchLabels":{"app.kubernetes.io/name":"bulwark-canary"}},"policyTypes":["Ingress","Egress"],)"
      R"("ingress":[{"from":[{"podSelector":{"matchLabels":{"app.kubernetes.io/name":"bulwark"}}}],)"
      R"("ports":[{"port":)" +
          std::to_string(p.in_allowed) + R"(,"protocol":"TCP"},{"port":)" +
          std::to_string(p.in_allowed) +
          R"(,"protocol":"UDP"}]}],"egress":[{"to":[{"podSelector":{"matchLabels":)"
          R"({"app.kubernetes.io/name":"bulwark"}}}],"ports":[{"port":)" +
          std::to_string(p.out_allowed) + R"(,"protocol":"TCP"},{"port":)" +
          std::to_string(p.out_allowed) + R"(,"protocol":"UDP"}]}]}})");
  EXPECT_TRUE(canary_policy_is_ours(np, "ds-uid"));
  EXPECT_FALSE(canary_policy_is_ours(np, "other-uid"));
}

// Listeners (policy status, posture) hear of a change of what a condition says or of which nodes
// do not enforce, not of every round.
TEST(EnforcementBookTest, ListenersHearOfChangesOnly) {
  EnforcementBook book;
  int heard = 0;
  book.add_listener([&heard] { ++heard; });
  const EnforcementSnapshot enforced{
      State::kProbed, "", {{"n1", Enforcement::kEnforced, Enforcement::kEnforced, ""}}};
  book.publish(enforced);
  book.publish(enforced);
  EXPECT_EQ(heard, 1);
  EXPECT_FALSE(book.any_not_enforcing());
  book.publish(
      {State::kProbed, "", {{"n1", Enforcement::kNotEnforced, Enforcement::kEnforced, ""}}});
  EXPECT_EQ(heard, 2);
  EXPECT_TRUE(book.not_enforcing("n1"));
  EXPECT_FALSE(book.not_enforcing("n2"));
  EXPECT_EQ(book.published(), 3u);
}

TEST(NetworkEnforcedCondition, NamesUpToTenNodesAndNeverTrueWithOneUnknown) {
  EnforcementSnapshot s;
  s.state = State::kProbed;
  for (int i = 0; i < 12; ++i) {
    s.nodes.push_back({"n" + std::to_string(10 + i), Enforcement::kNotEnforced,
                       i % 2 ? Enforcement::kEnforced : Enforcement::kNotEnforced, ""});
  }
  auto c = network_enforced_condition(s);
  EXPECT_EQ(c.type, "NetworkEnforced");
  EXPECT_EQ(c.status, kube::ConditionStatus::kFalse);
  EXPECT_NE(c.message.find("12 nodes do not enforce"), std::string::npos) << c.message;
  EXPECT_NE(c.message.find("n10 (both ways), n11 (in)"), std::string::npos) << c.message;
  EXPECT_NE(c.message.find("and 2 more"), std::string::npos);
  EXPECT_EQ(c.message.find("n20"), std::string::npos);

  s.nodes = {{"a", Enforcement::kEnforced, Enforcement::kEnforced, ""},
             {"b", Enforcement::kEnforced, Enforcement::kUnknown, "why b"}};
  c = network_enforced_condition(s);
  EXPECT_EQ(c.status, kube::ConditionStatus::kUnknown);
  EXPECT_EQ(c.message, "not proven on 1 of 2 nodes (b): why b");
  s.nodes.pop_back();
  EXPECT_EQ(network_enforced_condition(s).status, kube::ConditionStatus::kTrue);
  s.simulated = 3;  // said, never counted as enforced
  EXPECT_EQ(network_enforced_condition(s).message,
            "every node (1) enforced a change of the canary's NetworkPolicy both ways; 3 simulated "
            "nodes not probed");
  s.nodes.clear();
  EXPECT_EQ(network_enforced_condition(s).status, kube::ConditionStatus::kUnknown);
  EXPECT_EQ(network_enforced_condition(EnforcementSnapshot{}).reason, "Probing");
}

}  // namespace
}  // namespace bulwark::reconcilers
