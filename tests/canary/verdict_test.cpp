// The canary's verdict: what one probe says, and a round that ends only on agreeing probes.
#include "operator/canary/verdict.h"

#include <gtest/gtest.h>

namespace bulwark::canary {
namespace {

// An enforcer that never ran lets both ports through; one that died keeps its last rules, which
// still let the old port through and not the new one. Only the change in effect is enforcement;
// a probe that tells nothing proves nothing.
TEST(CanaryVerdict, OneProbeIsEnforcedOnlyWhenTheChangeTookEffect) {
  using R = Reach;
  EXPECT_EQ(classify(R::kThrough, R::kBlocked), Enforcement::kEnforced);
  EXPECT_EQ(classify(R::kThrough, R::kThrough), Enforcement::kNotEnforced);
  EXPECT_EQ(classify(R::kBlocked, R::kThrough), Enforcement::kNotEnforced);
  EXPECT_EQ(classify(R::kUnknown, R::kThrough), Enforcement::kNotEnforced);
  EXPECT_EQ(classify(R::kBlocked, R::kBlocked), Enforcement::kUnknown);
  EXPECT_EQ(classify(R::kThrough, R::kUnknown), Enforcement::kUnknown);  // never Enforced
  EXPECT_EQ(classify(R::kUnknown, R::kBlocked), Enforcement::kUnknown);
  EXPECT_EQ(classify(R::kUnknown, R::kUnknown), Enforcement::kUnknown);
}

// kube-router took about 4 s to enforce a change on the real node: the round waits for it, up to
// the change timeout, needs three Enforced probes in a row, and says how long the change took.
TEST(CanaryVerdict, ARoundWaitsForTheChangeUntilItsTimeout) {
  using namespace std::chrono_literals;
  using R = Reach;
  const base::Clock::TimePoint t0{};
  ChangeProbe late(t0, 30s);
  EXPECT_FALSE(late.record(t0 + 1s, R::kBlocked, R::kThrough));  // the old rules still hold
  EXPECT_FALSE(late.record(t0 + 4s, R::kThrough, R::kBlocked));
  EXPECT_FALSE(late.record(t0 + 5s, R::kThrough, R::kBlocked));
  EXPECT_EQ(late.record(t0 + 6s, R::kThrough, R::kBlocked), Enforcement::kEnforced);
  EXPECT_EQ(late.lag(), 4s);
  EXPECT_FALSE(late.record(t0 + 7s, R::kThrough, R::kBlocked));  // the round is over

  // One probe that looks enforced among others that do not wins nothing.
  ChangeProbe forced(t0, 30s);
  EXPECT_FALSE(forced.record(t0 + 1s, R::kThrough, R::kThrough));
  EXPECT_FALSE(forced.record(t0 + 2s, R::kThrough, R::kBlocked));
  EXPECT_FALSE(forced.record(t0 + 3s, R::kThrough, R::kThrough));
  EXPECT_FALSE(forced.record(t0 + 4s, R::kBlocked, R::kThrough));
  EXPECT_FALSE(forced.record(t0 + 5s, R::kThrough, R::kThrough));
  EXPECT_EQ(forced.record(t0 + 30s, R::kThrough, R::kUnknown), Enforcement::kNotEnforced);
  EXPECT_TRUE(forced.over());
  EXPECT_FALSE(forced.lag());

  // NotEnforced, as Enforced, needs three probes that say so: one is no alarm.
  ChangeProbe once(t0, 30s);
  EXPECT_FALSE(once.record(t0 + 1s, R::kThrough, R::kThrough));
  EXPECT_EQ(once.record(t0 + 30s, R::kUnknown, R::kUnknown), Enforcement::kUnknown);

  ChangeProbe silent(t0, 30s);
  EXPECT_FALSE(silent.record(t0 + 29s, R::kThrough, R::kBlocked));
  EXPECT_EQ(silent.record(t0 + 31s, R::kUnknown, R::kUnknown), Enforcement::kUnknown);
  EXPECT_FALSE(silent.lag());
}

}  // namespace
}  // namespace bulwark::canary
