// Secure metrics' gate: 401 without a token the API server accepts, 403 without "get" on the path,
// decisions cached for a minute, and an API server that cannot be asked is a 500 cached for no one.
// A flood of made-up tokens can neither evict an accepted caller's decision nor make the API
// server review more than the budget allows, and the reviews held at once are bounded.
#include "operator/server/access_filter.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_access_reviewer.h"

namespace bulwark::server {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Request get(const std::string& path, const std::string& authorization) {
  Request r;
  r.method = "GET";
  r.path = path;
  r.authorization = authorization;
  return r;
}

class AccessFilterTest : public ::testing::Test {
 protected:
  AccessFilterTest() {
    reviewer.users = {{"scraper-token", "prometheus"}, {"nobody-token", "nobody"}};
    reviewer.allowed = {"prometheus get /metrics"};
    handler = filter.wrap([](const Request&) { return Reply{200, "text/plain", "metrics\n"}; });
  }
  int status(const std::string& authorization, const std::string& path = "/metrics") {
    return handler(get(path, authorization)).status;
  }
  // Made-up tokens, each new; how many were answered 401 and 429.
  std::pair<int, int> flood(AccessFilter& f, int count) {
    int unauthorized = 0, limited = 0;
    for (int i = 0; i < count; ++i) {
      const auto reply = f.check(get("/metrics", "Bearer forged-" + std::to_string(next_forged++)));
      unauthorized += reply && reply->status == 401;
      limited += reply && reply->status == 429;
    }
    return {unauthorized, limited};
  }

  bulwark::testing::FakeClock clock;
  bulwark::testing::FakeAccessReviewer reviewer;
  AccessFilter filter{reviewer, clock};
  Handler handler;
  int next_forged = 0;
};

TEST_F(AccessFilterTest, NoBearerTokenIs401WithoutAskingTheApiServer) {
  EXPECT_EQ(status(""), 401);
  EXPECT_EQ(status("Basic dXNlcjpwYXNz"), 401);
  EXPECT_EQ(status("Bearer "), 401);
  EXPECT_EQ(reviewer.authentications, 0);
}

TEST_F(AccessFilterTest, ATokenTheApiServerRejectsIs401) {
  EXPECT_EQ(status("Bearer forged"), 401);
  EXPECT_EQ(reviewer.authorizations, 0);
}

TEST_F(AccessFilterTest, AUserWithoutGetOnThePathIs403) {
  EXPECT_EQ(status("Bearer nobody-token"), 403);
  EXPECT_EQ(status("Bearer scraper-token", "/metrics/other"), 403);
}

TEST_F(AccessFilterTest, AnAuthorizedScraperIsServed) {
  EXPECT_EQ(status("Bearer scraper-token"), 200);
  EXPECT_EQ(status("bearer scraper-token"), 200);  // the scheme is case-insensitive
}

TEST_F(AccessFilterTest, DecisionsAreCachedForAMinute) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(status("Bearer scraper-token"), 200);
  EXPECT_EQ(reviewer.authentications, 1);
  reviewer.allowed.clear();  // its ClusterRoleBinding removed
  clock.advance(seconds(59));
  EXPECT_EQ(status("Bearer scraper-token"), 200);
  clock.advance(seconds(2));
  EXPECT_EQ(status("Bearer scraper-token"), 403);
  EXPECT_EQ(reviewer.authentications, 2);
}

TEST_F(AccessFilterTest, ExpiredDecisionsAreReviewedAgainAndARevokedTokenLosesAccess) {
  EXPECT_EQ(status("Bearer scraper-token"), 200);
  EXPECT_EQ(status("Bearer stale-token"), 401);
  reviewer.users.erase("scraper-token");   // its ServiceAccount deleted
  reviewer.users["stale-token"] = "late";  // and a token not yet known at first
  reviewer.allowed.insert("late get /metrics");
  clock.advance(seconds(59));
  EXPECT_EQ(status("Bearer scraper-token"), 200);
  EXPECT_EQ(status("Bearer stale-token"), 401);
  EXPECT_EQ(reviewer.authentications, 2);
  clock.advance(seconds(1));  // expiry is at the ttl to the tick
  EXPECT_EQ(status("Bearer scraper-token"), 401);
  EXPECT_EQ(status("Bearer stale-token"), 200);
  EXPECT_EQ(reviewer.authentications, 4);
  EXPECT_EQ(status("Bearer scraper-token"), 401);  // the new decisions are cached in turn
  EXPECT_EQ(status("Bearer stale-token"), 200);
  EXPECT_EQ(reviewer.authentications, 4);
}

