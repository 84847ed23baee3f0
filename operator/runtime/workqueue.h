#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "operator/base/clock.h"
#include "operator/base/rate_limiter.h"

namespace bulwark::runtime {

// The queue between informers and reconcilers, with client-go's guarantees (util/workqueue):
// - a key waiting in the queue is held once, however often it is added;
// - a key is never handed to two workers at once; one added while it is being processed is
//   queued again when the worker calls done();
// - retries are delayed by per-key exponential backoff plus a global token bucket
//   (add_rate_limited), and callers forget() a key when it succeeds;
// - shutdown() stops new adds; workers finish what is queued, then get() returns nullopt.
// Thread-safe. Keys are opaque strings: each controller chooses its own (object keys, workload
// keys "Kind/namespace/name", namespace names, fan-out events).
class WorkQueue {
 public:
  WorkQueue(base::ItemRateLimiter::Options limits, const base::Clock& clock);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void add(const std::string& key);
  // Adds the key once `delay` has passed; an earlier pending time for the same key wins.
  void add_after(const std::string& key, base::Clock::Duration delay);
  void add_rate_limited(const std::string& key);
  void forget(const std::string& key);
  int num_requeues(const std::string& key) const;

  // Blocks until a key is ready, and marks it processing; nullopt once shut down and empty.
  // Every key returned must be passed to done().
  std::optional<std::string> get();
  // As get(), but returns nullopt at once when no key is ready.
  std::optional<std::string> try_get();
  void done(const std::string& key);

  void shutdown();
  // Shuts down and waits until every key handed out has been done().
  void shutdown_with_drain();

  std::size_t depth() const;    // keys ready to be handed out
  bool idle() const;            // nothing ready and nothing being processed (delayed keys aside)
  std::size_t delayed() const;  // keys waiting for their time
  bool shutting_down() const;

 private:
  void add_locked(const std::string& key);
  // Moves delayed keys whose time has come into the queue; returns the next pending time.
  std::optional<base::Clock::TimePoint> promote_locked();
  std::optional<std::string> pop_locked();

  const base::Clock& clock_;
  base::ItemRateLimiter limiter_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // All guarded by mu_.
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;       // queued or to be queued after processing
  std::set<std::string> processing_;  // handed out, not yet done()
  std::map<std::string, base::Clock::TimePoint> waiting_;
  bool shutting_down_ = false;
};

}  // namespace bulwark::runtime
