#pragma once

#include <chrono>
#include <thread>

namespace bulwark::runtime {

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

}  // namespace bulwark::runtime
