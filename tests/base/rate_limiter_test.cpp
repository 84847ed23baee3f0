// The token bucket and the per-item backoff behind the client's rate limit and the workqueue's
// retries.
#include "operator/base/rate_limiter.h"

#include <gtest/gtest.h>

#include "tests/base/fake_clock.h"

namespace bulwark::base {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;

TEST(TokenBucket, BurstThenRate) {
  FakeClock clock;
  TokenBucket bucket(10, 3, clock);
  EXPECT_EQ(bucket.reserve(), Clock::Duration::zero());
  EXPECT_EQ(bucket.reserve(), Clock::Duration::zero());
  EXPECT_EQ(bucket.reserve(), Clock::Duration::zero());
  EXPECT_EQ(bucket.reserve(), std::chrono::duration_cast<Clock::Duration>(100ms));
  EXPECT_EQ(bucket.reserve(), std::chrono::duration_cast<Clock::Duration>(200ms));
  clock.advance(1s);  // refills, but never beyond the burst
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.reserve(), Clock::Duration::zero()) << i;
  EXPECT_GT(bucket.reserve(), Clock::Duration::zero());
}

TEST(TokenBucket, ZeroQpsIsNoLimitAndZeroBurstIsTheRate) {
  FakeClock clock;
  TokenBucket unlimited(0, 0, clock);
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(unlimited.reserve(), Clock::Duration::zero()) << i;
  TokenBucket rate_only(2.5, 0, clock);  // a burst of 3
  for (int i = 0; i < 3; ++i) EXPECT_EQ(rate_only.reserve(), Clock::Duration::zero()) << i;
  EXPECT_EQ(rate_only.reserve(), std::chrono::duration_cast<Clock::Duration>(400ms));
}

TEST(ItemRateLimiter, ExponentialPerItemCappedAndForgotten) {
  FakeClock clock;
  ItemRateLimiter limiter({5ms, 1s, 1000, 1000}, clock);
  EXPECT_EQ(limiter.when("a"), std::chrono::duration_cast<Clock::Duration>(5ms));
  EXPECT_EQ(limiter.when("a"), std::chrono::duration_cast<Clock::Duration>(10ms));
  EXPECT_EQ(limiter.when("a"), std::chrono::duration_cast<Clock::Duration>(20ms));
  EXPECT_EQ(limiter.when("b"), std::chrono::duration_cast<Clock::Duration>(5ms));
  EXPECT_EQ(limiter.num_requeues("a"), 3);
  for (int i = 0; i < 100; ++i) limiter.when("a");
  EXPECT_EQ(limiter.when("a"), std::chrono::duration_cast<Clock::Duration>(1s));
  limiter.forget("a");
  EXPECT_EQ(limiter.num_requeues("a"), 0);
  EXPECT_EQ(limiter.when("a"), std::chrono::duration_cast<Clock::Duration>(5ms));
}

TEST(ItemRateLimiter, GlobalBucketBoundsManyItems) {
  FakeClock clock;
  ItemRateLimiter limiter({1ms, 1s, 10, 2}, clock);
  limiter.when("a");
  limiter.when("b");
  // Third distinct item in the same instant: its own backoff is 1ms, the bucket says 100ms.
  EXPECT_EQ(limiter.when("c"), std::chrono::duration_cast<Clock::Duration>(100ms));
}

}  // namespace
}  // namespace bulwark::base
