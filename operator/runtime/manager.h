#pragma once

#include <signal.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "operator/base/clock.h"
#include "operator/kube/client.h"
#include "operator/runtime/controller.h"
#include "operator/runtime/informer.h"
#include "operator/runtime/leader_election.h"
#include "operator/runtime/projection.h"
#include "operator/runtime/reflector.h"
#include "operator/runtime/workqueue.h"
#include "operator/server/http_server.h"

namespace bulwark::server {
class AccessFilter;
class AccessReviewer;
}  // namespace bulwark::server

namespace bulwark::runtime {

// What readiness knows of one cache.
struct CacheHealth {
  std::string name;
  bool synced = false;
  base::Clock::TimePoint last_heard{};  // when the API server last answered its reflector
};
// Why the replica is not ready ("" when it is): caches not synced yet, or synced caches that have
// heard nothing from the API server for `stale_after` (their data may be that old).
std::string unready_reason(const std::vector<CacheHealth>& caches, base::Clock::TimePoint now,
                           base::Clock::Duration stale_after);

// controller-runtime's Manager, in small. It owns what every controller shares:
// - caches: one informer and reflector per watched resource, kept warm on every replica;
// - controllers: a queue, a reconciler and its workers each, started only once every cache has
//   synced (an unsynced policy cache would read as "no policy" and undo what policies want) and,
//   with leader election, only on the leader;
// - the resync ticker, which hands every resync period to on_resync();
// - the probe server (/healthz; /readyz once every cache synced, and while every cache still hears
//   from the API server) and the metrics server;
// - the shutdown order on SIGTERM or SIGINT: controllers finish the keys in hand, the lease is
//   released (another replica leads at once), watches stop, servers stop; a watchdog ends the
//   process after 15 seconds whatever happens.
// Register caches and controllers, wire handlers, then run(). Not copyable.
class Manager {
 public:
  struct Options {
    std::string health_probe_bind_address = ":8081";  // "0" turns it off
    std::string metrics_bind_address = ":8080";       // "0" turns it off
    // Secure metrics (controller-runtime's secure serving): /metrics over HTTPS with this
    // certificate, answered only to callers the API server authenticates (TokenReview) and
    // authorizes for "get" on /metrics (SubjectAccessReview). Unset: plain HTTP, open to anyone
    // who can reach the address.
    std::optional<server::TlsMaterial> metrics_tls;
    base::Clock::Duration resync_period = std::chrono::minutes(10);
    // A synced cache that has heard nothing (not even a bookmark) for this long makes /readyz
    // fail: the reflector's idle timeout (150 s) plus its longest backoff, with room to spare.
    base::Clock::Duration cache_stale_after = std::chrono::minutes(4);
    std::optional<LeaderElector::Options> leader_election;  // none: always leading
  };
  // Told of what metrics count; each is optional.
  struct Observers {
    std::function<void(const std::string& cache, Reflector::Restart, const std::string& detail)>
        watch_restarted;
    std::function<void(const std::string& controller, base::Clock::Duration took,
                       ReconcileResult result)>
        reconciled;
    std::function<void()> started;  // the controllers started (this replica leads)
    // A connection to the probe or metrics server ("probes", "metrics") closed unserved.
    std::function<void(std::string_view server, server::Refusal)> connection_refused;
  };

