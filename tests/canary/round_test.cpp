// One node's round in one direction: the phase in place seen holding, then the change seen
// taking effect; a dead enforcer's rules, matching one phase, pass at most one of the two.
#include "operator/canary/round.h"

#include <gtest/gtest.h>

namespace bulwark::canary {
namespace {

using namespace std::chrono_literals;
const base::Clock::TimePoint t0{};
constexpr auto E = Enforcement::kEnforced, N = Enforcement::kNotEnforced, U = Enforcement::kUnknown;

TEST(DirectionRound, HeldBeforeAndChangedAfterIsEnforced) {
  DirectionRound r(false, t0, 30s);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_TRUE(r.confirming());
    r.record_before(t0 + i * 1s, E);
  }
  EXPECT_FALSE(r.confirming());
  r.changed(t0 + 4s);
  EXPECT_TRUE(r.probing_change());
  r.record_after(t0 + 5s, N);  // the old rules, for a moment
  for (int i = 6; i <= 8; ++i) r.record_after(t0 + i * 1s, E);
  EXPECT_EQ(r.outcome(), E);
  EXPECT_EQ(r.lag(), 2s);
}

// Rules of the next phase already in place: the phase in place is never seen holding, and the
// change that lands on them proves nothing.
TEST(DirectionRound, APhaseNotSeenHoldingEndsTheRoundWithWhatWasSeen) {
  DirectionRound r(false, t0, 30s);
  for (int i = 1; i <= 31; ++i) r.record_before(t0 + i * 1s, N);
  EXPECT_FALSE(r.confirming());
  r.changed(t0 + 32s);
  EXPECT_FALSE(r.probing_change());
  EXPECT_EQ(r.outcome(), N);
  EXPECT_FALSE(r.lag());

  DirectionRound silent(false, t0, 30s);
  silent.record_before(t0 + 31s, U);
  silent.changed(t0 + 32s);
  EXPECT_EQ(silent.outcome(), U);
}

TEST(DirectionRound, SeenHoldingLastRoundGoesStraightToTheChange) {
  DirectionRound r(true, t0, 30s);
  EXPECT_FALSE(r.confirming());
  r.changed(t0);
  for (int i = 1; i <= 31; ++i) r.record_after(t0 + i * 1s, N);  // the change never took effect
  EXPECT_EQ(r.outcome(), N);
}

}  // namespace
}  // namespace bulwark::canary
