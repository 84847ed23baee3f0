#include "operator/runtime/manager.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "operator/kube/access_review.h"
#include "operator/logging/logging.h"
#include "operator/server/access_filter.h"
#include "operator/server/http_server.h"

namespace bulwark::runtime {

struct Manager::Cache {
  std::string name;
  kube::ResourceType type;
  std::unique_ptr<Informer> informer;
  std::unique_ptr<Reflector> reflector;
  std::thread thread;
  // An optional cache: discovery is asked every `poll` until the resource is served.
  std::optional<base::Clock::Duration> poll;
  std::atomic<bool> served{true};  // false until an optional cache's resource is served
  std::vector<std::function<void()>> when_synced;
};

struct Manager::Loop {
  std::string name;
  std::unique_ptr<WorkQueue> queue;
  std::unique_ptr<Reconciler> reconciler;
  std::unique_ptr<Controller> controller;
};

std::string unready_reason(const std::vector<CacheHealth>& caches, base::Clock::TimePoint now,
                           base::Clock::Duration stale_after) {
  std::string waiting, stale;
  for (const auto& c : caches) {
    if (!c.synced) {
      waiting += (waiting.empty() ? "" : ", ") + c.name;
    } else if (now - c.last_heard > stale_after) {
      const auto quiet = std::chrono::duration_cast<std::chrono::seconds>(now - c.last_heard);
      stale += (stale.empty() ? "" : ", ") + c.name + " (" + std::to_string(quiet.count()) + " s)";
    }
  }
  std::string why;
  if (!waiting.empty()) why = "caches not synced: " + waiting;
  if (!stale.empty()) {
    why +=
        (why.empty() ? "" : "; ") + std::string("caches not hearing from the API server: ") + stale;
  }
  return why;
}

Manager::Manager(kube::KubeClient& client, base::Clock& clock, Options options)
    : client_(client), clock_(clock), options_(std::move(options)) {
  if (options_.leader_election) {
    elector_ = std::make_unique<LeaderElector>(client_, *options_.leader_election, clock_);
  }
}

const kube::WriteFence* Manager::write_fence() const { return elector_.get(); }

Manager::~Manager() = default;

Manager::Cache& Manager::new_cache(const std::string& name, const kube::ResourceType& type,
                                   Projection projection) {
  auto c = std::make_unique<Cache>();
  c->name = name;
  c->type = type;
  c->informer = std::make_unique<Informer>(projection);
  Reflector::Options o;
  o.type = type;
  // Each reflector draws its jitter from its own generator: they run on separate threads.
  auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
  c->reflector = std::make_unique<Reflector>(client_, *c->informer, o, clock_, [rng] {
    return std::uniform_real_distribution<double>(0.0, 1.0)(*rng);
  });
  c->reflector->set_restart_observer([this, name](Reflector::Restart r, const std::string& d) {
    if (observers_.watch_restarted) observers_.watch_restarted(name, r, d);
  });
  caches_.push_back(std::move(c));
  return *caches_.back();
}

Informer& Manager::add_cache(const std::string& name, const kube::ResourceType& type,
                             Projection projection) {
  return *new_cache(name, type, projection).informer;
}

Informer& Manager::add_optional_cache(const std::string& name, const kube::ResourceType& type,
                                      Projection projection, base::Clock::Duration poll) {
  Cache& c = new_cache(name, type, projection);
  c.poll = poll;
  c.served = false;
  c.reflector->set_synced_observer([&c] {
    for (const auto& fn : c.when_synced) fn();
  });
  return *c.informer;
}

void Manager::when_served(const Informer& cache, std::function<void()> fn) {
  for (auto& c : caches_) {
    if (c->informer.get() == &cache && c->poll) {
      c->when_synced.push_back(std::move(fn));
      return;
    }
  }
  std::abort();  // not an optional cache of this Manager: the wiring is wrong
}

void Manager::resync_now() {
  if (!started_ || stopping_) return;
  for (const auto& fn : resync_) fn();
}

// A cache's thread: its reflector, once (for an optional cache) discovery says it is served.
void Manager::run_cache(Cache& c) {
  while (c.poll && !c.served && !stopping_) {
    try {
      c.served = client_.serves(c.type);
    } catch (const std::exception& e) {
      logging::debug(c.name + ": discovery failed: " + e.what());
    }
    if (c.served) {
      logging::info(c.name + ": " + c.type.resource + "." + c.type.group +
                    " is served now; watching it");
    } else {
      base::sleep_unless_stopped(clock_, *c.poll, stopping_);
    }
  }
  if (!stopping_) c.reflector->run();
}

std::optional<bool> Manager::heard_since_failure(const CacheReader& cache) const {
  for (const auto& c : caches_) {
    if (c->informer.get() == &cache) {
      return c->reflector->last_heard() >= c->reflector->last_failed();
    }
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, const Informer*>> Manager::caches() const {
  std::vector<std::pair<std::string, const Informer*>> all;
  for (const auto& c : caches_) all.emplace_back(c->name, c->informer.get());
  return all;
}

std::vector<std::string> Manager::controller_names() const {
  std::vector<std::string> names;
  for (const auto& l : loops_) names.push_back(l->name);
  return names;
}

std::vector<std::string> Manager::cache_names() const {
  std::vector<std::string> names;
  for (const auto& c : caches_) names.push_back(c->name);
  return names;
}

WorkQueue& Manager::add_controller(const std::string& name, std::unique_ptr<Reconciler> reconciler,
                                   int workers) {
  auto l = std::make_unique<Loop>();
  l->name = name;
  l->queue = std::make_unique<WorkQueue>(base::ItemRateLimiter::Options{}, clock_);
  l->reconciler = std::move(reconciler);
  l->controller = std::make_unique<Controller>(name, *l->reconciler, *l->queue, workers, clock_);
  l->controller->set_observer([this, name](const std::string& key, base::Clock::Duration took,
                                           ReconcileResult result, const std::string& error) {
    if (observers_.reconciled) observers_.reconciled(name, took, result);
    switch (result) {
      case ReconcileResult::kSuccess:
        return;
      case ReconcileResult::kConflict:
        // The cache was a write behind; the retry reads the newer object.
        logging::debug(name + " " + key + ": " + error);
        return;
      case ReconcileResult::kFenced:
        // Leadership is in doubt or lost; the replica is on its way out.
        logging::debug(name + " " + key + ": " + error);
        return;
      case ReconcileResult::kTerminalError:
        logging::error(name + " " + key + ": " + error +
                       " (not retried until the object or its policies change)");
        return;
      case ReconcileResult::kError:
        logging::warn(name + " " + key + ": " + error);
        return;
    }
  });
  loops_.push_back(std::move(l));
  return *loops_.back()->queue;
}

std::map<std::string, std::size_t> Manager::queue_depths() const {
  std::map<std::string, std::size_t> depths;
  for (const auto& l : loops_) depths[l->controller->name()] = l->queue->depth();
  return depths;
}

server::Reply Manager::readiness() const {
  std::vector<CacheHealth> health;
  for (const auto& c : caches_) {
    if (!c->served) continue;  // an optional cache whose resource is not served yet
    health.push_back({c->name, c->reflector->has_synced(), c->reflector->last_heard()});
  }
  std::string why = unready_reason(health, clock_.now(), options_.cache_stale_after);
  for (const auto& r : runnables_) {
    const std::string more = r.unready ? r.unready() : "";
    if (!more.empty()) why += (why.empty() ? "" : "; ") + more;
  }
  if (why.empty()) return server::Reply{200, "text/plain", "ok\n"};
  return server::Reply{503, "text/plain", why + "\n"};
}

bool Manager::synced() const {
  // Optional caches never hold the controllers back: they may never be served.
  return std::all_of(caches_.begin(), caches_.end(),
                     [](const auto& c) { return c->poll || c->reflector->has_synced(); });
}

// The probe and metrics servers are separate, each with its own connection limit, so a flood of
// /metrics never takes the probes' descriptors. The probes' cap is high and per source: the
// kubelet probes from the node's address, one connection a probe, while pods elsewhere (one
// node's 110 at 8 each: 880) cannot fill 2,048; an idle connection costs about 5 KB (its 4 KB
// read buffer among it).
bool Manager::start_servers() {
  auto refused = [this](std::string_view server) {
    return [this, server](server::Refusal r) {
      if (observers_.connection_refused) observers_.connection_refused(server, r);
    };
  };
  if (options_.health_probe_bind_address != "0") {
    server::ServerOptions o;
    o.connections = {2048, 8, {}, 0};
    o.max_body_bytes = 0;  // GETs only: a body is 413 before it takes any memory
    o.on_refused = refused("probes");
    probes_ = server::make_http_server(o);
    probes_->handle("/healthz", [](const server::Request&) {
      return server::Reply{200, "text/plain", "ok\n"};
    });
    probes_->handle("/readyz", [this](const server::Request&) { return readiness(); });
  }
  if (options_.metrics_bind_address != "0" && scrape_) {
    server::ServerOptions o;
    o.tls = options_.metrics_tls;
    // 4 a source: 64 pods could hold all 256 (a scraper's kept-alive connection, once in, stays);
    // GETs only, so a body is 413 before it takes any memory.
    o.connections = {256, 4, {}, 0};
    o.max_body_bytes = 0;
    // With HTTPS each new caller is reviewed by the API server: 4 reviews at once (the access
    // filter's cap), and 2 threads more to serve cached callers while the API server is slow.
    if (o.tls) o.threads = 6;
    o.on_refused = refused("metrics");
    metrics_ = server::make_http_server(o);
    server::Handler scrape = [this](const server::Request&) {
      return server::Reply{200, "text/plain; version=0.0.4; charset=utf-8", scrape_()};
    };
    if (options_.metrics_tls) {
      reviewer_ = std::make_unique<kube::ApiAccessReviewer>(client_);
      access_ = std::make_unique<server::AccessFilter>(*reviewer_, clock_);
      scrape = access_->wrap(std::move(scrape));
    }
    metrics_->handle("/metrics", std::move(scrape));
  }
  try {
    if (probes_) probes_->start(options_.health_probe_bind_address);
    if (probes_) {
      logging::info("health probes on " + options_.health_probe_bind_address +
                    " (/healthz, /readyz)");
    }
    if (metrics_) metrics_->start(options_.metrics_bind_address);
    if (metrics_) {
      logging::info("metrics on " + options_.metrics_bind_address +
                    (options_.metrics_tls ? " (/metrics, HTTPS, callers reviewed by the API server)"
                                          : " (/metrics, plain HTTP)"));
    }
  } catch (const server::ServerError& e) {
    logging::error(e.what());
    return false;
  }
  for (auto& r : runnables_) {
    if (!r.start()) return false;
    ++runnables_started_;
  }
  return true;
}

void Manager::stop_runnables() {
  for (std::size_t i = runnables_started_; i > 0; --i) runnables_[i - 1].stop();
  runnables_started_ = 0;
}

void Manager::start_election() {
  if (!options_.leader_election) return;
  const auto& o = *options_.leader_election;
  logging::info("leader election on Lease " + o.namespace_name + "/" + o.name + " as " +
                o.identity);
  election_ = std::thread([this] {
    elector_->run([] { logging::info("became the leader"); },
                  [this] {
                    if (stopping_) return;
                    // As controller-runtime does: a replica that lost the lease exits and comes
                    // back clean rather than risk acting beside the new leader.
                    logging::error("lost the leader lease; exiting");
                    lost_leadership_ = true;
                    kill(getpid(), SIGTERM);
                  });
  });
}

void Manager::start_gate_and_resync() {
  starter_ = std::thread([this] {
    while (!stopping_) {
      if (synced() && (!elector_ || elector_->is_leader())) {
        for (auto& l : loops_) l->controller->start();
        if (observers_.started) observers_.started();
        logging::info("controllers started");
        started_ = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  // Every resync period, judge everything again: a check whose inputs changed without an event
  // (an exemption's clock, a report) is caught, and a converged cluster still costs no write.
  resync_thread_ = std::thread([this] {
    while (!stopping_) {
      base::sleep_unless_stopped(clock_, options_.resync_period, stopping_);
      if (!stopping_ && started_) {
        logging::debug("resync: judging everything again");
        for (const auto& fn : resync_) fn();
      }
    }
  });
}

void Manager::shut_down() {
  // Draining must not hang the pod's termination: give up after 15 seconds.
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::seconds(15));
    logging::error("shutdown took longer than 15s; exiting");
    std::_Exit(1);
  }).detach();
  stopping_ = true;
  if (starter_.joinable()) starter_.join();
  if (resync_thread_.joinable()) resync_thread_.join();
  for (auto& l : loops_) l->controller->stop();  // finishes the keys in hand
  if (elector_) {
    elector_->stop();  // releases the lease so another replica leads at once
    election_.join();
  }
  stop_runnables();
  for (auto& c : caches_) c->reflector->stop();
  for (auto& c : caches_) {
    if (c->thread.joinable()) c->thread.join();
  }
  if (probes_) probes_->stop();
  if (metrics_) metrics_->stop();
  logging::info("stopped");
}

int Manager::run(const sigset_t& signals) {
  for (auto& c : caches_) c->thread = std::thread([this, &c = *c] { run_cache(c); });
  if (!start_servers()) {
    stopping_ = true;
    stop_runnables();
    for (auto& c : caches_) c->reflector->stop();
    for (auto& c : caches_) c->thread.join();
    if (probes_) probes_->stop();
    return 1;
  }
  start_election();
  start_gate_and_resync();

  int sig = 0;
  sigwait(&signals, &sig);
  logging::info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
                "; shutting down");
  const bool lost = lost_leadership_;
  shut_down();
  return lost ? 1 : 0;
}

}  // namespace bulwark::runtime