  Manager(kube::KubeClient& client, base::Clock& clock, Options options);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Registers a watched resource and returns its cache: the handle every controller that reads
  // it is given (there is no lookup by name). `name` labels its metrics and logs. Before run().
  Informer& add_cache(const std::string& name, const kube::ResourceType& type,
                      Projection projection);
  // Registers a resource the cluster may not serve yet (a CRD installed after the start). Until
  // it is served its cache stays empty and holds back neither the controllers nor readiness:
  // every `poll` the Manager asks discovery, and once the resource is served starts its
  // reflector and, when the cache has synced, calls the functions given to when_served(). A
  // resource removed again afterwards is not noticed (its reflector backs off). Before run().
  Informer& add_optional_cache(const std::string& name, const kube::ResourceType& type,
                               Projection projection, base::Clock::Duration poll);
  // Called once, on the optional cache's own thread, when it has synced; `cache` is one
  // add_optional_cache() returned (another aborts: the wiring is wrong). Before run().
  void when_served(const Informer& cache, std::function<void()> fn);
  // Hands a resync to every on_resync() function now, if the controllers run (so what became
  // judgeable, a CRD that appeared, is judged without waiting for the period).
  void resync_now();
  // Whether the cache's reflector has heard from the API server (a list, a watch opened, any
  // event) since its last failed list or watch, i.e. whether its store is being kept again;
  // nullopt for a cache this Manager did not register.
  std::optional<bool> heard_since_failure(const CacheReader& cache) const;
  // Every registered cache with its name, in the order registered.
  std::vector<std::pair<std::string, const Informer*>> caches() const;
  std::vector<std::string> cache_names() const;

  // Registers a controller and returns its queue, for handlers to feed. `name` labels its
  // metrics and logs. Before run().
  WorkQueue& add_controller(const std::string& name, std::unique_ptr<Reconciler> reconciler,
                            int workers);
  // The registered controllers' names, in the order registered.
  std::vector<std::string> controller_names() const;
  std::map<std::string, std::size_t> queue_depths() const;
  // Whether the controllers run: every cache synced and, with leader election, this replica leads.
  bool controllers_started() const { return started_.load(); }

  void set_observers(Observers observers) { observers_ = std::move(observers); }
  // What every write of the controllers must pass: the leader elector (writes only while this
  // replica can prove it leads), or null without leader election.
  const kube::WriteFence* write_fence() const;
  // Called every resync period once the controllers run (each controller adds its own).
  void on_resync(std::function<void()> fn) { resync_.push_back(std::move(fn)); }
  // Something served on every replica, leader or not (the admission webhook): started with the
  // probe and metrics servers, stopped after the controllers. start() returns false, having
  // logged why, when it cannot start; run() then returns 1. /readyz fails while unready() says
  // why.
  struct Runnable {
    std::string name;
    std::function<bool()> start;
    std::function<void()> stop;
    std::function<std::string()> unready;  // why it is not ready ("" when it is); optional
  };
  void add_runnable(Runnable runnable) { runnables_.push_back(std::move(runnable)); }
  // Whether every cache has synced (what the start gate waits for).
  bool caches_synced() const { return synced(); }
  // The /metrics body; without it, or with metrics_bind_address "0", nothing is served.
  void serve_metrics(std::function<std::string()> scrape) { scrape_ = std::move(scrape); }

  // Runs until one of `signals` (blocked in every thread) arrives, then shuts down in order.
  // Returns 0, or 1 when a server could not start or the lease was lost (the replica exits and
  // comes back clean rather than act beside the new leader).
  int run(const sigset_t& signals);

 private:
  struct Cache;
  struct Loop;
  Cache& new_cache(const std::string& name, const kube::ResourceType& type, Projection projection);
  void run_cache(Cache& c);
  bool synced() const;
  server::Reply readiness() const;
  bool start_servers();
  void stop_runnables();
  void start_election();
  void start_gate_and_resync();
  void shut_down();

  kube::KubeClient& client_;
  base::Clock& clock_;
  Options options_;
  Observers observers_;
  std::vector<std::function<void()>> resync_;
  std::vector<Runnable> runnables_;
  std::size_t runnables_started_ = 0;
  std::function<std::string()> scrape_;
  std::vector<std::unique_ptr<Cache>> caches_;
  std::vector<std::unique_ptr<Loop>> loops_;
  // Declared before the servers, whose threads use them, so destroyed after.
  std::unique_ptr<server::AccessReviewer> reviewer_;
  std::unique_ptr<server::AccessFilter> access_;
  std::unique_ptr<server::HttpServer> probes_, metrics_;
  std::unique_ptr<LeaderElector> elector_;
  std::thread election_, starter_, resync_thread_;
  std::atomic<bool> stopping_{false}, started_{false}, lost_leadership_{false};
};

}  // namespace bulwark::runtime
