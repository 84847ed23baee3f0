// Secure metrics' gate: 401 without a token the API server accepts, 403 without "get" on the path,
// decisions cached for a minute, and an API server that cannot be asked is a 500 cached for no one.
#include "operator/server/access_filter.h"

#include <gtest/gtest.h>

#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_access_reviewer.h"

namespace bulwark::server {
namespace {

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

  bulwark::testing::FakeClock clock;
  bulwark::testing::FakeAccessReviewer reviewer;
  AccessFilter filter{reviewer, clock};
  Handler handler;
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
  clock.advance(std::chrono::seconds(59));
  EXPECT_EQ(status("Bearer scraper-token"), 200);
  clock.advance(std::chrono::seconds(2));
  EXPECT_EQ(status("Bearer scraper-token"), 403);
  EXPECT_EQ(reviewer.authentications, 2);
}

TEST_F(AccessFilterTest, AnApiServerThatCannotBeAskedIs500AndNothingIsCached) {
  reviewer.fail = true;
  EXPECT_EQ(status("Bearer scraper-token"), 500);
  reviewer.fail = false;
  EXPECT_EQ(status("Bearer scraper-token"), 200);
}

TEST_F(AccessFilterTest, TheCacheIsBounded) {
  AccessFilter small(reviewer, clock, std::chrono::seconds(60), 2);
  for (int i = 0; i < 10; ++i) small.check(get("/metrics", "Bearer t" + std::to_string(i)));
  small.check(get("/metrics", "Bearer scraper-token"));
  small.check(get("/metrics", "Bearer scraper-token"));
  EXPECT_EQ(reviewer.authentications, 11);  // the last one from the cache
}

}  // namespace
}  // namespace bulwark::server
