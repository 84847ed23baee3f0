// The controller's reconcile cycle: success forgets, failure backs off, a terminal failure is
// forgotten, requeue_after delays.
#include "operator/runtime/controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>

#include "operator/kube/api_error.h"
#include "operator/kube/object_writer.h"
#include "tests/base/fake_clock.h"

namespace bulwark::runtime {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;

class ScriptedReconciler : public Reconciler {
 public:
  Result reconcile(const std::string& key) override {
    std::lock_guard lock(mu_);
    ++calls[key];
    if (failures[key] > 0) {
      --failures[key];
      throw std::runtime_error("API server said 500");
    }
    if (auto it = throws.find(key); it != throws.end()) it->second();
    if (auto it = requeue.find(key); it != requeue.end()) return Result{it->second};
    return {};
  }
  std::mutex mu_;
  std::map<std::string, int> calls, failures;
  std::map<std::string, base::Clock::Duration> requeue;
  std::map<std::string, std::function<void()>> throws;
};

class ControllerTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  WorkQueue queue_{{5ms, 1s, 1e6, 1000000}, clock_};
  ScriptedReconciler reconciler_;
  Controller controller_{"test", reconciler_, queue_, 1, clock_};

  // Runs the queue dry, one key at a time, as a worker would.
  void drain() {
    while (auto key = queue_.try_get()) {
      controller_.process(*key);
      queue_.done(*key);
    }
  }
};

TEST_F(ControllerTest, SuccessForgetsTheKey) {
  queue_.add("ns/a");
  drain();
  EXPECT_EQ(reconciler_.calls["ns/a"], 1);
  EXPECT_EQ(queue_.num_requeues("ns/a"), 0);
  EXPECT_EQ(queue_.depth() + queue_.delayed(), 0u);
}

TEST_F(ControllerTest, FailureRetriesWithBackoffUntilItSucceeds) {
  reconciler_.failures["ns/a"] = 2;
  std::vector<std::string> errors;
  controller_.set_observer([&](const std::string&, base::Clock::Duration, ReconcileResult,
                               const std::string& e) { errors.push_back(e); });
  queue_.add("ns/a");
  drain();
  EXPECT_EQ(queue_.num_requeues("ns/a"), 1);
  EXPECT_EQ(queue_.delayed(), 1u);
  clock_.advance(5ms);
  drain();
  EXPECT_EQ(queue_.num_requeues("ns/a"), 2);
  clock_.advance(9ms);
  drain();
  EXPECT_EQ(reconciler_.calls["ns/a"], 2);  // the second backoff is 10 ms
  clock_.advance(1ms);
  drain();
  EXPECT_EQ(reconciler_.calls["ns/a"], 3);
  EXPECT_EQ(queue_.num_requeues("ns/a"), 0);  // forgotten on success
  EXPECT_EQ(errors, (std::vector<std::string>{"API server said 500", "API server said 500", ""}));
}

// Retrying will not mend a 422 or a TerminalError: logged, counted, forgotten, never retried.
TEST_F(ControllerTest, TerminalFailuresAreForgottenNotRetried) {
  std::vector<ReconcileResult> results;
  controller_.set_observer(
      [&](const std::string&, base::Clock::Duration, ReconcileResult r, const std::string& e) {
        results.push_back(r);
        EXPECT_FALSE(e.empty());
      });
  reconciler_.throws["ns/invalid"] = [] {
    throw kube::ApiError(422, "Invalid", "PATCH /x: 422 Invalid: spec.replicas: must be >= 0");
  };
  reconciler_.throws["ns/terminal"] = [] { throw TerminalError("the object cannot be judged"); };
  queue_.add("ns/invalid");
  queue_.add("ns/terminal");
  drain();
  EXPECT_EQ(results, (std::vector<ReconcileResult>{ReconcileResult::kTerminalError,
                                                   ReconcileResult::kTerminalError}));
  EXPECT_EQ(queue_.num_requeues("ns/invalid"), 0);
  EXPECT_EQ(queue_.depth() + queue_.delayed(), 0u);
  clock_.advance(1h);
  drain();
  EXPECT_EQ(reconciler_.calls["ns/invalid"], 1);
  EXPECT_EQ(reconciler_.calls["ns/terminal"], 1);
}

