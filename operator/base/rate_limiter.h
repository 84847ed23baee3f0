#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "operator/base/clock.h"

namespace bulwark::base {

// A token bucket: `qps` tokens a second, at most `burst` saved up. reserve() always takes a token
// and says how long to wait before using it, as golang.org/x/time/rate's Reserve does, so callers
// that wait the delay out never exceed the rate. `qps` 0 (or less) is no limit; `burst` 0 is the
// qps rounded up. Thread-safe.
class TokenBucket {
 public:
  TokenBucket(double qps, int burst, const Clock& clock);
  Clock::Duration reserve();

 private:
  const double qps_;
  const double burst_;
  const Clock& clock_;
  std::mutex mu_;
  double tokens_;          // guarded by mu_; negative when reservations are queued
  Clock::TimePoint last_;  // guarded by mu_
};

// How long to wait before retrying an item: per-item exponential backoff (base * 2^failures,
// capped) combined with an overall token bucket, whichever is longer; client-go's default
// controller rate limiter. Thread-safe.
class ItemRateLimiter {
 public:
  struct Options {
    Clock::Duration base_delay = std::chrono::milliseconds(5);
    Clock::Duration max_delay = std::chrono::seconds(1000);
    double qps = 10;
    int burst = 100;
  };
  ItemRateLimiter(Options options, const Clock& clock);

  Clock::Duration when(const std::string& item);
  void forget(const std::string& item);
  int num_requeues(const std::string& item) const;

 private:
  const Options options_;
  TokenBucket bucket_;
  mutable std::mutex mu_;
  std::map<std::string, int> failures_;  // guarded by mu_
};

}  // namespace bulwark::base
