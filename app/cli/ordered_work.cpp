#include "app/cli/ordered_work.h"

namespace bulwark::cli {

OrderedWork::OrderedWork(unsigned threads, std::size_t window, std::size_t budget)
    : window_(window > 0 ? window : 1), budget_(budget) {
  if (threads <= 1) return;
  workers_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

OrderedWork::~OrderedWork() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  job_ready_.notify_all();
  for (auto& t : workers_) t.join();
}

void OrderedWork::submit(Job job, std::size_t weight) {
  if (workers_.empty()) {
    // One thread: the job and its delivery in place, after anything queued by then().
    finish();
    Delivery delivery = job();
    if (delivery) delivery();
    return;
  }
  while (true) {
    std::unique_lock lock(mutex_);
    const bool room = slots_.size() < window_ && (weight_ + weight <= budget_ || weight_ == 0);
    if (room || slots_.empty()) break;
    lock.unlock();
    deliver_front(true);
  }
  {
    std::lock_guard lock(mutex_);
    slots_.push_back(Slot{std::move(job), {}, {}, false, weight});
    weight_ += weight;
  }
  job_ready_.notify_one();
  deliver_front(false);
}

void OrderedWork::then(Delivery delivery) {
  std::unique_lock lock(mutex_);
  if (slots_.empty()) {
    lock.unlock();
    delivery();
    return;
  }
  slots_.push_back(Slot{{}, std::move(delivery), {}, true, 0});
}

void OrderedWork::finish() {
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (slots_.empty()) return;
    }
    deliver_front(true);
  }
}

void OrderedWork::deliver_front(bool wait) {
  while (true) {
    Slot slot;
    {
      std::unique_lock lock(mutex_);
      if (slots_.empty()) return;
      while (!slots_.front().done) {
        if (!wait) return;
        // While the oldest job is not done, this thread runs one no worker took yet rather than
        // wait to be woken: under load a blocked thread waits to be scheduled at every handoff
        // (e2e.fix_vs_psa's scans took 193 s in CI's loaded pool at -j 2, 80 s the run before).
        if (startable()) {
          run_one(lock);
        } else {
          job_done_.wait(lock);
        }
      }
      slot = std::move(slots_.front());
      slots_.pop_front();
      ++front_seq_;
      weight_ -= slot.weight;
    }
    wait = false;
    if (slot.error) std::rethrow_exception(slot.error);
    if (slot.delivery) slot.delivery();
  }
}

bool OrderedWork::startable() {
  if (next_start_ < front_seq_) next_start_ = front_seq_;
  while (next_start_ - front_seq_ < slots_.size() && !slots_[next_start_ - front_seq_].job) {
    ++next_start_;
  }
  return next_start_ - front_seq_ < slots_.size();
}

void OrderedWork::run_one(std::unique_lock<std::mutex>& lock) {
  Slot* slot = &slots_[next_start_ - front_seq_];
  ++next_start_;
  Job job = std::move(slot->job);
  lock.unlock();
  Delivery delivery;
  std::exception_ptr error;
  try {
    delivery = job();
  } catch (...) {
    error = std::current_exception();
  }
  lock.lock();
  slot->delivery = std::move(delivery);
  slot->error = error;
  slot->done = true;
  job_done_.notify_all();
}

void OrderedWork::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    job_ready_.wait(lock, [this] { return stopping_ || startable(); });
    if (stopping_) return;
    run_one(lock);
  }
}

}  // namespace bulwark::cli