// A conflict, by its classification (never its message text), is retried like any error.
TEST_F(ControllerTest, ConflictsAreRetriedAndToldApart) {
  std::vector<ReconcileResult> results;
  controller_.set_observer([&](const std::string&, base::Clock::Duration, ReconcileResult r,
                               const std::string&) { results.push_back(r); });
  reconciler_.throws["ns/a"] = [] { throw kube::ApiError(409, "Conflict", "stale"); };
  reconciler_.throws["ns/b"] = [] { throw kube::ApiError(0, "ConnectionFailed", "reset"); };
  queue_.add("ns/a");
  queue_.add("ns/b");
  drain();
  EXPECT_EQ(results,
            (std::vector<ReconcileResult>{ReconcileResult::kConflict, ReconcileResult::kError}));
  EXPECT_EQ(queue_.num_requeues("ns/a"), 1);
  EXPECT_EQ(queue_.num_requeues("ns/b"), 1);
  EXPECT_EQ(queue_.delayed(), 2u);
}

TEST_F(ControllerTest, AFencedWriteIsToldApart) {
  std::vector<ReconcileResult> results;
  controller_.set_observer([&](const std::string&, base::Clock::Duration, ReconcileResult r,
                               const std::string&) { results.push_back(r); });
  reconciler_.throws["ns/a"] = [] { throw kube::NotLeadingError("patch not sent"); };
  queue_.add("ns/a");
  drain();
  EXPECT_EQ(results, std::vector<ReconcileResult>{ReconcileResult::kFenced});
}

TEST_F(ControllerTest, RequeueAfterRunsTheKeyAgainAtThatTime) {
  reconciler_.requeue["ns/exempt"] = 1h;
  queue_.add("ns/exempt");
  drain();
  clock_.advance(59min);
  drain();
  EXPECT_EQ(reconciler_.calls["ns/exempt"], 1);
  clock_.advance(1min);
  reconciler_.requeue.clear();
  drain();
  EXPECT_EQ(reconciler_.calls["ns/exempt"], 2);
}

TEST(ControllerWorkers, StartAndStopWithRealThreads) {
  base::RealClock clock;
  WorkQueue queue({1ms, 10ms, 1e6, 1000000}, clock);
  ScriptedReconciler reconciler;
  Controller controller("test", reconciler, queue, 3, clock);
  std::atomic<int> seen{0};
  controller.set_observer([&](const std::string&, base::Clock::Duration, ReconcileResult,
                              const std::string&) { ++seen; });
  controller.start();
  for (int i = 0; i < 100; ++i) queue.add("ns/k" + std::to_string(i));
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (seen < 100 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  controller.stop();
  EXPECT_EQ(seen.load(), 100);
}

// Stopping finishes the key in hand and starts none of those still queued: a replica that lost its
// lease must not work through a queue of writes on its way out.
TEST(ControllerWorkers, StopDropsWhatIsStillQueued) {
  base::RealClock clock;
  WorkQueue queue({1ms, 10ms, 1e6, 1000000}, clock);
  std::mutex mu;
  std::condition_variable cv;
  bool in_hand = false, release = false;
  std::atomic<int> reconciled{0};
  FunctionReconciler blocking([&](const std::string&) {
    std::unique_lock lock(mu);
    in_hand = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    ++reconciled;
    return Result{};
  });
  Controller controller("test", blocking, queue, 1, clock);
  controller.start();
  for (int i = 0; i < 50; ++i) queue.add("ns/k" + std::to_string(i));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return in_hand; }));
  }
  std::thread stopper([&] { controller.stop(); });
  // stop() has begun once the queue is shut down; only then is the key in hand let go.
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!queue.shutting_down() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(queue.shutting_down());
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  stopper.join();
  EXPECT_EQ(reconciled.load(), 1);
}

}  // namespace
}  // namespace bulwark::runtime
