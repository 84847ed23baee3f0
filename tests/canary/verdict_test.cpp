// The canary's verdict: what one probe says, and a verdict that moves only on agreeing probes.
#include "operator/canary/verdict.h"

#include <gtest/gtest.h>

namespace bulwark::canary {
namespace {

// An enforcer that never ran lets both ports through; one that died keeps its last rules, which
// still let the old port through and not the new one. Only the change in effect is enforcement;
// nothing getting through proves nothing.
TEST(CanaryVerdict, OneProbeIsEnforcedOnlyWhenTheChangeTookEffect) {
  EXPECT_EQ(classify(true, false), Enforcement::kEnforced);
  EXPECT_EQ(classify(true, true), Enforcement::kNotEnforced);
  EXPECT_EQ(classify(false, true), Enforcement::kNotEnforced);
  EXPECT_EQ(classify(false, false), Enforcement::kUnknown);
}

TEST(CanaryVerdict, TheVerdictMovesAfterThreeAgreeingProbes) {
  EnforcementVerdict v;
  EXPECT_EQ(v.verdict(), Enforcement::kUnknown);
  EXPECT_FALSE(v.observe(Enforcement::kEnforced));
  EXPECT_FALSE(v.observe(Enforcement::kEnforced));
  EXPECT_TRUE(v.observe(Enforcement::kEnforced));
  EXPECT_EQ(v.verdict(), Enforcement::kEnforced);
  // One lost packet is no alarm: the run restarts.
  EXPECT_FALSE(v.observe(Enforcement::kNotEnforced));
  EXPECT_FALSE(v.observe(Enforcement::kEnforced));
  EXPECT_FALSE(v.observe(Enforcement::kNotEnforced));
  EXPECT_FALSE(v.observe(Enforcement::kNotEnforced));
  EXPECT_EQ(v.verdict(), Enforcement::kEnforced);
  EXPECT_TRUE(v.observe(Enforcement::kNotEnforced));
  EXPECT_EQ(v.verdict(), Enforcement::kNotEnforced);
  EXPECT_FALSE(v.observe(Enforcement::kNotEnforced));  // no change
  // Three probes that prove nothing take the verdict back to Unknown, never to Enforced.
  v.observe(Enforcement::kUnknown);
  v.observe(Enforcement::kUnknown);
  EXPECT_TRUE(v.observe(Enforcement::kUnknown));
  EXPECT_EQ(v.verdict(), Enforcement::kUnknown);
  v.observe(Enforcement::kEnforced);
  v.observe(Enforcement::kEnforced);
  v.reset();
  EXPECT_EQ(v.verdict(), Enforcement::kUnknown);
  EXPECT_FALSE(v.observe(Enforcement::kEnforced));  // the run started over
}

// kube-router took about 4 s to enforce a change on the real node: the round waits for it, up to
// the change timeout, and says how long it took.
TEST(CanaryVerdict, ARoundWaitsForTheChangeUntilItsTimeout) {
  using namespace std::chrono_literals;
  const base::Clock::TimePoint t0{};
  ChangeProbe late(t0, 30s);
  EXPECT_FALSE(late.record(t0 + 1s, false, true));  // the old rules still hold: not yet
  EXPECT_FALSE(late.record(t0 + 2s, true, true));
  EXPECT_EQ(late.record(t0 + 4s, true, false), Enforcement::kEnforced);
  EXPECT_EQ(late.lag(), 4s);
  EXPECT_FALSE(late.record(t0 + 5s, true, false));  // the round is over

  ChangeProbe never(t0, 30s);
  EXPECT_FALSE(never.record(t0 + 29s, true, true));
  EXPECT_EQ(never.record(t0 + 30s, true, true), Enforcement::kNotEnforced);
  EXPECT_FALSE(never.lag());

  ChangeProbe silent(t0, 30s);
  EXPECT_EQ(silent.record(t0 + 31s, false, false), Enforcement::kUnknown);
  EXPECT_FALSE(silent.lag());
}

}  // namespace
}  // namespace bulwark::canary
