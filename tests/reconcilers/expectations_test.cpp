// Expectations: our own writes stand in for the cache until it moves past the version they were
// computed from.
#include "reconcilers/expectations.h"

#include <gtest/gtest.h>

#include "tests/base/fake_clock.h"

namespace bulwark::reconcilers {
namespace {

TEST(Expectations, AWriteStandsInForTheCacheUntilItMovesOn) {
  testing::FakeClock clock;
  Expectations e(clock);
  // Nothing written: the cache says.
  EXPECT_EQ(e.seen("Pod/shop/a", "7", "label", std::nullopt), std::nullopt);
  e.expect("Pod/shop/a", "7", "", {{"label", "true"}, {"gone", std::nullopt}});
  // The cache still shows version 7: our write is what is there.
  EXPECT_EQ(e.seen("Pod/shop/a", "7", "label", std::nullopt), std::optional<std::string>("true"));
  EXPECT_EQ(e.seen("Pod/shop/a", "7", "gone", "x"), std::nullopt);
  EXPECT_EQ(e.seen("Pod/shop/a", "7", "other", "cached"), std::optional<std::string>("cached"));
  EXPECT_EQ(e.seen("Pod/shop/b", "7", "label", std::nullopt), std::nullopt);  // another object
  // A second write from the same version adds to the first.
  e.expect("Pod/shop/a", "7", "", {{"other", "mine"}});
  EXPECT_EQ(e.seen("Pod/shop/a", "7", "label", std::nullopt), std::optional<std::string>("true"));
  EXPECT_EQ(e.seen("Pod/shop/a", "7", "other", "cached"), std::optional<std::string>("mine"));
  // The cache moved on: it is right again, and the expectation is dropped for good.
  EXPECT_EQ(e.seen("Pod/shop/a", "8", "label", "true"), std::optional<std::string>("true"));
  EXPECT_EQ(e.seen("Pod/shop/a", "7", "label", std::nullopt), std::nullopt);
}

// The watch's echo of our write is the change from the version judged to the one the write
// produced: nothing else is, and it settles the expectation.
TEST(Expectations, OnlyTheChangeFromTheVersionJudgedToTheOneWrittenIsAnEcho) {
  using Seen = Expectations::Seen;
  testing::FakeClock clock;
  Expectations e(clock);
  EXPECT_EQ(e.echo("Pod/shop/a", "7", "8"), Seen::kChange);  // nothing written
  e.expect("Pod/shop/a", "7", "9", {{"label", "true"}});
  EXPECT_EQ(e.echo("Pod/shop/b", "7", "9"), Seen::kChange);  // another object
  EXPECT_EQ(e.echo("Pod/shop/a", "7", "8"), Seen::kChange);  // another client's write first
  EXPECT_EQ(e.echo("Pod/shop/a", "8", "9"), Seen::kChange);  // ours on top of it: not judged
  EXPECT_EQ(e.echo("Pod/shop/a", "", "9"), Seen::kChange);   // after a relist: unknown between
  EXPECT_EQ(e.echo("Pod/shop/a", "7", "9"), Seen::kEcho);
  EXPECT_EQ(e.size(), 0u);
  EXPECT_EQ(e.echo("Pod/shop/a", "7", "9"), Seen::kChange);  // settled: told again, it is judged
}

// While a write is in flight, a change from its version is held back until the write says what
// it was: its echo, or another's change to route; a write that failed routes it.
TEST(Expectations, AChangeWhileAWriteIsInFlightWaitsForItsAnswer) {
  using Seen = Expectations::Seen;
  using Held = Expectations::Held;
  testing::FakeClock clock;
  Expectations e(clock);
  e.begin("Pod/shop/a", "7");
  EXPECT_EQ(e.echo("Pod/shop/a", "7", "9"), Seen::kHeld);
  EXPECT_EQ(e.echo("Pod/shop/a", "9", "10"), Seen::kChange);  // a later change is routed
  EXPECT_EQ(e.expect("Pod/shop/a", "7", "9", {{"label", "true"}}), Held::kEcho);
  EXPECT_EQ(e.size(), 0u);
  e.begin("Pod/shop/b", "7");
  EXPECT_EQ(e.echo("Pod/shop/b", "7", "8"), Seen::kHeld);
  EXPECT_EQ(e.expect("Pod/shop/b", "7", "9", {{"label", "true"}}), Held::kRoute);
  EXPECT_EQ(e.echo("Pod/shop/b", "8", "9"), Seen::kChange);
  e.begin("Pod/shop/c", "7");
  EXPECT_EQ(e.expect("Pod/shop/c", "7", "9", {}), Held::kNone);  // nothing came meanwhile
  e.begin("Pod/shop/d", "7");
  EXPECT_EQ(e.echo("Pod/shop/d", "7", "8"), Seen::kHeld);
  EXPECT_EQ(e.abandon("Pod/shop/d"), Held::kRoute);
  EXPECT_EQ(e.abandon("Pod/shop/d"), Held::kNone);
}

// Two writers to one object at once (a pod that two workloads list): neither's answer proves
// what a change was, so what was held is routed and nothing more is held; a write in flight is
// never swept or settled by the cache moving on, however long it takes.
TEST(Expectations, TwoWritesInFlightProveNothingAndAWriteInFlightIsKept) {
  using Seen = Expectations::Seen;
  using Held = Expectations::Held;
  testing::FakeClock clock;
  Expectations e(clock);
  e.begin("Pod/shop/a", "7");
  EXPECT_EQ(e.echo("Pod/shop/a", "7", "8"), Seen::kHeld);
  e.begin("Pod/shop/a", "7");
  EXPECT_EQ(e.expect("Pod/shop/a", "7", "8", {{"label", "true"}}), Held::kRoute);
  EXPECT_EQ(e.abandon("Pod/shop/a"), Held::kNone);
  e.begin("Pod/shop/b", "7");
  e.begin("Pod/shop/b", "7");
  EXPECT_EQ(e.echo("Pod/shop/b", "7", "9"), Seen::kChange);  // contended: nothing held
  EXPECT_EQ(e.expect("Pod/shop/b", "7", "9", {}), Held::kNone);
  EXPECT_EQ(e.expect("Pod/shop/b", "7", "9", {}), Held::kNone);

  e.begin("Pod/shop/c", "7");
  EXPECT_EQ(e.echo("Pod/shop/c", "7", "8"), Seen::kHeld);
  clock.advance(Expectations::kTimeout + std::chrono::minutes(1));
  e.expect("Pod/shop/d", "1", "2", {});  // sweeps
  EXPECT_EQ(e.seen("Pod/shop/c", "8", "label", std::nullopt), std::nullopt);
  EXPECT_EQ(e.abandon("Pod/shop/c"), Held::kRoute);
}

TEST(Expectations, AWriteFromANewerVersionReplacesTheOld) {
  testing::FakeClock clock;
  Expectations e(clock);
  e.expect("Deployment/shop/a", "1", "", {{"x", "1"}});
  e.expect("Deployment/shop/a", "2", "", {{"y", "2"}});
  EXPECT_EQ(e.seen("Deployment/shop/a", "2", "x", std::nullopt), std::nullopt);
  EXPECT_EQ(e.seen("Deployment/shop/a", "2", "y", std::nullopt), std::optional<std::string>("2"));
}

// Another client's write landed between the version we judged (7) and ours (9): the cache shows
// 8 first, without our fields. The write still stands in for it, until the cache shows 9 or later.
TEST(Expectations, AVersionBetweenTheJudgedAndOursStillWaitsForOurs) {
  testing::FakeClock clock;
  Expectations e(clock);
  e.expect("Pod/shop/a", "7", "9", {{"label", "true"}});
  EXPECT_EQ(e.seen("Pod/shop/a", "8", "label", std::nullopt), std::optional<std::string>("true"));
  EXPECT_EQ(e.size(), 1u);
  EXPECT_EQ(e.seen("Pod/shop/a", "9", "label", "true"), std::optional<std::string>("true"));
  EXPECT_EQ(e.size(), 0u);  // caught up: dropped
  // A version after ours is the cache's to say: our field may have been taken away since.
  e.expect("Pod/shop/b", "7", "9", {{"label", "true"}});
  EXPECT_EQ(e.seen("Pod/shop/b", "10", "label", std::nullopt), std::nullopt);
  EXPECT_EQ(e.size(), 0u);
  // Versions that are not integers are opaque: any other version ends the wait, as before.
  e.expect("Pod/shop/c", "a7", "a9", {{"label", "true"}});
  EXPECT_EQ(e.seen("Pod/shop/c", "a8", "label", std::nullopt), std::nullopt);
}

// A second write judged from the cache before it shows our first (the cache plus what seen()
// answers is the version the first made) is conditional on that version, not the stale one: a
// write conditional on the cached version would fail with 409 against our own write, cutting
// short the reconcile that made it (e2e.ownership: a quarantine released, its Event lost).
TEST(Expectations, AWriteOverOurOwnUnseenWriteIsBasedOnTheVersionItMade) {
  using Seen = Expectations::Seen;
  testing::FakeClock clock;
  Expectations e(clock);
  EXPECT_EQ(e.write_base("Deployment/shop/a", "7"), "7");  // nothing written
  e.begin("Deployment/shop/a", "7");
  e.expect("Deployment/shop/a", "7", "9", {{"posture", "violating"}});
  EXPECT_EQ(e.write_base("Deployment/shop/a", "7"), "9");  // the cache still shows 7
  EXPECT_EQ(e.write_base("Deployment/shop/b", "7"), "7");
  e.begin("Deployment/shop/a", "9");
  e.expect("Deployment/shop/a", "9", "11", {{"violations", "privileged"}});
  // Both writes stand in for the stale cache, and for the first's version.
  EXPECT_EQ(e.seen("Deployment/shop/a", "7", "posture", std::nullopt),
            std::optional<std::string>("violating"));
  EXPECT_EQ(e.seen("Deployment/shop/a", "7", "violations", std::nullopt),
            std::optional<std::string>("privileged"));
  EXPECT_EQ(e.seen("Deployment/shop/a", "9", "violations", std::nullopt),
            std::optional<std::string>("privileged"));
  EXPECT_EQ(e.write_base("Deployment/shop/a", "9"), "11");
  // The first write's echo is no longer the last write's: judged (safe, and finds nothing to do).
  EXPECT_EQ(e.echo("Deployment/shop/a", "7", "9"), Seen::kChange);
  EXPECT_EQ(e.echo("Deployment/shop/a", "9", "11"), Seen::kEcho);
  EXPECT_EQ(e.write_base("Deployment/shop/a", "11"), "11");
  EXPECT_EQ(e.seen("Deployment/shop/a", "11", "posture", "violating"),
            std::optional<std::string>("violating"));
}

// An object deleted before the cache showed our write is never looked up again: its expectation
// times out and is swept, so the map does not grow for the life of the process.
TEST(Expectations, WhatIsNeverLookedUpAgainTimesOut) {
  testing::FakeClock clock;
  Expectations e(clock);
  for (int i = 0; i < 100; ++i)
    e.expect("Pod/shop/gone-" + std::to_string(i), "1", "", {{"l", "t"}});
  EXPECT_EQ(e.size(), 100u);
  clock.advance(Expectations::kTimeout + std::chrono::seconds(1));
  e.expect("Pod/shop/new", "1", "", {{"l", "t"}});
  EXPECT_EQ(e.size(), 1u);
  // And a timed-out expectation no longer stands in for the cache.
  clock.advance(Expectations::kTimeout + std::chrono::seconds(1));
  EXPECT_EQ(e.seen("Pod/shop/new", "1", "l", std::nullopt), std::nullopt);
}

}  // namespace
}  // namespace bulwark::reconcilers
