#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace bulwark::base {

// Time as the runtime sees it. Injected everywhere timing matters so tests can use a fake one.
// Implementations are thread-safe.
class Clock {
 public:
  using Duration = std::chrono::steady_clock::duration;
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  virtual std::chrono::system_clock::time_point wall_now() const = 0;
  virtual void sleep_for(Duration d) = 0;
};

class RealClock : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::now();
  }
  void sleep_for(Duration d) override { std::this_thread::sleep_for(d); }
};

// Sleeps `d` on `clock` in slices, returning early once `stop` is set, so a long backoff never
// delays shutdown by more than a slice.
inline void sleep_unless_stopped(Clock& clock, Clock::Duration d, const std::atomic<bool>& stop,
                                 Clock::Duration slice = std::chrono::milliseconds(50)) {
  while (d > Clock::Duration::zero() && !stop) {
    const auto step = std::min(d, slice);
    clock.sleep_for(step);
    d -= step;
  }
}

}  // namespace bulwark::base
