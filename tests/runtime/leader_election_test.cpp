// Leader election over a scripted API server and a fake clock: taking a free lease, waiting out a
// held one, and releasing it on stop.
#include "operator/runtime/leader_election.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
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

  // Runs the elector until it has led once (stopping it then, unless `keep_leading`) and
  // returned; a guard stops a run that does not end, so a wrong script fails the test instead of
  // hanging it.
  void run_once(LeaderElector& elector, bool keep_leading = false,
                const std::function<void()>& while_leading = {}) {
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
          if (while_leading) while_leading();
          if (!keep_leading) elector.stop();
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

// The fence: leadership is proven for the renew deadline from the start of the last successful
// renew. A leader whose renews fail stops being able to write at that deadline, then gives up,
// and does not campaign again (the replica exits).
TEST_F(ElectionTest, TheFenceClosesAtTheRenewDeadlineAndTheElectorLeadsOnce) {
  transport_->respond(404, R"({"kind":"Status","reason":"NotFound","code":404})");
  transport_->respond(201, "{}");
  // Every later request: 500 (no scripted answer), so no renew succeeds.
  LeaderElector elector(*client_, options(), clock_);
  std::chrono::milliseconds left_at_start{};
  run_once(elector, true, [&] { left_at_start = elector.time_left(); });
  EXPECT_EQ(left_at_start, 10s);
  EXPECT_EQ(started_, 1);
  EXPECT_EQ(stopped_, 1);  // returned by itself: lost, and no second campaign
  EXPECT_LE(elector.time_left(), 0ms);
  EXPECT_FALSE(elector.is_leader());
  // Gave up at the deadline (renews every 2 s: the fifth failed at 10 s), not later.
  const auto& r = transport_->requests;
  EXPECT_EQ(r.size(), 2u + 5u);
  // Requests are bounded: the campaign by the renew deadline, a renew by what the fence has left.
  EXPECT_EQ(r[1].timeout, 10s);
  EXPECT_EQ(r[2].timeout, 8s);
  EXPECT_EQ(r[5].timeout, 2s);
}

// A leader frozen (SIGSTOP) past its renew deadline may write nothing once it resumes, before
// its elector has even noticed: the fence reads the clock, not the elector's state.
TEST_F(ElectionTest, AFrozenLeaderMayNotWriteWhenItResumes) {
  transport_->respond(404, R"({"kind":"Status","reason":"NotFound","code":404})");
  transport_->respond(201, "{}");
  transport_->respond(200, lease("me", 0, "5"));
  transport_->respond(200, "{}");
  LeaderElector elector(*client_, options(), clock_);
  bool leader_while_frozen = false;
  std::chrono::milliseconds left_after_freeze{1};
  run_once(elector, false, [&] {
    clock_.advance(11s);  // frozen past the renew deadline
    leader_while_frozen = elector.is_leader();
    left_after_freeze = elector.time_left();
  });
  EXPECT_TRUE(leader_while_frozen);
  EXPECT_LE(left_after_freeze, 0ms);
}

TEST_F(ElectionTest, StoppedBeforeLeadingItNeitherCampaignsNorReleases) {
  LeaderElector elector(*client_, options(), clock_);
  elector.stop();
  elector.run([&] { ++started_; }, [&] { ++stopped_; });
  EXPECT_EQ(started_, 0);
  EXPECT_EQ(stopped_, 0);
  EXPECT_TRUE(transport_->requests.empty());
}

}  // namespace
}  // namespace bulwark::runtime
