#include "operator/server/access_filter.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <list>
#include <unordered_map>
#include <utility>

#include "operator/logging/logging.h"

namespace bulwark::server {

namespace {

// The token of "Authorization: Bearer TOKEN" (the scheme is case-insensitive), else "".
std::string bearer_token(const std::string& header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return "";
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return "";
  }
  std::string token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.erase(token.begin());
  return token;
}

std::string sha256(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

// What a decision means for the request: 200 lets it through.
std::optional<Reply> rejection(int status) {
  if (status == 401) return Reply{401, "text/plain", "Unauthorized\n"};
  if (status == 403) return Reply{403, "text/plain", "Forbidden\n"};
  return std::nullopt;
}

// server::Reply carries no headers, so the Retry-After a 429 would send is said in its body.
Reply too_many_requests(const std::string& why, int retry_after_seconds) {
  return Reply{429, "text/plain",
               "Too Many Requests: " + why + "; retry after " +
                   std::to_string(retry_after_seconds) + " s\n"};
}

// Gives back a request's in-flight slot however the request leaves (answered, or thrown through).
class InFlightSlot {
 public:
  InFlightSlot(std::mutex& mu, int& in_flight) : mu_(mu), in_flight_(in_flight) {}
  InFlightSlot(const InFlightSlot&) = delete;
  InFlightSlot& operator=(const InFlightSlot&) = delete;
  ~InFlightSlot() {
    std::lock_guard lock(mu_);
    --in_flight_;
  }

 private:
  std::mutex& mu_;
  int& in_flight_;
};

}  // namespace

// Decisions by key, least recently used evicted first when full; expiry is the caller's to judge
// (an entry is dropped on its own, never the whole cache). Not thread-safe: the filter's mutex
// guards it.
class AccessFilter::DecisionCache {
 public:
  struct Entry {
    int status;
    base::Clock::TimePoint expires;
  };
  explicit DecisionCache(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) {}

