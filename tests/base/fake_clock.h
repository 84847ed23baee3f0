#pragma once

#include <mutex>

#include "operator/base/clock.h"

namespace bulwark::testing {

// A clock that moves only when told. sleep_for() advances it, so code that waits out a delay
// returns at once and the test sees the time it would have taken.
class FakeClock : public base::Clock {
 public:
  TimePoint now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  std::chrono::system_clock::time_point wall_now() const override {
    std::lock_guard lock(mu_);
    return wall_ + (now_ - TimePoint{});
  }
  void sleep_for(Duration d) override { advance(d); }
  void advance(Duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_{std::chrono::hours(1)};
  std::chrono::system_clock::time_point wall_ = std::chrono::system_clock::from_time_t(1795000000);
};

}  // namespace bulwark::testing
