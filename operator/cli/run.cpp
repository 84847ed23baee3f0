#include "cli/run.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <random>
#include <thread>

#include "config/operator_config.h"
#include "kube/client.h"
#include "kube/cluster_config.h"
#include "reconcilers/default_deny.h"
#include "reconcilers/policy_status.h"
#include "runtime/allocator.h"
#include "runtime/clock.h"
#include "runtime/controller.h"
#include "runtime/informer.h"
#include "runtime/leader_election.h"
#include "runtime/projection.h"
#include "runtime/reflector.h"
#include "runtime/workqueue.h"
#include "server/http_server.h"
#include "server/logging.h"

namespace bulwark::cli {

const char* const kRunUsage =
    "usage: bulwark run [--config FILE] [--kubeconfig FILE] [--metrics-bind-address ADDR]\n"
    "                   [--health-probe-bind-address ADDR] [--leader-elect]\n"
    "                   [--leader-election-namespace NS]\n"
    "Runs the operator until SIGTERM. Flags override the config file (see config/bulwark.yaml).\n";

std::optional<RunFlags> parse_run_args(const std::vector<std::string>& args, std::ostream& err) {
  RunFlags f;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i], value;
    bool inline_value = false;
    if (auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      inline_value = true;
    }
    auto take = [&]() {
      if (inline_value) return true;
      if (i + 1 >= args.size()) return false;
      value = args[++i];
      return true;
    };
    auto missing = [&]() -> std::optional<RunFlags> {
      err << "bulwark run: " << flag << " needs a value\n" << kRunUsage;
      return std::nullopt;
    };
    if (flag == "--config") {
      if (!take()) return missing();
      f.config_file = value;
    } else if (flag == "--kubeconfig") {
      if (!take()) return missing();
      f.kubeconfig = value;
    } else if (flag == "--metrics-bind-address") {
      if (!take()) return missing();
      f.metrics_bind_address = value;
    } else if (flag == "--health-probe-bind-address") {
      if (!take()) return missing();
      f.health_probe_bind_address = value;
    } else if (flag == "--leader-elect") {
      f.leader_elect = !inline_value || value == "true";
    } else if (flag == "--leader-election-namespace") {
      if (!take()) return missing();
      f.leader_election_namespace = value;
    } else {
      err << "bulwark run: unknown flag " << flag << "\n" << kRunUsage;
      return std::nullopt;
    }
  }
  return f;
}

