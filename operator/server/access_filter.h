#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
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

// The filter's limits. The defaults are sized for a few Prometheus replicas and the odd human
// scraping one operator; the reasons are beside each.
struct AccessFilterOptions {
  // How long a decision is served before the API server is asked again, so a revoked token or
  // binding loses access within it (controller-runtime's secure metrics cache for a minute too).
  std::chrono::seconds ttl{60};
  // Decisions for callers the API server accepted (200 and 403), least recently used evicted
  // first. Only a new token the API server accepts adds one, within the review budget below (620
  // a minute at the defaults), so a scraper keeps its entry unless 1,024 other accepted callers
  // were all seen since its last scrape.
  std::size_t max_authenticated = 1024;
  // Decisions for tokens the API server rejected (401), kept apart so that any number of made-up
  // tokens evict only each other. At the default rate at most 620 arrive in a ttl, so a repeated
  // bad token (a scraper with a stale secret) stays cached until it expires.
  std::size_t max_unauthenticated = 1024;
  // Reviews of tokens without a decision (a TokenReview, and a SubjectAccessReview when the token
  // is accepted). A real caller costs one review a ttl, so 10 a second with a burst of 20 (a
  // fleet of scrapers restarting at once) is far above honest use, while a flood of made-up tokens
  // costs the API server no more than 10 TokenReviews a second. Beyond it: 429, nothing asked. A
  // caller whose accepted decision has expired is asked again outside this budget (once a ttl per
  // cached caller: at most max_authenticated a ttl), so a flood cannot starve a scraper that was
  // already let in.
  double reviews_per_second = 10;
  int review_burst = 20;
  // Requests held waiting on the API server at once (asking, or waiting for another request's
  // review of the same token); beyond it: 429 at once rather than an unbounded queue. Each holds
  // a server thread, so the metrics server wants more threads than this to keep serving cached
  // decisions while the API server is slow.
  int max_reviews_in_flight = 4;  // at least 1
};

// What the filter turned away or asked, for the metrics layer. Monotonic; read at any time.
struct AccessFilterCounters {
  std::atomic<std::uint64_t> reviews{0};             // TokenReviews asked
  std::atomic<std::uint64_t> shared_reviews{0};      // answered by another request's review
  std::atomic<std::uint64_t> rate_limited{0};        // 429: beyond reviews_per_second
  std::atomic<std::uint64_t> too_many_in_flight{0};  // 429: beyond max_reviews_in_flight
};

// Authentication and authorization in front of a handler, as controller-runtime's
// WithAuthenticationAndAuthorization filter does for secure metrics: no bearer token or one the
// API server rejects is 401, a user without "get" on the path is 403, and a request whose token
// would need a review beyond the options' limits is 429. Decisions are cached by token and path
// for the ttl, so a scraper costs two reviews a minute rather than two a scrape; a cached decision
// is served without touching the limits. Concurrent first requests with one token share one
// review. Thread-safe: check() may be called from any number of threads at once.
class AccessFilter {
 public:
  AccessFilter(AccessReviewer& reviewer, const base::Clock& clock,
               AccessFilterOptions options = {});
  ~AccessFilter();
  Handler wrap(Handler next);
  // The rejection for this request, or nullopt when it may proceed.
  std::optional<Reply> check(const Request& request);
  const AccessFilterCounters& counters() const { return counters_; }

 private:
  class DecisionCache;  // a bounded LRU with expiry, in access_filter.cpp
  struct Lookup;
  std::optional<Reply> decide(const std::string& token, const std::string& path);
  Lookup lookup(const std::string& key, base::Clock::TimePoint now);
  std::optional<Reply> admit(bool budgeted, base::Clock::TimePoint now);
  bool take_review_token(base::Clock::TimePoint now);
  int review(const std::string& key, const std::string& token, const std::string& path,
             base::Clock::TimePoint asked, std::promise<int>& answer);
  int ask(const std::string& token, const std::string& path);
  void finish(const std::string& key, std::optional<int> status, base::Clock::TimePoint asked);

  AccessReviewer& reviewer_;
  const base::Clock& clock_;
  const AccessFilterOptions options_;
  AccessFilterCounters counters_;
  std::mutex mu_;
  // Keyed by path and SHA-256 of the token; guarded by mu_.
  std::unique_ptr<DecisionCache> authenticated_;            // 200 and 403
  std::unique_ptr<DecisionCache> unauthenticated_;          // 401
  std::map<std::string, std::shared_future<int>> pending_;  // reviews being asked; guarded by mu_
  int in_flight_ = 0;                // requests asking or waiting; guarded by mu_
  double review_tokens_;             // the review budget's bucket; guarded by mu_
  base::Clock::TimePoint refilled_;  // when review_tokens_ was last topped up; guarded by mu_
};

}  // namespace bulwark::server
