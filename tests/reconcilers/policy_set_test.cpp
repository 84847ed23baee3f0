// PolicySet and the policy helpers every reconciler shares: loading, snapshots, lapsed
// exemptions, namespace selection, never-touched namespaces and enforcement.
#include "reconcilers/policy_set.h"

#include <gtest/gtest.h>

#include "operator/document/reader.h"
#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_cache.h"

namespace bulwark::reconcilers {
namespace {

std::string policy_json(const std::string& name, const std::string& spec,
                        const std::string& meta_extra = "", const std::string& status = "") {
  return R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":")" +
         name + R"(","uid":"uid-)" + name + R"(","generation":1)" + meta_extra + R"(},"spec":)" +
         spec + (status.empty() ? "" : R"(,"status":)" + status) + "}";
}

TEST(LoadPolicies, SortedByNameWithEvaluatorsForValidOnes) {
  testing::FakeCache cache;
  cache.put_json(policy_json("b", R"({"podSecurity":{"level":"baseline"}})"));
  cache.put_json(policy_json("a", R"({"podSecurity":{"level":"nonsense"}})"));
  cache.put_json(policy_json("c", "{}", R"(,"deletionTimestamp":"2026-01-01T00:00:00Z")"));
  const auto loaded = load_policies(cache);
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded[0].policy.name, "a");
  EXPECT_FALSE(loaded[0].valid());
  EXPECT_EQ(loaded[0].evaluator, nullptr);  // an invalid policy acts on nothing
  EXPECT_EQ(loaded[1].uid, "uid-b");
  EXPECT_TRUE(loaded[1].active());
  EXPECT_NE(loaded[1].evaluator, nullptr);
  EXPECT_TRUE(loaded[2].valid());
  EXPECT_TRUE(loaded[2].deleting);
  EXPECT_FALSE(loaded[2].active());
}

TEST(PolicySet, RebuildsOnlyAfterInvalidate) {
  testing::FakeClock clock;
  testing::FakeCache cache;
  PolicySet set(cache);
  cache.put_json(policy_json("a", "{}"));
  const auto first = set.current();
  ASSERT_EQ(first->size(), 1u);
  cache.put_json(policy_json("b", "{}"));
  EXPECT_EQ(set.current(), first);  // the same snapshot until told the cache changed
  set.invalidate();
  const auto second = set.current();
  EXPECT_NE(second, first);
  EXPECT_EQ(second->size(), 2u);
  EXPECT_EQ(first->size(), 1u);  // a snapshot held elsewhere never changes under its reader
}

TEST(LapsedExemptions, OnlyThoseNotAfterNowAreNamedAndTheNextLapseIsTheEarliestAfterNow) {
  crds::SecurityPolicySpec spec;
  const auto now = std::chrono::system_clock::from_time_t(1800000000);
  spec.exemptions.push_back({"open-ended", {}, {}, {}, std::nullopt, ""});
  spec.exemptions.push_back({"past", {}, {}, {}, now - std::chrono::seconds(1), ""});
  spec.exemptions.push_back({"later", {}, {}, {}, now + std::chrono::hours(2), ""});
  spec.exemptions.push_back({"soon", {}, {}, {}, now + std::chrono::hours(1), ""});
  spec.exemptions.push_back({"now", {}, {}, {}, now, ""});
  const auto lapsed = lapsed_exemptions(spec, now);
  ASSERT_EQ(lapsed.size(), 2u);
  EXPECT_EQ(lapsed[0].name, "past");
  EXPECT_EQ(lapsed[0].index, 1u);
  EXPECT_EQ(lapsed[1].name, "now");
  EXPECT_EQ(next_lapse(spec, now), now + std::chrono::hours(1));
  EXPECT_EQ(next_lapse(spec, now + std::chrono::hours(3)), std::nullopt);
}

