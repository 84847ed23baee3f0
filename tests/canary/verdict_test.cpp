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

}  // namespace
}  // namespace bulwark::canary
