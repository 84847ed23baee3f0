#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "operator/base/clock.h"
#include "operator/runtime/workqueue.h"

namespace bulwark::runtime {

// What a reconcile asks for next (controller-runtime's contract): nothing, or to run again after
// a delay (an exemption that expires, say). Failure is an exception: the key is retried with
// per-key backoff, unless the failure is terminal (TerminalError, or an ApiError that
// api_error.h classes kInvalid: the request is wrong and retrying will not help).
struct Result {
  std::optional<base::Clock::Duration> requeue_after;
};

// A failure that retrying will not mend (controller-runtime's reconcile.TerminalError): the
// controller logs and counts it and forgets the key until its next event.
class TerminalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How one reconcile ended, classified once (here) for logs and metrics.
enum class ReconcileResult {
  kSuccess,
  kError,          // retried with backoff
  kConflict,       // 409: the cache was a write behind; retried, and not worth a warning
  kTerminalError,  // not retried
  kFenced,         // a write refused because this replica can no longer prove it leads
};
ReconcileResult classify_failure(const std::exception& e);

// Level-based and idempotent: given a key, read the current state, write only the difference.
// Never told whether the key was added, changed or deleted. Called from several workers at once,
// but never for the same key at the same time.
class Reconciler {
 public:
  virtual ~Reconciler() = default;
  virtual Result reconcile(const std::string& key) = 0;
};

// A reconciler made of a function, for small loops that need no class of their own.
class FunctionReconciler : public Reconciler {
 public:
  explicit FunctionReconciler(std::function<Result(const std::string&)> fn) : fn_(std::move(fn)) {}
  Result reconcile(const std::string& key) override { return fn_(key); }

 private:
  std::function<Result(const std::string&)> fn_;
};

// Runs workers that take keys from a queue and reconcile them: get -> reconcile -> forget on
// success, requeue with backoff on failure (forget on a terminal one), add-after on
// requeue_after -> done. start() and stop() are called from one thread; stop() lets the workers
// finish the key in hand and drops what is still queued.
class Controller {
 public:
  // Told of every reconcile, for metrics and logs: key, duration, how it ended, and the error
  // (empty on success).
  using Observer = std::function<void(const std::string& key, base::Clock::Duration took,
                                      ReconcileResult result, const std::string& error)>;

  Controller(std::string name, Reconciler& reconciler, WorkQueue& queue, int workers,
             const base::Clock& clock);
  ~Controller();

  void set_observer(Observer observer) { observer_ = std::move(observer); }
  void start();
  void stop();  // shuts the queue down; workers finish the key in hand, start no other
  const std::string& name() const { return name_; }

  // One key through the reconcile cycle; the workers call it, tests may too.
  void process(const std::string& key);

 private:
  std::string name_;
  Reconciler& reconciler_;
  WorkQueue& queue_;
  int workers_;
  const base::Clock& clock_;
  Observer observer_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

}  // namespace bulwark::runtime