namespace {

// The namespace this pod runs in, when it runs in one.
std::string pod_namespace() {
  if (const char* ns = std::getenv("POD_NAMESPACE"); ns != nullptr && *ns != '\0') return ns;
  std::ifstream in("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
  std::string ns;
  std::getline(in, ns);
  return ns;
}

struct Watched {
  std::string name;
  kube::ResourceType type;
  runtime::Projection projection;
};

const std::vector<Watched>& watched_resources() {
  static const std::vector<Watched> w = {
      {"securitypolicies", kube::resources::kSecurityPolicies, runtime::project_spec},
      {"pods", kube::resources::kPods, runtime::project_workload},
      {"namespaces", kube::resources::kNamespaces, runtime::project_workload},
      {"deployments", kube::resources::kDeployments, runtime::project_workload},
      {"statefulsets", kube::resources::kStatefulSets, runtime::project_workload},
      {"daemonsets", kube::resources::kDaemonSets, runtime::project_workload},
      {"replicasets", kube::resources::kReplicaSets, runtime::project_workload},
      {"jobs", kube::resources::kJobs, runtime::project_workload},
      {"cronjobs", kube::resources::kCronJobs, runtime::project_workload},
      {"networkpolicies", kube::resources::kNetworkPolicies, runtime::project_spec},
  };
  return w;
}

std::string_view restart_name(runtime::Reflector::Restart r) {
  switch (r) {
    case runtime::Reflector::Restart::kExpired:
      return "expired";
    case runtime::Reflector::Restart::kConnection:
      return "connection";
    case runtime::Reflector::Restart::kServerClosed:
      return "closed";
    case runtime::Reflector::Restart::kError:
      return "error";
  }
  return "error";
}

}  // namespace

int run_operator(const RunFlags& flags, std::ostream& err) {
  runtime::limit_malloc_arenas();
  // Signals are taken by one thread with sigwait(); every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  config::OperatorConfig cfg;
  if (!flags.config_file.empty()) {
    auto load = config::load_operator_config(flags.config_file);
    if (!load.ok()) {
      for (const auto& e : load.errors) {
        err << "bulwark run: " << flags.config_file << ": " << (e.key.empty() ? "" : e.key + ": ")
            << e.message << "\n";
      }
      return 2;
    }
    cfg = load.config;
  }
  if (flags.metrics_bind_address) cfg.metrics_bind_address = *flags.metrics_bind_address;
  if (flags.health_probe_bind_address) {
    cfg.health_probe_bind_address = *flags.health_probe_bind_address;
  }
  if (flags.leader_elect) cfg.leader_election.enabled = true;
  if (flags.leader_election_namespace) {
    cfg.leader_election.namespace_name = *flags.leader_election_namespace;
  }
  if (auto errors = config::validate(cfg); !errors.empty()) {
    for (const auto& e : errors) err << "bulwark run: " << e.key << ": " << e.message << "\n";
    return 2;
  }
  logging::setup(cfg.log.level, cfg.log.format);

  kube::ClusterConfig cluster;
  try {
    cluster = kube::resolve_cluster_config(flags.kubeconfig, std::getenv);
  } catch (const kube::ConfigError& e) {
    err << "bulwark run: " << e.what() << "\n";
    return 2;
  }
  logging::info("bulwark " BULWARK_VERSION " starting; API server " + cluster.server + " from " +
                cluster.source);

  runtime::RealClock clock;
  kube::KubeClient client(kube::make_cpprest_transport(cluster), {cfg.client.qps, cfg.client.burst},
                          clock);

  // Caches of everything the reconcilers read; every replica keeps them warm, so a new leader
  // starts with synced caches.
  struct Cache {
    std::string name;
    std::unique_ptr<runtime::Informer> informer;
    std::unique_ptr<runtime::Reflector> reflector;
    std::thread thread;
  };
  std::vector<Cache> caches;
  for (const auto& w : watched_resources()) {
    Cache c;
    c.name = w.name;
    c.informer = std::make_unique<runtime::Informer>(w.projection);
    runtime::Reflector::Options o;
    o.type = w.type;
    // Each reflector draws its jitter from its own generator: they run on separate threads.
    auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
    c.reflector = std::make_unique<runtime::Reflector>(client, *c.informer, o, clock, [rng] {
      return std::uniform_real_distribution<double>(0.0, 1.0)(*rng);
    });
    c.reflector->set_restart_observer(
        [name = w.name](runtime::Reflector::Restart r, const std::string& detail) {
          if (r == runtime::Reflector::Restart::kServerClosed && detail.empty()) return;
          logging::warn("watch " + name + " restarted (" + std::string(restart_name(r)) +
                        "): " + detail);
        });
    caches.push_back(std::move(c));
  }
  auto cache = [&caches](const std::string& name) -> runtime::Informer& {
    for (auto& c : caches) {
      if (c.name == name) return *c.informer;
    }
    std::abort();  // a name from watched_resources()
  };
  auto synced = [&caches] {
    return std::all_of(caches.begin(), caches.end(),
                       [](const Cache& c) { return c.reflector->has_synced(); });
  };

  // Default-deny NetworkPolicies, keyed by namespace. Handlers only enqueue.
  runtime::WorkQueue default_deny_queue({}, clock);
  reconcilers::DefaultDenyReconciler default_deny(
      client, {cache("namespaces"), cache("networkpolicies"), cache("securitypolicies")},
      cfg.never_touch_namespaces);
  runtime::Controller default_deny_controller("default-deny", default_deny, default_deny_queue,
                                              cfg.workers, clock);
  default_deny_controller.set_observer(
      [](const std::string& key, runtime::Clock::Duration, const std::string& error) {
        if (!error.empty()) logging::warn("default-deny " + key + ": " + error);
      });
  cache("namespaces").add_handler([&](const std::string& key) { default_deny_queue.add(key); });
  cache("networkpolicies").add_handler([&](const std::string& key) {
    const auto slash = key.find('/');
    if (key.substr(slash + 1) == reconcilers::kDefaultDenyName) {
      default_deny_queue.add(key.substr(0, slash));
    }
  });
  runtime::Informer& namespaces = cache("namespaces");

  // Each policy's Ready condition, keyed by policy name.
  runtime::WorkQueue policy_status_queue({}, clock);
  reconcilers::PolicyStatusReconciler policy_status(client, cache("securitypolicies"), clock);
  runtime::Controller policy_status_controller("policy-status", policy_status, policy_status_queue,
                                               cfg.workers, clock);
  policy_status_controller.set_observer(
      [](const std::string& key, runtime::Clock::Duration, const std::string& error) {
        if (!error.empty()) logging::warn("policy-status " + key + ": " + error);
      });
  cache("securitypolicies").add_handler([&](const std::string& key) {
    policy_status_queue.add(key);
    for (const auto& ns : namespaces.keys()) default_deny_queue.add(ns);
  });

  for (auto& c : caches) c.thread = std::thread([r = c.reflector.get()] { r->run(); });

  std::unique_ptr<server::HttpServer> probes;
  if (cfg.health_probe_bind_address != "0") {
    probes = server::make_http_server();
    probes->handle("/healthz", [] { return server::Reply{200, "text/plain", "ok\n"}; });
    probes->handle("/readyz", [&caches] {
      std::string waiting;
      for (const auto& c : caches) {
        if (!c.reflector->has_synced()) waiting += (waiting.empty() ? "" : ", ") + c.name;
      }
      if (waiting.empty()) return server::Reply{200, "text/plain", "ok\n"};
      return server::Reply{503, "text/plain", "caches not synced: " + waiting + "\n"};
    });
    try {
      probes->start(cfg.health_probe_bind_address);
    } catch (const server::ServerError& e) {
      logging::error(e.what());
      for (auto& c : caches) c.reflector->stop();
      for (auto& c : caches) c.thread.join();
      return 1;
    }
    logging::info("health probes on " + cfg.health_probe_bind_address + " (/healthz, /readyz)");
  }
  if (cfg.metrics_bind_address != "0") {
    logging::info("metrics: the /metrics endpoint is not part of this build yet");
  }

  std::unique_ptr<runtime::LeaderElector> elector;
  std::thread election;
  std::atomic<bool> shutting_down{false};
  std::atomic<bool> lost_leadership{false};
  if (cfg.leader_election.enabled) {
    runtime::LeaderElector::Options o;
    o.namespace_name = cfg.leader_election.namespace_name;
    if (o.namespace_name.empty()) o.namespace_name = pod_namespace();
    if (o.namespace_name.empty()) o.namespace_name = "bulwark-system";
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    o.identity = std::string(host) + "_" + std::to_string(getpid());
    o.lease_duration = cfg.leader_election.lease_duration;
    o.renew_deadline = cfg.leader_election.renew_deadline;
    o.retry_period = cfg.leader_election.retry_period;
    logging::info("leader election on Lease " + o.namespace_name + "/" + o.name + " as " +
                  o.identity);
    elector = std::make_unique<runtime::LeaderElector>(client, o, clock);
    election = std::thread([&elector, &shutting_down, &lost_leadership] {
      elector->run([] { logging::info("became the leader"); },
                   [&] {
                     if (shutting_down) return;
                     // As controller-runtime does: a replica that lost the lease exits and comes
                     // back clean rather than risk acting beside the new leader.
                     logging::error("lost the leader lease; exiting");
                     lost_leadership = true;
                     kill(getpid(), SIGTERM);
                   });
    });
  }

  // Controllers start once every cache has synced (an unsynced policy cache would look like "no
  // policy" and remove what policies want), and, with leader election, only on the leader.
  std::atomic<bool> stop_starter{false};
  std::thread starter([&] {
    while (!stop_starter) {
      if (synced() && (!elector || elector->is_leader())) {
        default_deny_controller.start();
        policy_status_controller.start();
        logging::info("controllers started");
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });

  int sig = 0;
  sigwait(&signals, &sig);
  shutting_down = !lost_leadership;
  logging::info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
                "; shutting down");
  // Draining must not hang the pod's termination: give up after 15 seconds.
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::seconds(15));
    logging::error("shutdown took longer than 15s; exiting");
    std::_Exit(1);
  }).detach();

  stop_starter = true;
  starter.join();
  default_deny_controller.stop();  // finishes the keys in hand
  policy_status_controller.stop();
  if (elector) {
    elector->stop();  // releases the lease so another replica leads at once
    election.join();
  }
  for (auto& c : caches) c.reflector->stop();
  for (auto& c : caches) c.thread.join();
  if (probes) probes->stop();
  logging::info("stopped");
  return lost_leadership ? 1 : 0;
}

}  // namespace bulwark::cli
