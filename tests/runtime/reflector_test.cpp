// The reflector's list/watch semantics over a scripted transport.
#include "operator/runtime/reflector.h"

#include <gtest/gtest.h>

#include "operator/document/reader.h"
#include "tests/base/fake_clock.h"
#include "tests/kube/fake_transport.h"
#include "tests/runtime/pod_json.h"

namespace bulwark::runtime {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;
using testing::FakeTransport;

std::string pod(const std::string& name, int rv, const std::string& owner = "") {
  return testing::pod_json(name, rv, owner);
}
std::string list_of(int rv, const std::vector<std::string>& items) {
  std::string s = R"({"metadata":{"resourceVersion":")" + std::to_string(rv) + R"("},"items":[)";
  for (std::size_t i = 0; i < items.size(); ++i) s += (i ? "," : "") + items[i];
  return s + "]}";
}
std::string event(const std::string& type, const std::string& object) {
  return R"({"type":")" + type + R"(","object":)" + object + "}\n";
}

class ReflectorTest : public ::testing::Test {
 protected:
  ReflectorTest() : informer_([](document::Value&& v) { return std::move(v); }) {
    auto t = std::make_unique<FakeTransport>();
    transport_ = t.get();
    client_ = std::make_unique<kube::KubeClient>(std::move(t),
                                                 kube::KubeClient::Options{1e6, 1000000}, clock_);
    informer_.add_handler([this](const std::string& key) { notified_.push_back(key); });
    Reflector::Options o{kube::resources::kPods, "", {}, 300, 800ms, 30s};
    reflector_ = std::make_unique<Reflector>(*client_, informer_, o, clock_, [] { return 0.0; });
    reflector_->set_restart_observer([this](Reflector::Restart r, const std::string&) {
      restarts_.push_back(r);
      if (restarts_.size() >= stop_after_restarts_) reflector_->stop();
    });
  }
  // Runs until the given number of watch restarts has happened.
  void run_until_restarts(std::size_t n) {
    stop_after_restarts_ = n;
    reflector_->run();
  }
  std::vector<std::string> request_kinds() const {
    std::vector<std::string> out;
    for (const auto& r : transport_->requests) {
      out.push_back(r.path.find("watch=true") != std::string::npos ? "watch" : "list");
    }
    return out;
  }