TEST_F(AccessFilterTest, AnApiServerThatCannotBeAskedIs500AndNothingIsCached) {
  reviewer.fail = true;
  EXPECT_EQ(status("Bearer scraper-token"), 500);
  reviewer.fail = false;
  EXPECT_EQ(status("Bearer scraper-token"), 200);
}

// The review found: 5,000 made-up tokens filled the cache, it was emptied whole, and Prometheus
// paid its reviews again. Within a minute the budget lets few of them be asked at all.
TEST_F(AccessFilterTest, AFloodOfUnknownTokensNeverEvictsAnAuthenticatedDecision) {
  EXPECT_EQ(status("Bearer scraper-token"), 200);
  EXPECT_EQ(status("Bearer nobody-token"), 403);
  const int before = reviewer.authentications;
  for (int i = 0; i < 50; ++i) {
    flood(filter, 100);
    clock.advance(milliseconds(1000));  // 5,000 in 50 s, all within the ttl
  }
  const int flood_reviews = reviewer.authentications - before;
  EXPECT_LE(flood_reviews, 20 + 10 * 50);  // the burst, then 10 a second
  EXPECT_EQ(status("Bearer scraper-token"), 200);
  EXPECT_EQ(status("Bearer nobody-token"), 403);
  EXPECT_EQ(reviewer.authentications, before + flood_reviews);  // both from the cache
}

// The same with no rate limit, so every made-up token is asked and cached: they evict only
// each other.
TEST_F(AccessFilterTest, UnknownTokensEvictOnlyEachOtherWhenAllAreReviewed) {
  AccessFilterOptions options;
  options.reviews_per_second = 0;  // no limit
  AccessFilter unlimited(reviewer, clock, options);
  EXPECT_FALSE(unlimited.check(get("/metrics", "Bearer scraper-token")));
  EXPECT_EQ(unlimited.check(get("/metrics", "Bearer nobody-token"))->status, 403);
  EXPECT_EQ(flood(unlimited, 5000), std::make_pair(5000, 0));
  EXPECT_EQ(reviewer.authentications, 5002);
  EXPECT_FALSE(unlimited.check(get("/metrics", "Bearer scraper-token")));
  EXPECT_EQ(unlimited.check(get("/metrics", "Bearer nobody-token"))->status, 403);
  EXPECT_EQ(reviewer.authentications, 5002);
  EXPECT_EQ(unlimited.counters().reviews, 5002u);
}

TEST_F(AccessFilterTest, ReviewsBeyondTheRateAre429WithoutAskingAndResumeLater) {
  EXPECT_EQ(flood(filter, 20), std::make_pair(20, 0));  // the burst
  EXPECT_EQ(reviewer.authentications, 20);
  const auto limited = filter.check(get("/metrics", "Bearer forged-more"));
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_NE(limited->body.find("retry after 1 s"), std::string::npos) << limited->body;
  EXPECT_EQ(flood(filter, 100), std::make_pair(0, 100));
  EXPECT_EQ(reviewer.authentications, 20);
  EXPECT_EQ(status("Bearer scraper-token"), 429);  // a first request waits its turn too

  clock.advance(milliseconds(100));  // one review's worth
  EXPECT_EQ(status("Bearer scraper-token"), 200);
  EXPECT_EQ(flood(filter, 1), std::make_pair(0, 1));
  clock.advance(seconds(10));  // refilled to the burst, no further
  EXPECT_EQ(flood(filter, 25), std::make_pair(20, 5));
  EXPECT_EQ(reviewer.authentications, 41);
  EXPECT_EQ(filter.counters().reviews, 41u);
  EXPECT_EQ(filter.counters().rate_limited, 108u);
  EXPECT_EQ(filter.counters().too_many_in_flight, 0u);
}

// A scraper let in before is asked again when its decision expires, whoever spent the budget;
// its cached decision meanwhile never touches it.
TEST_F(AccessFilterTest, AKnownCallerIsReviewedAgainOutsideTheBudget) {
  EXPECT_EQ(status("Bearer scraper-token"), 200);
  EXPECT_EQ(status("Bearer nobody-token"), 403);
  flood(filter, 100);
  EXPECT_EQ(status("Bearer scraper-token"), 200);
  clock.advance(seconds(60));
  flood(filter, 1000);  // the budget spent again after the refill
  const int before = reviewer.authentications;
  EXPECT_EQ(status("Bearer scraper-token"), 200);
  EXPECT_EQ(status("Bearer nobody-token"), 403);
  EXPECT_EQ(reviewer.authentications, before + 2);
  EXPECT_EQ(status("Bearer scraper-token"), 200);  // and cached again
  EXPECT_EQ(reviewer.authentications, before + 2);
}