// A lapsed exemption ends that exemption only: the policy stays valid and acts (issue 34: an edit
// to a policy with a lapsed exemption used to make the whole policy inactive, and the webhook then
// admitted a privileged pod unjudged), whether its status marked it or its generation is new.
TEST(LapsedExemptions, APolicyWithAnExemptionPastWhenWrittenStaysActive) {
  testing::FakeCache policies;
  const std::string spec = R"({"exemptions":[{"name":"x","controls":["privileged"],)"
                           R"("expires":"2001-01-01T00:00:00Z","reason":"r"}]})";
  policies.put_json(policy_json("late", spec));
  auto loaded = load_policies(policies);
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_TRUE(loaded[0].active());
  EXPECT_TRUE(loaded[0].errors.empty());
  // A status written by an earlier release (Ready=False, ExpiredExemption) changes nothing.
  policies.put_json(policy_json("late", spec, "",
                                R"({"observedGeneration":1,"conditions":[{"type":"Ready",)"
                                R"("status":"False","reason":"ExpiredExemption",)"
                                R"("observedGeneration":1}]})"));
  EXPECT_TRUE(load_policies(policies)[0].active());
}

// The status Bulwark writes (its first, which records observedGeneration, too) must not make
// every workload be judged again; a new generation or a deletion must.
TEST(JudgingState, StatusWritesOfStandingDoNotChangeIt) {
  const auto with = [](const std::string& meta, const std::string& status) {
    return document::parse_json(policy_json("p", "{}", meta, status));
  };
  const auto base = judging_state(with("", R"({"observedGeneration":1,"summary":{"score":100}})"));
  EXPECT_EQ(judging_state(with("", R"({"observedGeneration":1,"summary":{"score":40},)"
                                   R"("lastEvaluated":"2026-11-28T00:00:00Z"})")),
            base);
  EXPECT_EQ(judging_state(with("", "{}")), base);  // its first status changes nothing either
  EXPECT_NE(judging_state(with(R"(,"deletionTimestamp":"2026-11-28T00:00:00Z")",
                               R"({"observedGeneration":1})")),
            base);
  EXPECT_EQ(judging_state(with("", R"({"observedGeneration":1,"conditions":[{"type":"Ready",)"
                                   R"("status":"True","reason":"ExpiredExemption",)"
                                   R"("observedGeneration":1}]})")),
            base);  // a lapse is judged from the spec and the clock, not from the status
  auto next = document::parse_json(policy_json("p", "{}", "", R"({"observedGeneration":1})"));
  next.child("metadata").set("generation", document::Value::integer(2));
  EXPECT_NE(judging_state(next), base);
}

TEST(SelectsNamespace, SelectorAndExclusions) {
  crds::SecurityPolicySpec spec;
  spec.match.namespace_selector.match_labels = {{"env", "prod"}};
  EXPECT_TRUE(selects_namespace(spec, "shop", {{"env", "prod"}}));
  EXPECT_FALSE(selects_namespace(spec, "shop", {{"env", "dev"}}));
  EXPECT_FALSE(selects_namespace(spec, "kube-system", {{"env", "prod"}}));  // excluded by default
}

TEST(Enforces, OnlyInEnforceModeAndOnlyListedActions) {
  crds::SecurityPolicySpec spec;
  spec.enforcement.actions = {crds::EnforcementAction::kQuarantine};
  spec.enforcement.mode = crds::EnforcementMode::kAudit;
  EXPECT_FALSE(enforces(spec, crds::EnforcementAction::kQuarantine));
  spec.enforcement.mode = crds::EnforcementMode::kEnforce;
  EXPECT_TRUE(enforces(spec, crds::EnforcementAction::kQuarantine));
  EXPECT_FALSE(enforces(spec, crds::EnforcementAction::kScaleToZero));
}

TEST(NeverTouched, ExactNamesOnly) {
  EXPECT_TRUE(never_touched({"kube-system", "bulwark-system"}, "bulwark-system"));
  EXPECT_FALSE(never_touched({"kube-system"}, "kube-system-2"));
}

}  // namespace
}  // namespace bulwark::reconcilers
