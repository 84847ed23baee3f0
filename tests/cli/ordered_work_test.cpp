#include "app/cli/ordered_work.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <random>
#include <stdexcept>
#include <thread>

namespace bulwark::cli {
namespace {

// Jobs that end in a shuffled order are still delivered in the order submitted, on the
// submitting thread, with then() deliveries in their places.
TEST(OrderedWork, DeliversInSubmissionOrderWhateverOrderJobsEnd) {
  for (unsigned threads : {1u, 2u, 4u}) {
    OrderedWork work(threads, 8);
    std::vector<int> delivered;
    const auto me = std::this_thread::get_id();
    std::mt19937 random(threads);
    for (int i = 0; i < 200; ++i) {
      if (i % 10 == 0) {
        work.then([&delivered, i] { delivered.push_back(-i); });
      }
      const int pause = static_cast<int>(random() % 300);
      work.submit([&delivered, i, pause, me] {
        std::this_thread::sleep_for(std::chrono::microseconds(pause));
        return OrderedWork::Delivery([&delivered, i, me] {
          EXPECT_EQ(std::this_thread::get_id(), me);
          delivered.push_back(i);
        });
      });
    }
    work.finish();
    std::vector<int> expected;
    for (int i = 0; i < 200; ++i) {
      if (i % 10 == 0) expected.push_back(-i);
      expected.push_back(i);
    }
    EXPECT_EQ(delivered, expected) << threads << " threads";
  }
}

// No more than `window` jobs are ever submitted and not delivered.
TEST(OrderedWork, TheWindowBoundsJobsInFlight) {
  OrderedWork work(3, 5);
  std::atomic<int> submitted{0};
  std::atomic<int> delivered{0};
  int most = 0;
  for (int i = 0; i < 100; ++i) {
    ++submitted;
    work.submit([&delivered] { return OrderedWork::Delivery([&delivered] { ++delivered; }); });
    most = std::max(most, submitted.load() - delivered.load());
  }
  work.finish();
  EXPECT_EQ(delivered.load(), 100);
  EXPECT_LE(most, 5);
}

// The jobs in flight weigh at most the budget together; one heavier than the budget goes alone.
// Counted where jobs run: a job runs only once submitted, and is counted until delivered.
TEST(OrderedWork, TheBudgetBoundsTheWeightInFlight) {
  OrderedWork work(4, 100, 25);
  std::atomic<int> undelivered{0};
  std::atomic<int> most{0};
  std::atomic<bool> heavy_beside_others{false};
  for (int i = 0; i < 60; ++i) {
    const bool heavy = i % 20 == 0;
    work.submit(
        [&, heavy] {
          const int now = ++undelivered;
          for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
          }
          if (heavy && now != 1) heavy_beside_others = true;
          return OrderedWork::Delivery([&undelivered] { --undelivered; });
        },
        heavy ? 100 : 10);
  }
  work.finish();
  EXPECT_EQ(undelivered.load(), 0);
  EXPECT_LE(most.load(), 2);  // light ones two at a time: 20 of 25
  EXPECT_FALSE(heavy_beside_others.load());
}

// A job's exception comes out of the call that delivers it, in its place; later jobs still run.
TEST(OrderedWork, AJobsExceptionIsRethrownInItsTurn) {
  for (unsigned threads : {1u, 2u}) {
    OrderedWork work(threads, 4);
    std::vector<int> delivered;
    int thrown = 0;
    auto call = [&thrown](const std::function<void()>& f) {
      try {
        f();
      } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "job 1");
        ++thrown;
      }
    };
    for (int i = 0; i < 3; ++i) {
      call([&] {
        work.submit([&delivered, i]() -> OrderedWork::Delivery {
          if (i == 1) throw std::runtime_error("job 1");
          return [&delivered, i] { delivered.push_back(i); };
        });
      });
    }
    call([&] { work.finish(); });
    call([&] { work.finish(); });
    EXPECT_EQ(thrown, 1);
    EXPECT_EQ(delivered, (std::vector<int>{0, 2})) << threads << " threads";
  }
}

}  // namespace
}  // namespace bulwark::cli
