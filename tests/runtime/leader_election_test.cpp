// Leader election over a scripted API server and a fake clock: taking a free lease, waiting out a
// held one, and releasing it on stop.
#include "operator/runtime/leader_election.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "operator/document/reader.h"
#include "tests/base/fake_clock.h"
#include "tests/kube/fake_transport.h"

namespace bulwark::runtime {
namespace {

using document::parse_json;
using namespace std::chrono_literals;

TEST(LeaderElection, MicroTimeIsRfc3339WithMicroseconds) {
  const auto t = std::chrono::system_clock::from_time_t(1803859200) + std::chrono::microseconds(42);
  EXPECT_EQ(micro_time(t), "2027-03-01T00:00:00.000042Z");
}

class ElectionTest : public ::testing::Test {
 protected:
  ElectionTest() {
    auto t = std::make_unique<testing::FakeTransport>();
    transport_ = t.get();
    client_ = std::make_unique<kube::KubeClient>(std::move(t),
                                                 kube::KubeClient::Options{1e6, 1000000}, clock_);
  }

  // Runs the elector until it has led once and released; a guard stops a run that never leads,
  // so a wrong script fails the test instead of hanging it.
  void run_once(LeaderElector& elector) {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::thread guard([&] {
      std::unique_lock lock(mu);
      if (!cv.wait_for(lock, 10s, [&] { return done; })) elector.stop();
    });
    elector.run(
        [&] {
          ++started_;
          led_at_ = clock_.now();
          elector.stop();
        },
        [&] { ++stopped_; });
    {
      std::lock_guard lock(mu);
      done = true;
    }
    cv.notify_all();
    guard.join();
  }

  static std::string lease(const std::string& holder, int transitions, const std::string& rv) {
    return R"({"metadata":{"name":"bulwark-leader","namespace":"ns","resourceVersion":")" + rv +
           R"("},"spec":{"holderIdentity":")" + holder +
           R"(","leaseDurationSeconds":15,"acquireTime":"2026-11-28T00:00:00.000000Z",)"
           R"("renewTime":"2026-11-28T00:00:01.000000Z","leaseTransitions":)" +
           std::to_string(transitions) + "}}";
  }

  LeaderElector::Options options() const {
    LeaderElector::Options o;
    o.namespace_name = "ns";
    o.identity = "me";
    return o;
  }

  testing::FakeClock clock_;
  testing::FakeTransport* transport_;
  std::unique_ptr<kube::KubeClient> client_;
  int started_ = 0, stopped_ = 0;
  base::Clock::TimePoint led_at_{};
};

TEST_F(ElectionTest, TakesAFreeLeaseAndReleasesItOnStop) {
  transport_->respond(404, R"({"kind":"Status","reason":"NotFound","code":404})");
  transport_->respond(201, "{}");
  transport_->respond(200, lease("me", 0, "5"));  // release reads it back
  transport_->respond(200, "{}");
  LeaderElector elector(*client_, options(), clock_);
  run_once(elector);
  EXPECT_EQ(started_, 1);
  EXPECT_EQ(stopped_, 1);
  const auto& r = transport_->requests;
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[1].method, "POST");
  const auto created = parse_json(r[1].body);
  EXPECT_EQ(created.find({"spec", "holderIdentity"})->str(), "me");
  EXPECT_EQ(created.find({"spec", "leaseDurationSeconds"})->str(), "15");
  // Released: an empty holder and a one-second lease let the next candidate in at once, and the
  // resourceVersion read makes the release lose to any newer holder.
  EXPECT_EQ(r[3].method, "PUT");
  const auto released = parse_json(r[3].body);
  EXPECT_EQ(released.find({"spec", "holderIdentity"})->str(), "");
  EXPECT_EQ(released.find({"spec", "leaseDurationSeconds"})->str(), "1");
  EXPECT_EQ(released.find({"metadata", "resourceVersion"})->str(), "5");
}

// client-go's rule: a held lease is taken only after it has gone unrenewed for its duration, as
// measured on this candidate's own clock from when it first saw that record.
TEST_F(ElectionTest, WaitsOutALeaseAnotherHoldsThenTakesItOver) {
  const auto start = clock_.now();
  for (int i = 0; i < 9; ++i) transport_->respond(200, lease("other", 2, "9"));  // t = 0, 2 .. 16 s
  transport_->respond(200, "{}");                                                // the takeover
  transport_->respond(200, lease("me", 3, "10"));
  transport_->respond(200, "{}");
  LeaderElector elector(*client_, options(), clock_);
  run_once(elector);
  ASSERT_EQ(started_, 1);
  EXPECT_GE(led_at_ - start, 15s);
  const auto& r = transport_->requests;
  ASSERT_EQ(r.size(), 12u);
  EXPECT_EQ(r[9].method, "PUT");
  const auto taken = parse_json(r[9].body);
  EXPECT_EQ(taken.find({"spec", "holderIdentity"})->str(), "me");
  EXPECT_EQ(taken.find({"spec", "leaseTransitions"})->str(), "3");
  EXPECT_EQ(taken.find({"metadata", "resourceVersion"})->str(), "9");  // loses to a newer holder
}

}  // namespace
}  // namespace bulwark::runtime
