#pragma once

#include <cstddef>
#include <mutex>

namespace bulwark::base {

// Bytes shared by work in flight (admission reviews: what each may hold at most), so what they
// hold together stays under a memory limit. take() never waits: work that does not fit is shed
// by the caller, which knows what shedding means. Thread-safe.
class ByteBudget {
 public:
  explicit ByteBudget(std::size_t total) : total_(total) {}
  // Takes `bytes` if they fit and leave `keep_free` free (a reserve for other callers).
  bool take(std::size_t bytes, std::size_t keep_free = 0) {
    std::lock_guard lock(mu_);
    const std::size_t left = total_ - used_;
    if (keep_free > left || bytes > left - keep_free) return false;
    used_ += bytes;
    return true;
  }
  void give_back(std::size_t bytes) {
    std::lock_guard lock(mu_);
    used_ -= bytes < used_ ? bytes : used_;
  }
  std::size_t used() const {
    std::lock_guard lock(mu_);
    return used_;
  }
  std::size_t total() const { return total_; }

  // Bytes taken, given back when it goes out of scope.
  class Held {
   public:
    Held(ByteBudget& budget, std::size_t bytes) : budget_(budget), bytes_(bytes) {}
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held() { budget_.give_back(bytes_); }

   private:
    ByteBudget& budget_;
    std::size_t bytes_;
  };

 private:
  const std::size_t total_;
  mutable std::mutex mu_;
  std::size_t used_ = 0;  // guarded by mu_
};

}  // namespace bulwark::base
