#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bulwark::cli {

// Work done on several threads and finished in order: each job runs on a worker and returns its
// delivery, and deliveries run on the thread that submits, one at a time, in the order the jobs
// were submitted, whatever order the jobs end in. So everything a delivery writes (a report, an
// error line, a count) comes out as if the jobs had run one after another.
// - With one thread there are no workers: submit() runs the job and then its delivery at once.
//   With more, the submitting thread also runs jobs while it waits for the oldest one.
// - At most `window` jobs are submitted and not yet delivered, weighing at most `budget` together
//   (each job's weight is what its caller expects it to hold; a job heavier than the budget goes
//   alone): submit() delivers (waiting for the oldest job) until there is room, so memory follows
//   the window and the budget, not the input.
// - A job that throws has its exception rethrown by the delivery in its place (on the submitting
//   thread); later jobs are still run, and delivered by the next call.
// - then() queues a delivery with no job: something the submitting thread does in its place.
// - finish() delivers every job; the destructor stops and joins the workers (undelivered jobs are
//   dropped).
// Not thread-safe itself: one thread submits.
class OrderedWork {
 public:
  using Delivery = std::function<void()>;
  using Job = std::function<Delivery()>;

  OrderedWork(unsigned threads, std::size_t window, std::size_t budget = SIZE_MAX);
  ~OrderedWork();
  OrderedWork(const OrderedWork&) = delete;
  OrderedWork& operator=(const OrderedWork&) = delete;

  void submit(Job job, std::size_t weight = 0);
  void then(Delivery delivery);
  void finish();

 private:
  struct Slot {
    Job job;
    Delivery delivery;
    std::exception_ptr error;
    bool done = false;
    std::size_t weight = 0;
  };
  void work();
  // Delivers the finished jobs at the front; with `wait`, waits for the front one first, running
  // jobs no worker took yet meanwhile.
  void deliver_front(bool wait);
  // Runs the next startable job with `lock` released, and marks it done.
  void run_one(std::unique_lock<std::mutex>& lock);

  std::size_t window_;
  std::size_t budget_;
  std::size_t weight_ = 0;  // of the jobs submitted and not delivered
  std::mutex mutex_;
  std::condition_variable job_ready_;  // a job to run, or stopping
  std::condition_variable job_done_;
  // Startable: the next slot with a job that no worker took yet (then() slots have none).
  bool startable();

  std::deque<Slot> slots_;      // submitted and not delivered, in order
  std::size_t front_seq_ = 0;   // the submission number of slots_.front()
  std::size_t next_start_ = 0;  // the submission number of the next slot to look at for a job
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace bulwark::cli
