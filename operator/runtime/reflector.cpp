#include "operator/runtime/reflector.h"

#include <malloc.h>

#include <algorithm>

#include "operator/document/reader.h"
#include "operator/kube/watch_decoder.h"

namespace bulwark::runtime {

using document::Value;
using kube::ApiError;
using kube::ErrorClass;

Reflector::Reflector(kube::KubeClient& client, Store& store, Options options, base::Clock& clock,
                     std::function<double()> random)
    : client_(client),
      store_(store),
      options_(std::move(options)),
      clock_(clock),
      random_(std::move(random)),
      next_backoff_(options_.backoff_initial) {}

std::string Reflector::resource_version() const {
  std::lock_guard lock(mu_);
  return resource_version_;
}

void Reflector::stop() {
  stopping_ = true;
  std::lock_guard lock(mu_);
  if (stream_) stream_->cancel();
}

void Reflector::drop_stream() {
  std::lock_guard lock(mu_);
  stream_.reset();
}

void Reflector::restarted(Restart reason, const std::string& detail) {
  if (observer_) observer_(reason, detail);
}

// Exponential backoff with full jitter on top: delay * (1 + random), capped.
void Reflector::backoff() {
  last_failed_ = clock_.now().time_since_epoch().count();
  const auto jittered = std::chrono::duration_cast<base::Clock::Duration>(
      std::chrono::duration<double>(next_backoff_) * (1.0 + random_()));
  base::sleep_unless_stopped(clock_, std::min(jittered, options_.backoff_max), stopping_,
                             std::chrono::milliseconds(100));
  next_backoff_ = std::min(next_backoff_ * 2, options_.backoff_max);
}

bool Reflector::list() {
  try {
    store_.begin_list();
    const std::string rv = client_.list(options_.type, options_.namespace_name, options_.list,
                                        [&](Value&& item) { store_.list_item(std::move(item)); });
    store_.end_list();
    heard();
    // A list leaves megabytes of freed parse buffers behind; hand them back to the system
    // rather than keep them as resident memory for the life of the process.
    malloc_trim(0);
    {
      std::lock_guard lock(mu_);
      resource_version_ = rv;
    }
    if (!synced_.exchange(true) && synced_observer_) synced_observer_();
    return true;
  } catch (const ApiError& e) {
    restarted(Restart::kError, e.what());
    backoff();
    return false;
  }
}

std::optional<Reflector::WatchEnd> Reflector::read_events(kube::ResponseStream& stream,
                                                          bool& any_event, bool& mid_event) {
  kube::WatchDecoder decoder;
  std::string chunk;
  for (;;) {
    chunk.clear();
    if (!stream.read(chunk)) {
      mid_event = decoder.pending() > 0;
      return std::nullopt;
    }
    decoder.feed(chunk);
    for (;;) {
      std::optional<kube::WatchEvent> event;
      try {
        event = decoder.next();
      } catch (const document::ParseError& e) {
        // The line held an event we cannot read (a DELETED, say): only a relist is sure to
        // bring the cache back in line.
        restarted(Restart::kError, std::string("malformed watch event; relisting: ") + e.what());
        return WatchEnd::kRelist;
      }
      if (!event) break;
      heard();
      if (event->type == kube::WatchEvent::Type::kError) {
        const Value* code = event->object.find("code");
        const Value* message = event->object.find("message");
        const std::string detail(message != nullptr ? message->str() : "watch error");
        if (code != nullptr && code->as_int() == 410) {
          restarted(Restart::kExpired, detail);
          return WatchEnd::kRelist;
        }
        restarted(Restart::kError, detail);
        return WatchEnd::kBackoff;
      }
      const Value* erv = event->object.find({"metadata", "resourceVersion"});
      const std::string event_rv(erv != nullptr ? erv->str() : "");
      switch (event->type) {
        case kube::WatchEvent::Type::kAdded:
        case kube::WatchEvent::Type::kModified:
          store_.upsert(std::move(event->object));
          break;
        case kube::WatchEvent::Type::kDeleted:
          store_.remove(event->object);
          break;
        default:  // a bookmark only moves the resourceVersion on
          break;
      }
      if (!event_rv.empty()) {
        std::lock_guard lock(mu_);
        resource_version_ = event_rv;
      }
      if (!any_event) {
        any_event = true;
        next_backoff_ = options_.backoff_initial;  // the connection works again
      }
    }
  }
}

Reflector::WatchEnd Reflector::watch() {
  std::string rv;
  {
    std::lock_guard lock(mu_);
    rv = resource_version_;
  }
  const int timeout =
      options_.min_watch_timeout_seconds +
      static_cast<int>(random_() * static_cast<double>(options_.min_watch_timeout_seconds));
  const auto opened_at = clock_.now();
  bool any_event = false, mid_event = false;
  try {
    auto stream = client_.watch(options_.type, options_.namespace_name, rv, timeout, options_.list,
                                options_.idle_timeout);
    {
      std::lock_guard lock(mu_);
      if (stopping_) return WatchEnd::kRewatch;
      stream_ = std::move(stream);
    }
    heard();
    // Only this thread replaces stream_, so it reads it without the lock; stop() may cancel the
    // stream concurrently, which ResponseStream allows.
    const auto end = read_events(*stream_, any_event, mid_event);
    drop_stream();
    if (end) return *end;
    if (stopping_) return WatchEnd::kRewatch;
    if (!any_event && clock_.now() - opened_at < options_.min_watch_duration) {
      restarted(Restart::kServerClosed, "very short watch: the server ended it at once");
      return WatchEnd::kBackoff;
    }
    restarted(Restart::kServerClosed, mid_event ? "stream ended mid-event" : "");
    return WatchEnd::kRewatch;
  } catch (const ApiError& e) {
    drop_stream();
    if (e.error_class() == ErrorClass::kGone) {
      restarted(Restart::kExpired, e.what());
      return WatchEnd::kRelist;
    }
    restarted(e.code() == 0 ? Restart::kConnection : Restart::kError, e.what());
    return WatchEnd::kBackoff;
  } catch (const kube::IdleStreamError& e) {
    drop_stream();
    restarted(Restart::kIdle, e.what());
    return WatchEnd::kRewatch;
  } catch (const kube::TransportError& e) {
    drop_stream();
    restarted(Restart::kConnection, e.what());
    return WatchEnd::kBackoff;
  }
}

void Reflector::run() {
  bool need_list = true;
  while (!stopping_) {
    if (need_list) {
      if (!list()) continue;
      need_list = false;
    }
    switch (watch()) {
      case WatchEnd::kRewatch:
        break;
      case WatchEnd::kRelist:
        need_list = true;
        break;
      case WatchEnd::kBackoff:
        backoff();
        break;
    }
  }
}

}  // namespace bulwark::runtime
