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
  bool take(std::size_t bytes) {
    std::lock_guard lock(mu_);
    if (bytes > total_ - used_) return false;
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

 private:
  const std::size_t total_;
  mutable std::mutex mu_;
  std::size_t used_ = 0;  // guarded by mu_
};

}  // namespace bulwark::base