  // The entry for `key`, now the most recently used; nullptr when there is none.
  const Entry* find(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }
  void put(const std::string& key, Entry entry) {
    erase(key);
    if (index_.size() >= capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(key, entry);
    index_[key] = order_.begin();
  }
  void erase(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    order_.erase(it->second);
    index_.erase(it);
  }

 private:
  using Order = std::list<std::pair<std::string, Entry>>;
  const std::size_t capacity_;
  Order order_;  // most recently used first
  std::unordered_map<std::string, Order::iterator> index_;
};

// A cached decision, or whether the caller had one (an accepted token whose decision expired).
struct AccessFilter::Lookup {
  std::optional<int> status;
  bool known_caller = false;
};

AccessFilter::AccessFilter(AccessReviewer& reviewer, const base::Clock& clock,
                           AccessFilterOptions options)
    : reviewer_(reviewer),
      clock_(clock),
      options_(options),
      authenticated_(std::make_unique<DecisionCache>(options.max_authenticated)),
      unauthenticated_(std::make_unique<DecisionCache>(options.max_unauthenticated)),
      review_tokens_(std::max(1, options.review_burst)),
      refilled_(clock.now()) {}

AccessFilter::~AccessFilter() = default;

Handler AccessFilter::wrap(Handler next) {
  return [this, next = std::move(next)](const Request& request) {
    if (auto rejected = check(request)) return *rejected;
    return next(request);
  };
}

std::optional<Reply> AccessFilter::check(const Request& request) {
  const std::string token = bearer_token(request.authorization);
  if (token.empty()) return Reply{401, "text/plain", "Unauthorized: no bearer token\n"};
  try {
    return decide(token, request.path);
  } catch (const std::exception& e) {
    logging::warn("cannot review a request for " + request.path + ": " + e.what());
    return Reply{500, "text/plain", "cannot review the request\n"};
  }
}

std::optional<Reply> AccessFilter::decide(const std::string& token, const std::string& path) {
  // Keyed by a digest: the cache never holds a caller's token.
  const std::string key = path + " " + sha256(token);
  const auto now = clock_.now();
  std::optional<InFlightSlot> slot;  // declared before the lock: released after it
  std::promise<int> answer;
  std::shared_future<int> theirs;
  {
    std::lock_guard lock(mu_);
    const Lookup found = lookup(key, now);
    if (found.status) return rejection(*found.status);
    const auto pending = pending_.find(key);
    const bool shared = pending != pending_.end();
    // Waiting for another request's review asks nothing more of the API server, and a caller it
    // accepted before asks at most once a ttl: neither spends the review budget.
    if (auto refused = admit(!shared && !found.known_caller, now)) return refused;
    slot.emplace(mu_, in_flight_);
    if (shared) {
      theirs = pending->second;
    } else {
      pending_.emplace(key, answer.get_future().share());
    }
  }
  if (theirs.valid()) {
    ++counters_.shared_reviews;
    return rejection(theirs.get());  // throws what that review threw
  }
  return rejection(review(key, token, path, now, answer));
}

// Requires mu_. An expired 401 is dropped here; an expired accepted decision stays (it marks a
// known caller) until its review replaces it or fails.
AccessFilter::Lookup AccessFilter::lookup(const std::string& key, base::Clock::TimePoint now) {
  if (const auto* entry = authenticated_->find(key)) {
    if (entry->expires > now) return Lookup{entry->status, true};
    return Lookup{std::nullopt, true};
  }
  if (const auto* entry = unauthenticated_->find(key)) {
    if (entry->expires > now) return Lookup{entry->status, false};
    unauthenticated_->erase(key);
  }
  return Lookup{};
}

// Requires mu_. Takes an in-flight slot (and a review token when `budgeted`), or says why not.
std::optional<Reply> AccessFilter::admit(bool budgeted, base::Clock::TimePoint now) {
  if (in_flight_ >= std::max(1, options_.max_reviews_in_flight)) {
    ++counters_.too_many_in_flight;
    return too_many_requests("too many reviews in flight", 1);
  }
  if (budgeted && !take_review_token(now)) {
    ++counters_.rate_limited;
    const double wait = (1 - review_tokens_) / options_.reviews_per_second;
    return too_many_requests("token reviews are rate-limited",
                             std::max(1, static_cast<int>(std::ceil(wait))));
  }
  ++in_flight_;
  return std::nullopt;
}

// Requires mu_. A token bucket that refuses rather than lends (base::TokenBucket::reserve always
// takes, and a flood would then leave a debt that keeps refusing honest callers after it ends).
bool AccessFilter::take_review_token(base::Clock::TimePoint now) {
  if (options_.reviews_per_second <= 0) return true;  // no limit
  const double elapsed = std::chrono::duration<double>(now - refilled_).count();
  if (elapsed > 0) {
    const double burst = std::max(1, options_.review_burst);
    review_tokens_ = std::min(burst, review_tokens_ + elapsed * options_.reviews_per_second);
    refilled_ = now;
  }
  if (review_tokens_ < 1) return false;
  review_tokens_ -= 1;
  return true;
}

// Asks outside the lock, then caches the answer and hands it to the requests waiting for it.
int AccessFilter::review(const std::string& key, const std::string& token, const std::string& path,
                         base::Clock::TimePoint asked, std::promise<int>& answer) {
  int status = 0;
  try {
    status = ask(token, path);
  } catch (...) {
    finish(key, std::nullopt, asked);
    answer.set_exception(std::current_exception());
    throw;
  }
  finish(key, status, asked);
  answer.set_value(status);
  return status;
}

int AccessFilter::ask(const std::string& token, const std::string& path) {
  ++counters_.reviews;
  const auto user = reviewer_.authenticate(token);
  if (!user) return 401;
  return reviewer_.authorize(*user, "get", path) ? 200 : 403;
}

// Caches `status` (nullopt: the review failed, nothing cached) from `asked`, so the decision
// expires a ttl after the question, never later.
void AccessFilter::finish(const std::string& key, std::optional<int> status,
                          base::Clock::TimePoint asked) {
  std::lock_guard lock(mu_);
  pending_.erase(key);
  if (!status) {
    // A failed review leaves no known caller behind: the next try spends the budget.
    const auto* entry = authenticated_->find(key);
    if (entry && entry->expires <= clock_.now()) authenticated_->erase(key);
    return;
  }
  const DecisionCache::Entry entry{*status, asked + options_.ttl};
  if (*status == 401) {
    authenticated_->erase(key);
    unauthenticated_->put(key, entry);
  } else {
    unauthenticated_->erase(key);
    authenticated_->put(key, entry);
  }
}

}  // namespace bulwark::server
