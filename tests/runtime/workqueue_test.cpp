// The workqueue's guarantees (its rate limiters have their own tests in tests/base).
#include "operator/runtime/workqueue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/base/fake_clock.h"

namespace bulwark::runtime {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;

class WorkQueueTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  WorkQueue q_{{5ms, 1s, 1000, 1000}, clock_};
};

TEST_F(WorkQueueTest, DeduplicatesWaitingKeys) {
  q_.add("ns/a");
  q_.add("ns/a");
  q_.add("ns/b");
  EXPECT_EQ(q_.depth(), 2u);
  EXPECT_EQ(q_.try_get(), "ns/a");
  EXPECT_EQ(q_.try_get(), "ns/b");
  EXPECT_EQ(q_.try_get(), std::nullopt);
}

TEST_F(WorkQueueTest, KeyBeingProcessedIsNotHandedOutAgainUntilDone) {
  q_.add("k");
  auto k = q_.try_get();
  ASSERT_EQ(k, "k");
  q_.add("k");  // re-added while processing
  q_.add("k");
  EXPECT_EQ(q_.try_get(), std::nullopt);
  q_.done("k");
  EXPECT_EQ(q_.try_get(), "k");  // runs again, once
  q_.done("k");
  EXPECT_EQ(q_.try_get(), std::nullopt);
}

TEST_F(WorkQueueTest, DelayedAddsWaitForTheirTimeEarliestWins) {
  q_.add_after("k", 10s);
  q_.add_after("k", 2s);
  EXPECT_EQ(q_.try_get(), std::nullopt);
  EXPECT_EQ(q_.delayed(), 1u);
  clock_.advance(1999ms);
  EXPECT_EQ(q_.try_get(), std::nullopt);
  clock_.advance(1ms);
  EXPECT_EQ(q_.try_get(), "k");
  q_.done("k");
  clock_.advance(20s);
  EXPECT_EQ(q_.try_get(), std::nullopt);  // the later add was merged into the earlier
}

TEST_F(WorkQueueTest, RateLimitedRetriesBackOffUntilForgotten) {
  q_.add_rate_limited("k");
  EXPECT_EQ(q_.num_requeues("k"), 1);
  EXPECT_EQ(q_.try_get(), std::nullopt);
  clock_.advance(5ms);
  ASSERT_EQ(q_.try_get(), "k");
  q_.done("k");
  q_.add_rate_limited("k");
  clock_.advance(9ms);
  EXPECT_EQ(q_.try_get(), std::nullopt);
  clock_.advance(1ms);
  ASSERT_EQ(q_.try_get(), "k");
  q_.forget("k");
  q_.done("k");
  EXPECT_EQ(q_.num_requeues("k"), 0);
}

TEST_F(WorkQueueTest, ShutdownServesWhatIsQueuedThenStops) {
  q_.add("a");
  q_.shutdown();
  q_.add("b");  // ignored
  EXPECT_EQ(q_.get(), "a");
  EXPECT_EQ(q_.get(), std::nullopt);
}

TEST(WorkQueueThreads, NoKeyIsEverProcessedByTwoWorkersAndDrainWaits) {
  base::RealClock clock;
  WorkQueue q({1ms, 10ms, 1e6, 1000000}, clock);
  std::atomic<int> in_flight_a{0};
  std::atomic<bool> overlap{false};
  std::atomic<int> processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.get()) {
        if (*key == "a") {
          if (in_flight_a.fetch_add(1) != 0) overlap = true;
          std::this_thread::yield();
          in_flight_a.fetch_sub(1);
        }
        processed.fetch_add(1);
        q.done(*key);
      }
    });
  }
  for (int i = 0; i < 20000; ++i) q.add(i % 3 == 0 ? "a" : "b" + std::to_string(i % 50));
  q.shutdown_with_drain();
  for (auto& t : workers) t.join();
  EXPECT_FALSE(overlap);
  EXPECT_GT(processed.load(), 50);
  EXPECT_EQ(q.depth(), 0u);
}

TEST(WorkQueueThreads, BlockedGetWakesForADelayedKey) {
  base::RealClock clock;
  WorkQueue q({1ms, 10ms, 1e6, 1000000}, clock);
  const auto start = std::chrono::steady_clock::now();
  q.add_after("k", 50ms);
  EXPECT_EQ(q.get(), "k");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  q.done("k");
}

}  // namespace
}  // namespace bulwark::runtime