  FakeClock clock_;
  FakeTransport* transport_;
  std::unique_ptr<kube::KubeClient> client_;
  Informer informer_;
  std::unique_ptr<Reflector> reflector_;
  std::vector<std::string> notified_;
  std::vector<Reflector::Restart> restarts_;
  std::size_t stop_after_restarts_ = 1;
};

TEST_F(ReflectorTest, ListsThenWatchesFromTheListsResourceVersionAndTracksEvents) {
  transport_->respond(200, list_of(10, {pod("a", 5), pod("b", 6)}));
  transport_->stream({200,
                      {event("ADDED", pod("c", 11)), event("MODIFIED", pod("a", 12)),
                       event("DELETED", pod("b", 13)),
                       event("BOOKMARK", R"({"metadata":{"resourceVersion":"20"}})")},
                      false});
  run_until_restarts(1);  // the server ends the watch
  EXPECT_TRUE(reflector_->has_synced());
  EXPECT_NE(transport_->requests[1].path.find("allowWatchBookmarks=true"), std::string::npos);
  EXPECT_NE(transport_->requests[1].path.find("resourceVersion=10"), std::string::npos);
  EXPECT_EQ(reflector_->resource_version(), "20");
  EXPECT_EQ(informer_.keys(), (std::vector<std::string>{"ns/a", "ns/c"}));
  EXPECT_EQ(informer_.get("ns/a")->find({"metadata", "resourceVersion"})->str(), "12");
  EXPECT_EQ(restarts_, std::vector<Reflector::Restart>{Reflector::Restart::kServerClosed});
}

TEST_F(ReflectorTest, ServerClosedWatchReopensAtOnceFromTheLastResourceVersion) {
  transport_->respond(200, list_of(10, {}));
  transport_->stream({200, {event("ADDED", pod("a", 11))}, false});
  transport_->stream({200, {}, false});
  const auto start = clock_.now();
  run_until_restarts(2);
  EXPECT_EQ(request_kinds(), (std::vector<std::string>{"list", "watch", "watch"}));
  EXPECT_NE(transport_->requests[2].path.find("resourceVersion=11"), std::string::npos);
  EXPECT_EQ(clock_.now(), start);  // no backoff for a normal close
}

TEST_F(ReflectorTest, GoneInTheStreamRelistsAndTheRelistRemovesWhatVanished) {
  transport_->respond(200, list_of(10, {pod("a", 5), pod("b", 6)}));
  transport_->stream(
      {200,
       {event("ERROR", R"({"kind":"Status","code":410,"reason":"Expired","message":"too old"})")},
       false});
  transport_->respond(200, list_of(30, {pod("a", 5), pod("new", 25)}));
  transport_->stream({200, {}, false});
  run_until_restarts(2);
  EXPECT_EQ(restarts_[0], Reflector::Restart::kExpired);
  EXPECT_EQ(request_kinds(), (std::vector<std::string>{"list", "watch", "list", "watch"}));
  EXPECT_EQ(informer_.keys(), (std::vector<std::string>{"ns/a", "ns/new"}));
  // a and b from the first list; then b's deletion and new's addition; a unchanged is quiet.
  EXPECT_EQ(notified_, (std::vector<std::string>{"ns/a", "ns/b", "ns/new", "ns/b"}));
  EXPECT_NE(transport_->requests[3].path.find("resourceVersion=30"), std::string::npos);
}

TEST_F(ReflectorTest, GoneWhenOpeningTheWatchRelists) {
  transport_->respond(200, list_of(10, {}));
  transport_->stream({410, {R"({"kind":"Status","code":410,"reason":"Expired"})"}, false});
  transport_->respond(200, list_of(40, {}));
  transport_->stream({200, {}, false});
  run_until_restarts(2);
  EXPECT_EQ(request_kinds(), (std::vector<std::string>{"list", "watch", "list", "watch"}));
}

TEST_F(ReflectorTest, BrokenConnectionBacksOffAndRewatchesWithoutRelisting) {
  transport_->respond(200, list_of(10, {}));
  transport_->stream({200, {event("ADDED", pod("a", 11))}, true});  // connection reset
  transport_->stream({200, {event("ADDED", pod("b", 12))}, false});
  const auto start = clock_.now();
  run_until_restarts(2);
  EXPECT_EQ(restarts_[0], Reflector::Restart::kConnection);
  EXPECT_EQ(request_kinds(), (std::vector<std::string>{"list", "watch", "watch"}));
  EXPECT_NE(transport_->requests[2].path.find("resourceVersion=11"), std::string::npos);
  EXPECT_GE(clock_.now() - start, std::chrono::duration_cast<base::Clock::Duration>(800ms));
  EXPECT_EQ(informer_.size(), 2u);
}

TEST_F(ReflectorTest, BackoffDoublesToThirtySeconds) {
  transport_->respond(200, list_of(10, {}));
  // No scripted streams: every watch is refused.
  std::vector<base::Clock::TimePoint> at;
  reflector_->set_restart_observer([&](Reflector::Restart, const std::string&) {
    at.push_back(clock_.now());
    if (at.size() == 9) reflector_->stop();
  });
  reflector_->run();
  std::vector<long> gaps;
  for (std::size_t i = 1; i < at.size(); ++i) {
    gaps.push_back(
        std::chrono::duration_cast<std::chrono::milliseconds>(at[i] - at[i - 1]).count());
  }
  EXPECT_EQ(gaps, (std::vector<long>{800, 1600, 3200, 6400, 12800, 25600, 30000, 30000}));
}

// A line that cannot be read may have been a DELETED: skipping it would keep a deleted object
// cached until the next relist. The cache relists at once instead.
TEST_F(ReflectorTest, AMalformedEventRelists) {
  transport_->respond(200, list_of(10, {}));
  transport_->stream(
      {200, {event("ADDED", pod("a", 11)), "{garbage\n", event("ADDED", pod("b", 12))}, false});
  transport_->respond(200, list_of(13, {pod("b", 12)}));
  transport_->stream({200, {event("BOOKMARK", R"({"metadata":{"resourceVersion":"14"}})")}, false});
  run_until_restarts(2);  // the malformed line, then the server close
  EXPECT_EQ(restarts_[0], Reflector::Restart::kError);
  EXPECT_EQ(request_kinds(), (std::vector<std::string>{"list", "watch", "list", "watch"}));
  EXPECT_EQ(informer_.keys(), std::vector<std::string>{"ns/b"});  // what the relist said
  EXPECT_EQ(reflector_->resource_version(), "14");
}

// client-go's "very short watch": a server that ends every watch at once must not be hammered.
TEST_F(ReflectorTest, AWatchEndedAtOnceWithNoEventBacksOff) {
  transport_->respond(200, list_of(10, {}));
  transport_->stream({200, {}, false});
  transport_->stream({200, {}, false});
  const auto start = clock_.now();
  run_until_restarts(2);
  EXPECT_EQ(request_kinds(), (std::vector<std::string>{"list", "watch", "watch"}));
  EXPECT_GE(clock_.now() - start, 800ms);
}

// A connection that goes silent (no event, not even a bookmark, for the idle timeout) is dropped
// and the watch re-opened at once from where it was; the watch asks the transport for that bound.
TEST_F(ReflectorTest, ASilentWatchIsReopenedFromWhereItWas) {
  transport_->respond(200, list_of(10, {}));
  transport_->stream({200, {event("ADDED", pod("a", 11))}, false, true});
  transport_->stream({200, {event("ADDED", pod("b", 12))}, false});
  const auto start = clock_.now();
  run_until_restarts(2);
  EXPECT_EQ(restarts_[0], Reflector::Restart::kIdle);
  EXPECT_EQ(transport_->requests[1].timeout, 150s);
  EXPECT_NE(transport_->requests[2].path.find("resourceVersion=11"), std::string::npos);
  EXPECT_EQ(clock_.now(), start);  // no backoff: the connection was dead, not refused
  EXPECT_EQ(informer_.size(), 2u);
}

TEST_F(ReflectorTest, LastHeardFollowsListsAndEvents) {
  EXPECT_EQ(reflector_->last_heard(), base::Clock::TimePoint{});
  clock_.advance(5s);
  transport_->respond(200, list_of(10, {}));
  transport_->stream({200, {event("ADDED", pod("a", 11))}, false});
  run_until_restarts(1);
  EXPECT_EQ(reflector_->last_heard(), clock_.now());
  EXPECT_GT(reflector_->last_heard(), base::Clock::TimePoint{});
}

TEST_F(ReflectorTest, StreamEndingMidEventRewatchesFromTheLastWholeEvent) {
  transport_->respond(200, list_of(10, {}));
  transport_->stream({200, {event("ADDED", pod("a", 11)), R"({"type":"ADDED","obj)"}, false});
  transport_->stream({200, {}, false});
  run_until_restarts(2);
  EXPECT_NE(transport_->requests[2].path.find("resourceVersion=11"), std::string::npos);
}

TEST_F(ReflectorTest, FailedListBacksOffAndRetries) {
  transport_->respond(500, R"({"kind":"Status","code":500,"message":"etcd unavailable"})");
  transport_->respond(200, list_of(10, {pod("a", 1)}));
  transport_->stream({200, {}, false});
  run_until_restarts(2);
  EXPECT_EQ(request_kinds(), (std::vector<std::string>{"list", "list", "watch"}));
  EXPECT_EQ(informer_.size(), 1u);
}

}  // namespace
}  // namespace bulwark::runtime
