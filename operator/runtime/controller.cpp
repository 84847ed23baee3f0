#include "operator/runtime/controller.h"

#include "operator/kube/api_error.h"
#include "operator/kube/object_writer.h"

namespace bulwark::runtime {

ReconcileResult classify_failure(const std::exception& e) {
  if (dynamic_cast<const TerminalError*>(&e) != nullptr) return ReconcileResult::kTerminalError;
  if (dynamic_cast<const kube::NotLeadingError*>(&e) != nullptr) return ReconcileResult::kFenced;
  if (const auto* api = dynamic_cast<const kube::ApiError*>(&e)) {
    switch (api->error_class()) {
      case kube::ErrorClass::kConflict:
        return ReconcileResult::kConflict;
      case kube::ErrorClass::kInvalid:
        return ReconcileResult::kTerminalError;
      default:
        return ReconcileResult::kError;
    }
  }
  return ReconcileResult::kError;
}

Controller::Controller(std::string name, Reconciler& reconciler, WorkQueue& queue, int workers,
                       const base::Clock& clock)
    : name_(std::move(name)),
      reconciler_(reconciler),
      queue_(queue),
      workers_(workers),
      clock_(clock) {}

Controller::~Controller() { stop(); }

void Controller::process(const std::string& key) {
  const auto start = clock_.now();
  std::string error;
  ReconcileResult result = ReconcileResult::kSuccess;
  try {
    const Result r = reconciler_.reconcile(key);
    queue_.forget(key);
    if (r.requeue_after) queue_.add_after(key, *r.requeue_after);
  } catch (const std::exception& e) {
    error = e.what();
    result = classify_failure(e);
    if (result == ReconcileResult::kTerminalError) {
      queue_.forget(key);  // until its next event: the backoff would only repeat the failure
    } else {
      queue_.add_rate_limited(key);
    }
  }
  if (observer_) observer_(key, clock_.now() - start, result, error);
}

void Controller::start() {
  for (int i = 0; i < workers_; ++i) {
    threads_.emplace_back([this] {
      while (auto key = queue_.get()) {
        // Stopping: the key in hand is finished, the rest of the queue is not started (a replica
        // that has lost its lease has nothing left to write).
        if (!stopping_) process(*key);
        queue_.done(*key);
        if (stopping_) break;
      }
    });
  }
}

void Controller::stop() {
  if (threads_.empty()) return;
  stopping_ = true;
  queue_.shutdown();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace bulwark::runtime