TEST_F(AccessFilterTest, TheCachesAreBoundedAndEvictTheLeastRecentlyUsed) {
  reviewer.users = {{"a", "a"}, {"b", "b"}, {"c", "c"}};
  reviewer.allowed = {"a get /metrics", "b get /metrics", "c get /metrics"};
  AccessFilterOptions options;
  options.max_authenticated = 2;
  options.max_unauthenticated = 2;
  AccessFilter small(reviewer, clock, options);
  const auto ask = [&](const std::string& token) {
    small.check(get("/metrics", "Bearer " + token));
  };
  for (const char* made_up : {"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"}) {
    ask(made_up);
  }
  ask("a");
  ask("b");
  ask("a");  // now b is the least recently used
  ask("c");  // evicts b
  EXPECT_EQ(reviewer.authentications, 13);
  ask("a");
  ask("c");
  ask("t9");  // the last two made-up tokens are still cached
  ask("t8");
  EXPECT_EQ(reviewer.authentications, 13);
  ask("b");
  EXPECT_EQ(reviewer.authentications, 14);
}

// An AccessReviewer whose TokenReviews wait until the test opens them, so requests stay in flight
// as long as the test needs. Every token is accepted and authorized.
class BlockingReviewer : public AccessReviewer {
 public:
  std::optional<User> authenticate(const std::string& token) override {
    std::unique_lock lock(mu_);
    ++asked_;
    ++in_flight_;
    most_in_flight_ = std::max(most_in_flight_, in_flight_);
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    --in_flight_;
    return User{token, "uid-" + token, {"system:authenticated"}};
  }
  bool authorize(const User&, const std::string&, const std::string&) override { return true; }

  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    changed_.notify_all();
  }
  // Whether `n` reviews are in flight within a generous deadline (a hung test fails, not waits).
  bool wait_for_in_flight(int n) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, seconds(10), [&] { return in_flight_ >= n; });
  }
  int asked() {
    std::lock_guard lock(mu_);
    return asked_;
  }
  int most_in_flight() {
    std::lock_guard lock(mu_);
    return most_in_flight_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool open_ = false;       // guarded by mu_
  int asked_ = 0;           // guarded by mu_
  int in_flight_ = 0;       // guarded by mu_
  int most_in_flight_ = 0;  // guarded by mu_
};

class AccessFilterConcurrencyTest : public ::testing::Test {
 protected:
  // Opens the reviewer first, so every request still waiting in it can finish and be joined.
  void TearDown() override {
    reviewer.open();
    for (auto& r : requests) {
      if (r.valid()) r.wait();
    }
  }
  std::future<std::optional<Reply>>& start(const std::string& token) {
    requests.push_back(std::async(std::launch::async, [this, token] {
      return filter.check(get("/metrics", "Bearer " + token));
    }));
    return requests.back();
  }

  bulwark::testing::FakeClock clock;
  BlockingReviewer reviewer;
  AccessFilter filter{reviewer, clock};  // at most 4 reviews in flight
  std::vector<std::future<std::optional<Reply>>> requests;
};

TEST_F(AccessFilterConcurrencyTest, AtMostFourReviewsAreInFlightAndTheFifthIs429) {
  requests.reserve(5);
  for (int i = 0; i < 4; ++i) start("token-" + std::to_string(i));
  ASSERT_TRUE(reviewer.wait_for_in_flight(4));
  auto& fifth = start("token-4");
  ASSERT_EQ(fifth.wait_for(seconds(10)), std::future_status::ready) << "the fifth was let in";
  const auto refused = fifth.get();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(reviewer.asked(), 4);
  EXPECT_EQ(filter.counters().too_many_in_flight, 1u);

  reviewer.open();
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(requests[i].get());  // all four served
  EXPECT_EQ(reviewer.most_in_flight(), 4);
  EXPECT_FALSE(filter.check(get("/metrics", "Bearer token-4")));  // room again
  EXPECT_EQ(filter.counters().reviews, 5u);
}

TEST_F(AccessFilterConcurrencyTest, ConcurrentFirstRequestsWithOneTokenShareOneReview) {
  requests.reserve(2);
  start("scraper");
  ASSERT_TRUE(reviewer.wait_for_in_flight(1));
  start("scraper");
  // The second is waiting for the first's answer once it has counted itself; poll to a deadline.
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (filter.counters().shared_reviews == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(filter.counters().shared_reviews, 1u);
  reviewer.open();
  EXPECT_FALSE(requests[0].get());
  EXPECT_FALSE(requests[1].get());
  EXPECT_EQ(reviewer.asked(), 1);
  EXPECT_EQ(filter.counters().reviews, 1u);
}

}  // namespace
}  // namespace bulwark::server
