#include "operator/runtime/workqueue.h"

#include <algorithm>

namespace bulwark::runtime {

WorkQueue::WorkQueue(base::ItemRateLimiter::Options limits, const base::Clock& clock)
    : clock_(clock), limiter_(limits, clock) {}

WorkQueue::~WorkQueue() { shutdown(); }

void WorkQueue::add(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    add_locked(key);
  }
  cv_.notify_one();
}

void WorkQueue::add_locked(const std::string& key) {
  if (shutting_down_ || dirty_.count(key) != 0) return;
  dirty_.insert(key);
  if (processing_.count(key) != 0) return;  // done() queues it again
  queue_.push_back(key);
}

void WorkQueue::add_after(const std::string& key, base::Clock::Duration delay) {
  if (delay <= base::Clock::Duration::zero()) {
    add(key);
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return;
    // Saturates rather than overflowing into the past.
    const auto now = clock_.now();
    const auto at =
        delay >= base::Clock::TimePoint::max() - now ? base::Clock::TimePoint::max() : now + delay;
    auto [it, inserted] = waiting_.emplace(key, at);
    if (!inserted) it->second = std::min(it->second, at);
  }
  cv_.notify_all();  // a waiting get() may need to wake earlier
}

void WorkQueue::add_rate_limited(const std::string& key) { add_after(key, limiter_.when(key)); }

void WorkQueue::forget(const std::string& key) { limiter_.forget(key); }

int WorkQueue::num_requeues(const std::string& key) const { return limiter_.num_requeues(key); }

std::optional<base::Clock::TimePoint> WorkQueue::promote_locked() {
  const auto now = clock_.now();
  std::optional<base::Clock::TimePoint> next;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->second <= now) {
      add_locked(it->first);
      it = waiting_.erase(it);
    } else {
      next = next ? std::min(*next, it->second) : it->second;
      ++it;
    }
  }
  return next;
}

std::optional<std::string> WorkQueue::pop_locked() {
  if (queue_.empty()) return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(key);
  dirty_.erase(key);
  return key;
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mu_);
  for (;;) {
    const auto next = promote_locked();
    if (!queue_.empty()) return pop_locked();
    if (shutting_down_) return std::nullopt;
    // Wake for the next delayed key, and at least every second in case the clock is not the
    // steady clock the condition variable waits on.
    auto wait = std::chrono::duration_cast<base::Clock::Duration>(std::chrono::seconds(1));
    if (next) wait = std::min(wait, *next - clock_.now());
    cv_.wait_for(lock, std::max(wait, base::Clock::Duration::zero()));
  }
}

std::optional<std::string> WorkQueue::try_get() {
  std::lock_guard lock(mu_);
  promote_locked();
  return pop_locked();
}

void WorkQueue::done(const std::string& key) {
  bool requeued = false;
  bool draining = false;
  {
    std::lock_guard lock(mu_);
    processing_.erase(key);
    requeued = dirty_.count(key) != 0;
    if (requeued) queue_.push_back(key);
    draining = shutting_down_;
  }
  // Only a key put back needs a worker, and only shutdown_with_drain() waits for the rest; waking
  // every worker after each reconcile cost a context switch per worker per key.
  if (draining) {
    cv_.notify_all();
  } else if (requeued) {
    cv_.notify_one();
  }
}

bool WorkQueue::shutting_down() const {
  std::lock_guard lock(mu_);
  return shutting_down_;
}

void WorkQueue::shutdown() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    waiting_.clear();
  }
  cv_.notify_all();
}

void WorkQueue::shutdown_with_drain() {
  std::unique_lock lock(mu_);
  shutting_down_ = true;
  waiting_.clear();
  cv_.notify_all();
  cv_.wait(lock, [&] { return processing_.empty(); });
}

bool WorkQueue::idle() const {
  std::lock_guard lock(mu_);
  return queue_.empty() && processing_.empty();
}

std::size_t WorkQueue::depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::size_t WorkQueue::delayed() const {
  std::lock_guard lock(mu_);
  return waiting_.size();
}

}  // namespace bulwark::runtime
