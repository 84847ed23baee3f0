#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "operator/base/clock.h"
#include "operator/server/http_server.h"

namespace bulwark::server {

// Who a bearer token belongs to, as the API server's TokenReview says.
struct User {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
};

// The API server's judgement of a caller (TokenReview, then SubjectAccessReview); the kube
// adapter is kube::ApiAccessReviewer. Both throw on failure to ask (the caller answers 500 and
// caches nothing).
class AccessReviewer {
 public:
  virtual ~AccessReviewer() = default;
  // The token's user, or nullopt when the API server does not accept the token.
  virtual std::optional<User> authenticate(const std::string& token) = 0;
  // Whether `user` may `verb` the non-resource URL `path` ("get" "/metrics").
  virtual bool authorize(const User& user, const std::string& verb, const std::string& path) = 0;
};

// Authentication and authorization in front of a handler, as controller-runtime's
// WithAuthenticationAndAuthorization filter does for secure metrics: no bearer token or one the
// API server rejects is 401, a user without "get" on the path is 403. Decisions are cached by
// token for `ttl` (at most `max_entries` tokens, the cache emptied when full), so a scraper costs
// two reviews a minute rather than two a scrape.
class AccessFilter {
 public:
  AccessFilter(AccessReviewer& reviewer, const base::Clock& clock,
               std::chrono::seconds ttl = std::chrono::seconds(60), std::size_t max_entries = 1024);
  Handler wrap(Handler next);
  // The rejection for this request, or nullopt when it may proceed.
  std::optional<Reply> check(const Request& request);

 private:
  struct Decision {
    int status;  // 200, 401 or 403
    base::Clock::TimePoint expires;
  };
  int decide(const std::string& token, const std::string& path);

  AccessReviewer& reviewer_;
  const base::Clock& clock_;
  const std::chrono::seconds ttl_;
  const std::size_t max_entries_;
  std::mutex mu_;
  std::map<std::string, Decision> cache_;  // by path and SHA-256 of the token; guarded by mu_
};

}  // namespace bulwark::server
