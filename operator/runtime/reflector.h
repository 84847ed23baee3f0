#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "operator/base/clock.h"
#include "operator/kube/client.h"
#include "operator/runtime/informer.h"

namespace bulwark::runtime {

// Keeps a Store in line with the API server, with client-go's reflector semantics:
// - list (paginated), then watch from the list's resourceVersion with bookmarks, tracking the
//   resourceVersion of every event;
// - a watch the server ends (its randomized timeout) is re-opened at once from where it stopped,
//   unless it ended within a second with no event: a very short watch backs off instead;
// - 410 Gone, up front or as a watch ERROR event, means relist; the relist removes what vanished;
// - a broken connection or a failed request backs off (about 0.8 s doubling to 30 s, with jitter)
//   and re-watches without relisting;
// - a watch that hears nothing, not even a bookmark, for the idle timeout is taken for a silently
//   dead connection: it is dropped and re-opened;
// - a malformed event line means an event was lost (a DELETED, say): it is counted and the
//   cache relists.
// last_heard() says when the API server last answered (a list, a watch opened, any event), so
// readiness can report a cache that has stopped hearing. run() blocks until stop().
class Reflector {
 public:
  struct Options {
    kube::ResourceType type;
    std::string namespace_name;  // empty: all namespaces
    kube::ListOptions list;
    int min_watch_timeout_seconds = 300;  // the timeout is drawn from [min, 2*min)
    base::Clock::Duration backoff_initial = std::chrono::milliseconds(800);
    base::Clock::Duration backoff_max = std::chrono::seconds(30);
    // The API server sends a bookmark on every watch about once a minute: two and a half
    // intervals of silence mean the connection is gone.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(150);
    // A watch that ends sooner than this with no event backs off before the next one (client-go's
    // "very short watch").
    base::Clock::Duration min_watch_duration = std::chrono::seconds(1);
  };
  // Why the reflector had to restart its watch; for metrics and logs.
  enum class Restart { kExpired, kConnection, kServerClosed, kError, kIdle };
  using RestartObserver = std::function<void(Restart reason, const std::string& detail)>;

  // `random` returns uniform numbers in [0, 1) (injected for tests).
  Reflector(kube::KubeClient& client, Store& store, Options options, base::Clock& clock,
            std::function<double()> random);

  void run();
  void stop();
  bool has_synced() const { return synced_.load(); }
  // When the API server last answered this reflector (clock_.now()); the epoch before it ever has.
  base::Clock::TimePoint last_heard() const {
    return base::Clock::TimePoint(base::Clock::Duration(last_heard_.load()));
  }
  // When a list or watch last failed and the reflector backed off (the epoch if never): while it
  // is after last_heard(), the store holds what it held before that failure.
  base::Clock::TimePoint last_failed() const {
    return base::Clock::TimePoint(base::Clock::Duration(last_failed_.load()));
  }
  std::string resource_version() const;
  void set_restart_observer(RestartObserver observer) { observer_ = std::move(observer); }
  // Called once, on run()'s thread, after the first list has filled the store.
  void set_synced_observer(std::function<void()> observer) {
    synced_observer_ = std::move(observer);
  }

 private:
  bool list();  // false when stopped or failed (after backing off)
  enum class WatchEnd { kRewatch, kRelist, kBackoff };
  WatchEnd watch();
  void backoff();
  void restarted(Restart reason, const std::string& detail);  // never called under mu_
  void drop_stream();
  void heard() { last_heard_ = clock_.now().time_since_epoch().count(); }
  // Reads events until the stream ends; how the watch ends, or nullopt when the stream just ended
  // (`mid_event` when it ended inside an event).
  std::optional<WatchEnd> read_events(kube::ResponseStream& stream, bool& any_event,
                                      bool& mid_event);

  kube::KubeClient& client_;
  Store& store_;
  Options options_;
  base::Clock& clock_;
  std::function<double()> random_;
  RestartObserver observer_;
  std::function<void()> synced_observer_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> synced_{false};
  std::atomic<base::Clock::Duration::rep> last_heard_{0};
  std::atomic<base::Clock::Duration::rep> last_failed_{0};
  base::Clock::Duration next_backoff_;
  mutable std::mutex mu_;
  std::string resource_version_;                  // guarded by mu_
  std::unique_ptr<kube::ResponseStream> stream_;  // guarded by mu_; cancelled by stop()
};

}  // namespace bulwark::runtime
