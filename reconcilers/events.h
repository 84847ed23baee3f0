#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "operator/document/value.h"
#include "reconcilers/event_folding.h"

namespace bulwark::kube {
class ObjectWriter;
}
namespace bulwark::base {
class Clock;
}

namespace bulwark::reconcilers {

// The reasons Bulwark records (docs/api.md, Events): one CamelCase word per kind of change.
namespace event_reasons {
inline constexpr std::string_view kPolicyViolation = "PolicyViolation";
inline constexpr std::string_view kQuarantined = "Quarantined";
inline constexpr std::string_view kReleased = "Released";
inline constexpr std::string_view kDriftRepaired = "DriftRepaired";
inline constexpr std::string_view kExemptionLapsed = "ExemptionLapsed";
// Quarantine was wanted and is not done; the message starts with why (HostNetwork).
inline constexpr std::string_view kQuarantineNotEnforced = "QuarantineNotEnforced";
// On an object Bulwark did not create that holds a name Bulwark keeps.
inline constexpr std::string_view kNameConflict = "NameConflict";
}  // namespace event_reasons

// Records Kubernetes Events (docs/api.md: one per change, never one per evaluation).
// Best effort: an Event that cannot be written is logged and dropped, never retried, so a
// reconcile does not fail or repeat its real work over one. Thread-safe implementations; tests
// use tests/fakes/fake_event_recorder.h.
class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  virtual void record(const ObjectRef& about, EventType type, std::string_view reason,
                      const std::string& message) = 0;
};

// The core/v1 Event about `about`, from reporting component "bulwark". Events about
// cluster-scoped objects live in "default", where kubectl looks for them. Its name is
// deterministic: the object's name and a hash of (uid, reason, resourceVersion judged, message),
// so the same change recorded twice (a retry, a restart that judges the same version again) is
// refused by the API server with 409 instead of becoming a duplicate, while another cause for the
// same reason on an unchanged object (a second policy reopening its quarantine) is told.
std::string event_name(const ObjectRef& about, std::string_view reason, std::string_view message);
document::Value make_event(const ObjectRef& about, EventType type, std::string_view reason,
                           const std::string& message, std::chrono::system_clock::time_point now);

// At most `burst` Events about one object for one reason, then one each `refill`, as client-go's
// EventSourceObjectSpamFilter (25, then one each 5 minutes): a cause that flaps (a namespace user
// creating and deleting policies that reopen a quarantine, each told by name) cannot fill the queue
// every other object's Events share. Remembers the `remembered` pairs heard from last. Not
// thread-safe.
class EventSpamFilter {
 public:
  struct Options {
    double burst = 25;
    std::chrono::steady_clock::duration refill = std::chrono::minutes(5);
    std::size_t remembered = 4096;
  };
  EventSpamFilter() : EventSpamFilter(Options{}) {}
  explicit EventSpamFilter(Options options) : options_(options) {}
  // Whether an Event about `key` (object and reason) may be written at `now`; takes its token.
  bool allow(const std::string& key, std::chrono::steady_clock::time_point now);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at;
    std::list<std::string>::iterator recent;
  };
  Options options_;
  std::map<std::string, Bucket> buckets_;
  std::list<std::string> recent_;  // most recent first
};

// Writes core/v1 Events from a thread of its own, so that a reconcile never waits on one. Why: a
// first pass over 10,000 pods, a quarter violating, wrote 2,500 Events between its 10,000
// verdicts, a quarter more writes on the path users wait on (docs/benchmarks.md, operator at
// scale).
// - record() never blocks: it stamps the Event's time and queues it.
// - Written in order at most `qps` a second (client-go's event sink is rate-limited too), so a
//   storm of changes spends the API server's capacity on verdicts first.
// - Past a budget in a minute, or while `capacity` wait (client-go's broadcaster holds 1,000),
//   Events about namespaced objects are folded into one per namespace and reason
//   (event_folding.h), never dropped; one about a cluster-scoped object is then dropped, counted by
//   `on_dropped`, and logged once per overflow.
// - Stopping (or destroying it) drops what still waits, logged with its count.
// - More Events about one object for one reason than EventSpamFilter lets through are dropped and
//   counted as well.
// Best effort as every recorder: failed writes are logged and dropped (write_event).
class QueuedEventRecorder : public EventRecorder {
 public:
  struct Options {
    double qps = 25;
    int burst = 25;
    std::size_t capacity = 1000;
    EventFolding::Options folding;
  };
  QueuedEventRecorder(kube::ObjectWriter& writer, base::Clock& clock, Options options,
                      std::function<void()> on_dropped = {});
  ~QueuedEventRecorder() override;
  void record(const ObjectRef& about, EventType type, std::string_view reason,
              const std::string& message) override;
  void stop();
  std::size_t waiting() const;  // queued, and folded (one each fold)
  std::uint64_t dropped() const { return dropped_; }

 private:
  using Queued = EventFolding::Told;
  void run();
  // Queues the folded Events that are due, as many as there is room for (callers hold mu_).
  void queue_due_locked();

  kube::ObjectWriter& writer_;
  base::Clock& clock_;
  const Options options_;
  const std::function<void()> on_dropped_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Queued> queue_;  // guarded by mu_
  bool overflowing_ = false;  // guarded by mu_: dropped since the queue was last below capacity
  EventSpamFilter spam_;      // guarded by mu_
  EventFolding folding_;      // guarded by mu_
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> dropped_{0};
  std::thread thread_;
};

// Records nothing: for callers that do not want Events.
class NoEvents : public EventRecorder {
 public:
  void record(const ObjectRef&, EventType, std::string_view, const std::string&) override {}
};

}  // namespace bulwark::reconcilers
