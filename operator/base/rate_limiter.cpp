#include "operator/base/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace bulwark::base {

TokenBucket::TokenBucket(double qps, int burst, const Clock& clock)
    : qps_(qps),
      burst_(burst > 0 ? burst : std::max(1.0, std::ceil(qps))),
      clock_(clock),
      tokens_(burst_),
      last_(clock.now()) {}

Clock::Duration TokenBucket::reserve() {
  if (qps_ <= 0) return Clock::Duration::zero();  // no limit
  std::lock_guard lock(mu_);
  const auto now = clock_.now();
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  if (elapsed > 0) {
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
  tokens_ -= 1;
  if (tokens_ >= 0 || qps_ <= 0) return Clock::Duration::zero();
  return std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double>(-tokens_ / qps_));
}

ItemRateLimiter::ItemRateLimiter(Options options, const Clock& clock)
    : options_(options), bucket_(options.qps, options.burst, clock) {}

Clock::Duration ItemRateLimiter::when(const std::string& item) {
  int failures;
  {
    std::lock_guard lock(mu_);
    failures = failures_[item]++;
  }
  // base * 2^failures, computed in floating point so a long failure streak cannot overflow.
  const double backoff = std::chrono::duration<double>(options_.base_delay).count() *
                         std::pow(2.0, std::min(failures, 62));
  const auto item_delay =
      backoff >= std::chrono::duration<double>(options_.max_delay).count()
          ? options_.max_delay
          : std::chrono::duration_cast<Clock::Duration>(std::chrono::duration<double>(backoff));
  return std::max(item_delay, bucket_.reserve());
}

void ItemRateLimiter::forget(const std::string& item) {
  std::lock_guard lock(mu_);
  failures_.erase(item);
}

int ItemRateLimiter::num_requeues(const std::string& item) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(item);
  return it == failures_.end() ? 0 : it->second;
}

}  // namespace bulwark::base
