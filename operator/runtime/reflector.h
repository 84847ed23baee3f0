#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "operator/base/clock.h"
#include "operator/kube/client.h"
#include "operator/runtime/informer.h"

namespace bulwark::runtime {

// Keeps a Store in line with the API server, with client-go's reflector semantics:
// - list (paginated), then watch from the list's resourceVersion with bookmarks, tracking the
//   resourceVersion of every event;
// - a watch the server ends (its randomized timeout) is re-opened at once from where it stopped;
// - 410 Gone, up front or as a watch ERROR event, means relist; the relist removes what vanished;
// - a broken connection or a failed request backs off (about 0.8 s doubling to 30 s, with jitter)
//   and re-watches without relisting;
// - a malformed event line is counted and skipped.
// run() blocks until stop() is called from another thread.
class Reflector {
 public:
  struct Options {
    kube::ResourceType type;
    std::string namespace_name;  // empty: all namespaces
    kube::ListOptions list;
    int min_watch_timeout_seconds = 300;  // the timeout is drawn from [min, 2*min)
    base::Clock::Duration backoff_initial = std::chrono::milliseconds(800);
    base::Clock::Duration backoff_max = std::chrono::seconds(30);
  };
  // Why the reflector had to restart its watch; for metrics and logs.
  enum class Restart { kExpired, kConnection, kServerClosed, kError };
  using RestartObserver = std::function<void(Restart reason, const std::string& detail)>;

  // `random` returns uniform numbers in [0, 1) (injected for tests).
  Reflector(kube::KubeClient& client, Store& store, Options options, base::Clock& clock,
            std::function<double()> random);

  void run();
  void stop();
  bool has_synced() const { return synced_.load(); }
  std::string resource_version() const;
  void set_restart_observer(RestartObserver observer) { observer_ = std::move(observer); }

 private:
  bool list();  // false when stopped or failed (after backing off)
  enum class WatchEnd { kRewatch, kRelist, kBackoff };
  WatchEnd watch();
  void backoff();
  void restarted(Restart reason, const std::string& detail);  // never called under mu_
  void drop_stream();

  kube::KubeClient& client_;
  Store& store_;
  Options options_;
  base::Clock& clock_;
  std::function<double()> random_;
  RestartObserver observer_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> synced_{false};
  base::Clock::Duration next_backoff_;
  mutable std::mutex mu_;
  std::string resource_version_;                  // guarded by mu_
  std::unique_ptr<kube::ResponseStream> stream_;  // guarded by mu_; cancelled by stop()
};

}  // namespace bulwark::runtime
