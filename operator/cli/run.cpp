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
#include "metrics/operator_metrics.h"
#include "reconcilers/events.h"
#include "reconcilers/managed_network_policy.h"
#include "reconcilers/namespace_findings.h"
#include "reconcilers/policy_set.h"
#include "reconcilers/posture_book.h"
#include "reconcilers/security_policy_reconciler.h"
#include "reconcilers/workload_posture.h"
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

// The namespace the operator runs in: the pod's, else the leader election namespace it was
// given, else the one deploy/operator installs it in.
std::string operator_namespace(const config::OperatorConfig& cfg) {
  std::string ns = pod_namespace();
  if (ns.empty()) ns = cfg.leader_election.namespace_name;
  return ns.empty() ? "bulwark-system" : ns;
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

// What the posture gauges show, from the verdicts the posture reconciler recorded.
metrics::PostureSnapshot posture_snapshot(const reconcilers::PostureBook& book,
                                          const reconcilers::PolicySet& policies,
                                          const runtime::Informer& namespaces,
                                          const runtime::Informer& network_policies) {
  metrics::PostureSnapshot s;
  book.for_each([&s](const std::string&, const reconcilers::WorkloadRecord& r) {
    bool good = true;
    for (const auto& o : r.outcomes) {
      good = good && o.posture != posture::Posture::kViolating;
      s.outcomes.push_back({r.namespace_name, o.policy, std::string(posture::to_string(o.posture)),
                            o.enforced, o.controls});
    }
    s.workloads.push_back({r.namespace_name, good});
  });
  for (const auto& p : *policies.current()) {
    if (p.deleting) continue;
    s.policy_ready[p.policy.name] = p.valid();
    if (p.evaluator) {
      auto& controls = s.controls[p.policy.name];
      for (auto c : p.evaluator->controls()) controls.emplace_back(c);
    }
    const auto& spec = p.policy.spec;
    if (p.active() && spec.network.default_deny &&
        spec.enforcement.mode == crds::EnforcementMode::kAudit) {
      s.namespace_violations[{p.policy.name, reconcilers::kNetworkDefaultDenyControl}] =
          static_cast<int>(
              reconcilers::namespaces_without_default_deny(spec, namespaces, network_policies)
                  .size());
    }
  }
  return s;
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
  // API.md section 6: Bulwark's own namespace is never acted on, whatever a policy selects: an
  // Enforce + ScaleToZero policy must not scale the operator itself to zero.
  const std::string own_namespace = operator_namespace(cfg);
  if (std::find(cfg.never_touch_namespaces.begin(), cfg.never_touch_namespaces.end(),
                own_namespace) == cfg.never_touch_namespaces.end()) {
    cfg.never_touch_namespaces.push_back(own_namespace);
  }
  logging::info("never acting on namespace " + own_namespace + " (the operator's own)");

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
  std::vector<Watched> watched = watched_resources();
  // Trivy Operator's VulnerabilityReports are read when the cluster serves them. The check is
  // made once: installing Trivy Operator later takes a restart of Bulwark (README).
  bool reports_served = false;
  try {
    reports_served = client.serves(kube::resources::kVulnerabilityReports);
  } catch (const std::exception& e) {
    logging::warn(std::string("could not discover VulnerabilityReports: ") + e.what());
  }
  logging::info(reports_served ? "VulnerabilityReports are served: images.maxSeverity is judged"
                               : "VulnerabilityReports are not served: images.maxSeverity is not "
                                 "judged (the policies' status says so)");
  if (reports_served) {
    watched.push_back({"vulnerabilityreports", kube::resources::kVulnerabilityReports,
                       runtime::project_vulnerability_report});
  }
  std::vector<std::string> resource_names;
  for (const auto& w : watched) resource_names.push_back(w.name);
  metrics::OperatorMetrics metrics(
      BULWARK_VERSION,
      {"posture", "default-deny", "quarantine-policy", "securitypolicy", "fan-out"}, resource_names,
      clock);
  client.set_observer([&metrics](std::string_view verb, int code, runtime::Clock::Duration took) {
    metrics.api_request(verb, code, took);
  });
  for (const auto& w : watched) {
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
        [name = w.name, &metrics](runtime::Reflector::Restart r, const std::string& detail) {
          metrics.watch_restarted(name, restart_name(r));
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
  runtime::Informer* reports = reports_served ? &cache("vulnerabilityreports") : nullptr;
  auto synced = [&caches] {
    return std::all_of(caches.begin(), caches.end(),
                       [](const Cache& c) { return c.reflector->has_synced(); });
  };

  // The reconcilers. Handlers only enqueue; the fan-out loop below does the rest.
  reconcilers::PolicySet policy_set(cache("securitypolicies"), clock);
  reconcilers::PostureBook book;
  reconcilers::ApiEventRecorder events(client, clock);
  const reconcilers::WorkloadCaches workloads{
      cache("pods"),        cache("deployments"), cache("statefulsets"), cache("daemonsets"),
      cache("replicasets"), cache("jobs"),        cache("cronjobs")};
  std::unique_ptr<reconcilers::ReportCacheVulnerabilities> vulnerabilities;
  if (reports != nullptr) {
    vulnerabilities = std::make_unique<reconcilers::ReportCacheVulnerabilities>(*reports);
  }
  runtime::Informer& namespaces = cache("namespaces");
  runtime::Informer& policies = cache("securitypolicies");
  std::atomic<bool> book_complete{false};
  runtime::WorkQueue* fanout = nullptr;  // the fan-out loop's queue, made below

  struct Loop {
    std::unique_ptr<runtime::WorkQueue> queue;
    std::unique_ptr<runtime::Reconciler> reconciler;
    std::unique_ptr<runtime::Controller> controller;
  };
  std::vector<Loop> loops;
  auto add_loop = [&](const std::string& name, std::unique_ptr<runtime::Reconciler> reconciler,
                      int workers) -> runtime::WorkQueue& {
    Loop l;
    l.queue = std::make_unique<runtime::WorkQueue>(runtime::ItemRateLimiter::Options{}, clock);
    l.reconciler = std::move(reconciler);
    l.controller =
        std::make_unique<runtime::Controller>(name, *l.reconciler, *l.queue, workers, clock);
    l.controller->set_observer([name, &metrics](const std::string& key,
                                                runtime::Clock::Duration took,
                                                const std::string& error) {
      metrics.reconciled(name, took, error.empty());
      if (error.empty()) return;
      // A conflict means the cache was a write behind; the retry reads the newer object.
      if (error.find(": 409 ") != std::string::npos) {
        logging::debug(name + " " + key + ": " + error);
      } else {
        logging::warn(name + " " + key + ": " + error);
      }
    });
    loops.push_back(std::move(l));
    return *loops.back().queue;
  };

  auto posture_reconciler = std::make_unique<reconcilers::WorkloadPostureReconciler>(
      client,
      reconcilers::WorkloadPostureReconciler::Sources{workloads, namespaces, policy_set,
                                                      vulnerabilities.get()},
      book, events, clock, cfg.never_touch_namespaces);
  auto& posture = *posture_reconciler;
  posture.set_action_observer(
      [&metrics](std::string_view action, bool ok) { metrics.remediation(action, ok); });
  posture.set_verdict_observer(
      [&metrics](const std::string& key) { metrics.verdict_written(key); });
  runtime::WorkQueue& posture_queue =
      add_loop("posture", std::move(posture_reconciler), cfg.workers);
  auto network_policy_reconciler = [&](reconcilers::ManagedPolicyKind kind) {
    auto r = std::make_unique<reconcilers::ManagedNetworkPolicyReconciler>(
        kind, client,
        reconcilers::ManagedNetworkPolicyReconciler::Sources{namespaces, cache("networkpolicies"),
                                                             policy_set},
        events, clock, cfg.never_touch_namespaces);
    r->set_write_observer([&metrics](reconcilers::ManagedPolicyKind k, const std::string& action) {
      if (action == "repair") metrics.remediation("drift_repair", true);
      if (action == "create") {
        metrics.remediation(k == reconcilers::ManagedPolicyKind::kDefaultDeny
                                ? "default_deny_create"
                                : "quarantine",
                            true);
      }
    });
    return r;
  };
  runtime::WorkQueue& default_deny_queue = add_loop(
      "default-deny", network_policy_reconciler(reconcilers::ManagedPolicyKind::kDefaultDeny), 1);
  runtime::WorkQueue& quarantine_queue =
      add_loop("quarantine-policy",
               network_policy_reconciler(reconcilers::ManagedPolicyKind::kQuarantine), 1);
  runtime::WorkQueue& policy_queue =
      add_loop("securitypolicy",
               std::make_unique<reconcilers::SecurityPolicyReconciler>(
                   client,
                   reconcilers::SecurityPolicyReconciler::Sources{policies, namespaces, workloads,
                                                                  cache("networkpolicies")},
                   book, clock, vulnerabilities != nullptr,
                   [&posture_queue, &fanout, &book_complete] {
                     // Latched: the first time, after the start, that the fan-out loop has routed
                     // every event and the posture loop has judged every workload (checked in that
                     // order, as one feeds the other).
                     if (!book_complete && fanout->idle() && posture_queue.idle())
                       book_complete = true;
                     return book_complete.load();
                   }),
               1);
  // The fan-out loop turns what informers saw into the keys of the loops that act on it, so the
  // handlers on the reflectors' threads only enqueue and all reading and parsing of cached
  // objects happens on workers. Its keys:
  // - "all" (a policy changed, a resync): every workload, namespace and policy;
  // - "Namespace/NS": the namespace's workloads;
  // - "VulnerabilityReport/NS/NAME": the workload the report is about;
  // - "KIND/NS/NAME" (a workload kind): the object's top-level workload.
  runtime::WorkQueue& fanout_queue = add_loop(
      "fan-out", std::make_unique<runtime::FunctionReconciler>([&](const std::string& key) {
        if (key == "all") {
          for (const auto& k : posture.all_keys()) posture_queue.add(k);
          for (const auto& ns : namespaces.keys()) {
            default_deny_queue.add(ns);
            quarantine_queue.add(ns);
          }
          for (const auto& name : policies.keys()) policy_queue.add(name);
          return runtime::Result{};
        }
        const auto slash = key.find('/');
        std::string kind = key.substr(0, slash), object = key.substr(slash + 1);
        if (kind == "VulnerabilityReport") {
          auto report = reports != nullptr ? reports->get(object) : nullptr;
          if (report == nullptr) return runtime::Result{};  // the next resync judges without it
          const auto* about_kind =
              report->find({"metadata", "labels", "trivy-operator.resource.kind"});
          const auto* about_name =
              report->find({"metadata", "labels", "trivy-operator.resource.name"});
          if (about_kind == nullptr || about_name == nullptr) return runtime::Result{};
          kind = std::string(about_kind->str());
          object = object.substr(0, object.find('/') + 1) + std::string(about_name->str());
        }
        for (const auto& k : posture.keys_for(kind, object)) {
          metrics.event_routed(key, k);
          posture_queue.add(k);
        }
        return runtime::Result{};
      }),
      1);
  fanout = &fanout_queue;

  // A changed verdict may change each policy's status; a short delay folds a burst of changes
  // into one status write.
  book.set_listener([&policy_queue](const std::vector<std::string>& names) {
    for (const auto& n : names) policy_queue.add_after(n, std::chrono::milliseconds(500));
  });
  for (const auto& w : reconcilers::kWorkloadKinds) {
    cache(std::string(w.cache))
        .add_handler([&fanout_queue, &metrics, kind = std::string(w.kind)](const std::string& key) {
          const std::string event = kind + "/" + key;
          metrics.event_seen(event);
          fanout_queue.add(event);
        });
  }
  namespaces.add_handler([&](const std::string& ns) {
    default_deny_queue.add(ns);
    quarantine_queue.add(ns);
    fanout_queue.add("Namespace/" + ns);
    for (const auto& name : policies.keys()) policy_queue.add(name);  // namespace counts
  });
  cache("networkpolicies").add_handler([&](const std::string& key) {
    const auto slash = key.find('/');
    const std::string name = key.substr(slash + 1);
    if (name == reconcilers::kDefaultDenyName) default_deny_queue.add(key.substr(0, slash));
    if (name == reconcilers::kQuarantinePolicyName) quarantine_queue.add(key.substr(0, slash));
    // Namespace findings (networkDefaultDeny in Audit) follow the namespace's NetworkPolicies;
    // the delay folds a burst into one status write per policy.
    for (const auto& p : policies.keys()) policy_queue.add_after(p, std::chrono::milliseconds(500));
  });
  policies.add_handler([&](const std::string& name) {
    policy_set.invalidate();
    policy_queue.add(name);
    fanout_queue.add("all");
  });
  if (reports != nullptr) {
    reports->add_handler([&fanout_queue](const std::string& key) {
      fanout_queue.add("VulnerabilityReport/" + key);
    });
  }

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
  std::unique_ptr<server::HttpServer> metrics_server;
  if (cfg.metrics_bind_address != "0") {
    metrics_server = server::make_http_server();
    metrics_server->handle("/metrics", [&] {
      std::map<std::string, std::size_t> depths;
      for (const auto& l : loops) depths[l.controller->name()] = l.queue->depth();
      return server::Reply{200, "text/plain; version=0.0.4; charset=utf-8",
                           metrics.scrape(depths, posture_snapshot(book, policy_set, namespaces,
                                                                   cache("networkpolicies")))};
    });
    try {
      metrics_server->start(cfg.metrics_bind_address);
    } catch (const server::ServerError& e) {
      logging::error(e.what());
      if (probes) probes->stop();
      for (auto& c : caches) c.reflector->stop();
      for (auto& c : caches) c.thread.join();
      return 1;
    }
    logging::info("metrics on " + cfg.metrics_bind_address + " (/metrics)");
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
  std::atomic<bool> started{false};
  std::thread starter([&] {
    while (!stop_starter) {
      if (synced() && (!elector || elector->is_leader())) {
        for (auto& l : loops) l.controller->start();
        metrics.set_leader(true);
        logging::info("controllers started");
        started = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });

  // Every resyncPeriod, judge everything again: a check whose inputs changed without an event
  // (an exemption's clock, a report) is caught, and a converged cluster still costs no write.
  std::thread resync([&] {
    while (!stop_starter) {
      runtime::sleep_unless_stopped(clock, cfg.resync_period, stop_starter);
      if (!stop_starter && started) {
        logging::debug("resync: judging everything again");
        fanout_queue.add("all");
      }
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
  resync.join();
  for (auto& l : loops) l.controller->stop();  // finishes the keys in hand
  if (elector) {
    elector->stop();  // releases the lease so another replica leads at once
    election.join();
  }
  for (auto& c : caches) c.reflector->stop();
  for (auto& c : caches) c.thread.join();
  if (probes) probes->stop();
  if (metrics_server) metrics_server->stop();
  logging::info("stopped");
  return lost_leadership ? 1 : 0;
}

}  // namespace bulwark::cli
