#include "reconcilers/events.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "operator/base/clock.h"
#include "operator/base/rate_limiter.h"
#include "operator/base/time_text.h"
#include "operator/kube/api_error.h"
#include "operator/kube/object_writer.h"
#include "operator/logging/logging.h"
#include "operator/policy/written_names.h"

namespace bulwark::reconcilers {

using document::Value;

std::string_view to_string(EventType type) {
  return type == EventType::kWarning ? "Warning" : "Normal";
}

std::string event_name(const ObjectRef& about, std::string_view reason, std::string_view message) {
  // FNV-1a, 64 bits: stable across builds and processes, unlike std::hash.
  std::uint64_t h = 14695981039346656037ull;
  for (std::string_view part :
       {std::string_view(about.uid), reason, std::string_view(about.resource_version), message}) {
    for (unsigned char c : part) h = (h ^ c) * 1099511628211ull;
    h = (h ^ '|') * 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  // 253 characters at most, as any object name.
  return about.name.substr(0, 253 - 17) + "." + hex;
}

Value make_event(const ObjectRef& about, EventType type, std::string_view reason,
                 const std::string& message, std::chrono::system_clock::time_point now) {
  const std::string ns = about.namespace_name.empty() ? "default" : about.namespace_name;
  const Value time = Value::string(base::format_rfc3339(now));
  Value event = Value::object();
  event.set("apiVersion", Value::string("v1")).set("kind", Value::string("Event"));
  event.child("metadata")
      .set("name", Value::string(event_name(about, reason, message)))
      .set("namespace", Value::string(ns));
  event.child("involvedObject")
      .set("apiVersion", Value::string(about.api_version))
      .set("kind", Value::string(about.kind))
      .set("namespace", Value::string(about.namespace_name))
      .set("name", Value::string(about.name))
      .set("uid", Value::string(about.uid))
      .set("resourceVersion", Value::string(about.resource_version));
  event.set("type", Value::string(to_string(type)))
      .set("reason", Value::string(reason))
      .set("message", Value::string(message));
  event.child("source").set("component", Value::string(kBulwarkName));
  event.set("reportingComponent", Value::string(kBulwarkName))
      .set("firstTimestamp", time)
      .set("lastTimestamp", time)
      .set("count", Value::integer(1));
  return event;
}

namespace {

// Writes one Event; a failure is logged and dropped (an Event is never worth a retry).
void write_event(kube::ObjectWriter& writer, const Value& event, const ObjectRef& about,
                 std::string_view reason) {
  const std::string ns(event.find({"metadata", "namespace"})->str());
  const auto what = [&] {
    return std::string(reason) + " on " + about.kind + " " + ns + "/" + about.name;
  };
  try {
    writer.create(kube::resources::kEvents, ns, event);
  } catch (const kube::ApiError& e) {
    if (e.error_class() == kube::ErrorClass::kConflict) {
      logging::debug("event " + what() + " was recorded already");
      return;
    }
    logging::warn("could not record event " + what() + ": " + e.what());
  } catch (const kube::NotLeadingError& e) {
    logging::debug(e.what());
  } catch (const std::exception& e) {
    logging::warn("could not record event " + what() + ": " + e.what());
  }
}

}  // namespace

QueuedEventRecorder::QueuedEventRecorder(kube::ObjectWriter& writer, base::Clock& clock,
                                         Options options, std::function<void()> on_dropped)
    : writer_(writer),
      clock_(clock),
      options_(options),
      on_dropped_(std::move(on_dropped)),
      thread_([this] { run(); }) {}

QueuedEventRecorder::~QueuedEventRecorder() { stop(); }

bool EventSpamFilter::allow(const std::string& key, std::chrono::steady_clock::time_point now) {
  auto [it, added] = buckets_.try_emplace(key);
  Bucket& b = it->second;
  if (added) {
    b.tokens = options_.burst;
    b.at = now;
    recent_.push_front(key);
    b.recent = recent_.begin();
    if (recent_.size() > options_.remembered) {
      buckets_.erase(recent_.back());
      recent_.pop_back();
    }
  } else {
    recent_.splice(recent_.begin(), recent_, b.recent);
    const auto elapsed =
        std::chrono::duration<double>(now - b.at) / std::chrono::duration<double>(options_.refill);
    b.tokens = std::min(options_.burst, b.tokens + std::max(0.0, elapsed));
    b.at = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void QueuedEventRecorder::record(const ObjectRef& about, EventType type, std::string_view reason,
                                 const std::string& message) {
  std::unique_lock lock(mu_);
  if (stop_) return;  // shutting down: nothing more is written
  const std::string spam_key = about.kind + "/" + about.namespace_name + "/" + about.name + "/" +
                               about.uid + "/" + std::string(reason);
  if (!spam_.allow(spam_key, clock_.now())) {
    lock.unlock();
    ++dropped_;
    if (on_dropped_) on_dropped_();
    logging::debug("Event " + std::string(reason) + " about " + about.namespace_name + "/" +
                   about.name + " dropped: more than the spam filter lets through");
    return;
  }
  Queued event{about, type, std::string(reason), message, clock_.wall_now()};
  const bool room = queue_.size() < options_.capacity;
  if (!folding_.tell_alone(event, room, clock_.now())) {
    lock.unlock();
    wake_.notify_one();  // the writer learns when the fold is due
    return;
  }
  if (!room) {
    const bool first = !overflowing_;
    overflowing_ = true;
    lock.unlock();
    ++dropped_;
    if (on_dropped_) on_dropped_();
    if (first) {
      logging::warn(std::to_string(options_.capacity) +
                    " Events wait to be written: newer ones about cluster-scoped objects are "
                    "dropped until the queue drains (bulwark_events_dropped_total counts them)");
    }
    return;
  }
  if (queue_.size() < options_.capacity / 2) overflowing_ = false;
  queue_.push_back(std::move(event));
  lock.unlock();
  wake_.notify_one();
}

std::size_t QueuedEventRecorder::waiting() const {
  std::lock_guard lock(mu_);
  return queue_.size() + folding_.folds();
}

void QueuedEventRecorder::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_.exchange(true)) return;
    if (!queue_.empty() || folding_.folding()) {
      logging::info("stopping: " + std::to_string(queue_.size() + folding_.folds()) +
                    " Events not written");
    }
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void QueuedEventRecorder::queue_due_locked() {
  if (!folding_.folding() || queue_.size() >= options_.capacity) return;
  for (auto& e : folding_.due(clock_.now(), options_.capacity - queue_.size())) {
    queue_.push_back(std::move(e));
  }
}

void QueuedEventRecorder::run() {
  // How often a writer with folded Events looks whether their window has ended: the clock may be
  // a test's, which no wait on a condition variable follows.
  constexpr auto kFoldedPoll = std::chrono::milliseconds(100);
  base::TokenBucket bucket(options_.qps, options_.burst, clock_);
  for (;;) {
    Queued next;
    {
      std::unique_lock lock(mu_);
      for (queue_due_locked(); !stop_ && queue_.empty(); queue_due_locked()) {
        if (folding_.folding()) {
          wake_.wait_for(lock, kFoldedPoll);
        } else {
          wake_.wait(lock, [this] { return stop_ || !queue_.empty() || folding_.folding(); });
        }
      }
      if (stop_) return;
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    base::sleep_unless_stopped(clock_, bucket.reserve(), stop_);
    if (stop_) return;
    write_event(writer_, make_event(next.about, next.type, next.reason, next.message, next.when),
                next.about, next.reason);
  }
}

}  // namespace bulwark::reconcilers
