#include "app/cli/run.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <random>
#include <sstream>
#include <thread>

#include "app/admission/webhook.h"
#include "app/cli/run_caches.h"
#include "app/cli/run_canary.h"
#include "app/cli/run_harden.h"
#include "app/cli/run_images.h"
#include "app/cli/run_metrics.h"
#include "config/operator_config.h"
#include "metrics/operator_metrics.h"
#include "operator/base/clock.h"
#include "operator/kube/access_review.h"
#include "operator/kube/anonymous_probe.h"
#include "operator/kube/client.h"
#include "operator/kube/client_writer.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/exec_credential.h"
#include "operator/logging/logging.h"
#include "operator/runtime/allocator.h"
#include "operator/runtime/controller.h"
#include "operator/runtime/informer.h"
#include "operator/runtime/leader_election.h"
#include "operator/runtime/manager.h"
#include "operator/runtime/projection.h"
#include "operator/runtime/reflector.h"
#include "operator/runtime/workqueue.h"
#include "operator/server/http_server.h"
#include "reconcilers/caches.h"
#include "reconcilers/events.h"
#include "reconcilers/input_access.h"
#include "reconcilers/managed_network_policy.h"
#include "reconcilers/namespace_findings.h"
#include "reconcilers/policy_set.h"
#include "reconcilers/posture_book.h"
#include "reconcilers/security_policy_reconciler.h"
#include "reconcilers/workload_posture.h"

namespace bulwark::cli {

const char* const kRunUsage =
    "usage: bulwark run [--config FILE] [--kubeconfig FILE] [--metrics-bind-address ADDR]\n"
    "                   [--metrics-secure] [--metrics-cert-dir DIR]\n"
    "                   [--webhook-bind-address ADDR] [--webhook-cert-dir DIR]\n"
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
    } else if (flag == "--leader-elect" || flag == "--metrics-secure") {
      // As Go's boolean flags: bare means true, and only =true or =false may follow.
      if (inline_value && value != "true" && value != "false") {
        err << "bulwark run: " << flag << " takes =true or =false, not \"" << value << "\"\n";
        return std::nullopt;
      }
      (flag == "--leader-elect" ? f.leader_elect : f.metrics_secure) =
          !inline_value || value == "true";
    } else if (flag == "--metrics-cert-dir") {
      if (!take()) return missing();
      f.metrics_cert_dir = value;
    } else if (flag == "--webhook-bind-address") {
      if (!take()) return missing();
      f.webhook_bind_address = value;
    } else if (flag == "--webhook-cert-dir") {
      if (!take()) return missing();
      f.webhook_cert_dir = value;
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

// Flags over the config file over the defaults; nullopt (messages written) when anything is off.
std::optional<config::OperatorConfig> load_config(const RunFlags& flags, std::ostream& err) {
  config::OperatorConfig cfg;
  if (!flags.config_file.empty()) {
    auto load = config::load_operator_config(flags.config_file);
    if (!load.ok()) {
      for (const auto& e : load.errors) {
        err << "bulwark run: " << flags.config_file << ": " << (e.key.empty() ? "" : e.key + ": ")
            << e.message << "\n";
      }
      return std::nullopt;
    }
    cfg = load.config;
  }
  if (flags.metrics_bind_address) cfg.metrics_bind_address = *flags.metrics_bind_address;
  if (flags.metrics_secure) cfg.metrics_secure = *flags.metrics_secure;
  if (flags.metrics_cert_dir) cfg.metrics_cert_dir = *flags.metrics_cert_dir;
  if (flags.webhook_bind_address) cfg.admission.bind_address = *flags.webhook_bind_address;
  if (flags.webhook_cert_dir) cfg.admission.cert_dir = *flags.webhook_cert_dir;
  if (flags.health_probe_bind_address) {
    cfg.health_probe_bind_address = *flags.health_probe_bind_address;
  }
  if (flags.leader_elect) cfg.leader_election.enabled = *flags.leader_elect;
  if (flags.leader_election_namespace) {
    cfg.leader_election.namespace_name = *flags.leader_election_namespace;
  }
  if (auto errors = config::validate(cfg); !errors.empty()) {
    for (const auto& e : errors) err << "bulwark run: " << e.key << ": " << e.message << "\n";
    return std::nullopt;
  }
  return cfg;
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

// The reconcilers of `bulwark run` and what they share (the parsed policies, the book of
// verdicts, the event recorder), each registered with the Manager by its own setup function.
class OperatorControllers {
 public:
  OperatorControllers(runtime::Manager& manager, const reconcilers::Caches& caches,
                      kube::KubeClient& client, base::RealClock& clock,
                      const config::OperatorConfig& cfg, metrics::OperatorMetrics& metrics)
      : caches_(caches),
        writer_(client, manager.write_fence()),
        policy_set_(caches.policies),
        ownership_(caches.policies),
        events_(writer_, clock, {}, [&metrics] { metrics.event_dropped(); }),
        input_access_(
            control_inputs(caches),
            [&client](const std::string& verb, const kube::ResourceType& type) {
              try {
                return std::optional<bool>(kube::self_allowed(client, verb, type));
              } catch (const kube::ApiError&) {
                return std::optional<bool>();  // no answer: what was known stands
              }
            },
            [&manager](const runtime::CacheReader& cache) {
              return manager.heard_since_failure(cache);
            }) {
    reconcilers::watch_input_access(manager, input_access_, std::chrono::seconds(10));
    rbac_.set_anonymous_requests(cfg.rbac.anonymous_requests != "denied");
    // First of the policy cache's handlers: a reconcile that a later handler enqueues must not
    // read the policies from before the change.
    caches.policies.add_handler([this](const std::string&) {
      policy_set_.invalidate();
      ownership_.invalidate();
    });
    if (caches.policy_reports != nullptr) keep_reports(manager, clock, cfg);
    if (caches.vulnerability_reports != nullptr) {
      vulnerabilities_ =
          std::make_unique<reconcilers::ReportCacheVulnerabilities>(*caches.vulnerability_reports);
    }
    canary_ = std::make_unique<OperatorCanary>(manager, client, writer_, clock, cfg,
                                               operator_namespace(cfg), metrics);
    images_ =
        std::make_unique<OperatorImages>(cfg, clock, metrics, client, operator_namespace(cfg));
    harden_ = std::make_unique<HardenProbe>(client, clock);
    setup_controllers(manager, clock, cfg, metrics);
    manager.serve_metrics([this, &manager, &metrics] {
      auto depths = manager.queue_depths();
      depths["events"] = events_.waiting();  // Events waiting to be written
      if (webhook_) metrics.admission_in_flight(webhook_->review_bytes_in_flight());
      auto posture =
          posture_snapshot(book_, policy_set_, ownership_, caches_.namespaces,
                           caches_.network_policies, input_access_, book_complete(manager));
      if (policy_report_keeper_)
        posture.conflicting_objects["Report"] = policy_report_keeper_->conflicts().size();
      canary_->fill(posture);
      return metrics.scrape(depths, posture, cache_sizes(manager));
    });
    if (cfg.admission.enabled && cfg.admission.bind_address != "0") {
      setup_admission(manager, client, clock, cfg, metrics);
    }
  }

  // Latched: the first time, once this replica's controllers run, that posture has judged every
  // workload. Until then status is not written (a restart publishes no partial summary) and no
  // posture metrics are exported (a standby's empty book is no score).
  bool book_complete(const runtime::Manager& manager) {
    if (!book_complete_ && manager.controllers_started() && posture_caught_up_()) {
      book_complete_ = true;
    }
    return book_complete_.load();
  }

 private:
  bool policy_reports_served() const {
    return policy_report_keeper_ != nullptr && policy_report_keeper_->served();
  }

  // The policy reports' keeper. When their CRD is not served yet, nothing is written until it is,
  // then everything is judged again, which writes every report and turns each policy's Reports
  // condition True.
  void keep_reports(runtime::Manager& manager, base::Clock& clock,
                    const config::OperatorConfig& cfg) {
    policy_report_keeper_ = std::make_unique<reconcilers::PolicyReportKeeper>(
        writer_, *caches_.policy_reports, clock,
        cfg.reports.format == "wgpolicy" ? policy_reports::Format::kWgPolicy
                                         : policy_reports::Format::kOpenReports,
        cfg.reports.passes == "list" ? policy_reports::Passes::kListed
                                     : policy_reports::Passes::kSummarised,
        &events_);
    if (!caches_.policy_reports_optional) return;
    policy_report_keeper_->set_served(false);
    manager.when_served(*caches_.policy_reports, [this, &manager] {
      policy_report_keeper_->set_served(true);
      logging::info("reports: the policy report CRD is served now; writing reports");
      manager.resync_now();
    });
  }

  // The controllers, each registered by its own setup function.
  void setup_controllers(runtime::Manager& manager, base::Clock& clock,
                         const config::OperatorConfig& cfg, metrics::OperatorMetrics& metrics) {
    const reconcilers::PostureProgress posture =
        reconcilers::setup_workload_posture(manager, {.caches = caches_,
                                                      .writer = writer_,
                                                      .policies = policy_set_,
                                                      .vulnerabilities = vulnerabilities_.get(),
                                                      .rbac = &rbac_,
                                                      .reports = policy_report_keeper_.get(),
                                                      .ownership = &ownership_,
                                                      .access = &input_access_,
                                                      .enforcement = &canary_->book(),
                                                      .images = &images_->verification(),
                                                      .book = book_,
                                                      .events = events_,
                                                      .clock = clock,
                                                      .never_touch = cfg.never_touch_namespaces,
                                                      .workers = cfg.workers,
                                                      .hooks = posture_hooks(metrics)});
    posture_caught_up_ = posture.caught_up;
    reconcilers::setup_managed_network_policies(manager, {.caches = caches_,
                                                          .writer = writer_,
                                                          .policies = policy_set_,
                                                          .ownership = ownership_,
                                                          .events = events_,
                                                          .clock = clock,
                                                          .never_touch = cfg.never_touch_namespaces,
                                                          .hooks = network_policy_hooks(metrics)});
    reconcilers::setup_security_policy_status(
        manager, {.caches = caches_,
                  .writer = writer_,
                  .book = book_,
                  .clock = clock,
                  .policy_reports_served = cfg.reports.format == "off"
                                               ? std::function<bool()>()
                                               : [this] { return policy_reports_served(); },
                  .book_complete = [this, &manager] { return book_complete(manager); },
                  .never_touch = cfg.never_touch_namespaces,
                  .events = events_,
                  .ownership = ownership_,
                  .report_conflicts =
                      [this] {
                        return policy_report_keeper_ != nullptr ? policy_report_keeper_->conflicts()
                                                                : std::vector<std::string>();
                      },
                  .access = &input_access_,
                  .enforcement = &canary_->book(),
                  .harden_install = [this] { return harden_->state(); },
                  .posture_in_pass_for = posture.in_pass_for});
  }

  // The validating webhook, served on every replica with the Manager's servers.
  void setup_admission(runtime::Manager& manager, kube::KubeClient& client, base::Clock& clock,
                       const config::OperatorConfig& cfg, metrics::OperatorMetrics& metrics) {
    admission::WebhookOptions o;
    o.bind_address = cfg.admission.bind_address;
    o.url = cfg.admission.url;
    o.failure_policy = cfg.admission.failure_policy;
    o.timeout_seconds = cfg.admission.timeout_seconds;
    o.cert_dir = cfg.admission.cert_dir;
    o.reviews.never_touch.insert(cfg.never_touch_namespaces.begin(),
                                 cfg.never_touch_namespaces.end());
    o.own_namespace = operator_namespace(cfg);
    o.ca_validity = cfg.admission.ca_validity;
    o.certificate_validity = cfg.admission.certificate_validity;
    o.reviews.rbac = &rbac_;
    o.reviews.access = &input_access_;
    o.reviews.images = &images_->verification();
    o.reviews.images_budget = cfg.registries.admission_budget;
    o.api_server_sources = cfg.admission.api_server_sources;
    o.connections_per_source = cfg.admission.connections_per_source;
    o.on_refused = [&metrics](server::Refusal r) {
      metrics.connection_refused("admission", server::to_string(r));
    };
    o.reviews.on_shed = [&metrics] {
      metrics.connection_refused("admission", server::to_string(server::Refusal::kMemory));
    };
    const std::string service = "bulwark-webhook." + o.own_namespace + ".svc";
    o.certificate_names = {service, service + ".cluster.local", "localhost", "127.0.0.1"};
    webhook_ = std::make_unique<admission::Webhook>(
        std::move(o), policy_set_, caches_.namespaces,
        [&manager] { return manager.caches_synced(); }, client, clock,
        [&metrics](const std::string& operation, const std::string& kind, std::string_view decision,
                   base::Clock::Duration took) {
          metrics.admission_review(operation, kind, decision, took);
        });
    manager.add_runnable({"admission", [this] { return webhook_->start(); },
                          [this] { webhook_->stop(); },
                          [this] { return webhook_->unready_reason(); }});
  }

  const reconcilers::Caches& caches_;
  kube::ClientWriter writer_;  // objects, status and Events
  reconcilers::PolicySet policy_set_;
  reconcilers::OwnershipRecord ownership_;  // which managed NetworkPolicies are Bulwark's
  reconcilers::PostureBook book_;
  reconcilers::QueuedEventRecorder events_;  // never holds up a reconcile
  std::unique_ptr<reconcilers::ReportCacheVulnerabilities> vulnerabilities_;
  reconcilers::RbacIndex rbac_;            // what each ServiceAccount may do
  reconcilers::InputAccess input_access_;  // which inputs of controls Bulwark may still read
  std::unique_ptr<reconcilers::PolicyReportKeeper>
      policy_report_keeper_;  // null: Reports are not served
  std::function<bool()> posture_caught_up_;
  std::atomic<bool> book_complete_{false};
  std::unique_ptr<OperatorImages> images_;  // before the webhook, which asks it
  std::unique_ptr<admission::Webhook> webhook_;
  std::unique_ptr<OperatorCanary> canary_;  // the enforcement canary's prober and verdicts
  std::unique_ptr<HardenProbe> harden_;     // whether bulwark-harden is served and installed
};

// This replica's name: the Lease holder it writes and the user agent the API server's audit log
// attributes its requests to. In a pod the host name is the pod's name.
std::string replica_identity() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "_" + std::to_string(getpid());
}

// The certificate for secure metrics: tls.crt and tls.key from the cert folder, else a
// self-signed one for this host. Throws ConfigError naming what cannot be read.
server::TlsMaterial metrics_certificate(const config::OperatorConfig& cfg) {
  if (cfg.metrics_cert_dir.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    logging::info("metrics: no metricsCertDir, serving a self-signed certificate");
    return server::self_signed_certificate({host, "localhost", "127.0.0.1"});
  }
  auto read = [&](const std::string& name) {
    return kube::read_config_file(cfg.metrics_cert_dir + "/" + name, "", kube::EmptyFile::kRefuse);
  };
  return server::TlsMaterial{read("tls.crt"), read("tls.key")};
}

runtime::Manager::Options manager_options(const config::OperatorConfig& cfg) {
  runtime::Manager::Options m;
  m.health_probe_bind_address = cfg.health_probe_bind_address;
  m.metrics_bind_address = cfg.metrics_bind_address;
  if (cfg.metrics_secure) m.metrics_tls = metrics_certificate(cfg);
  m.resync_period = cfg.resync_period;
  if (cfg.leader_election.enabled) {
    runtime::LeaderElector::Options o;
    o.namespace_name = cfg.leader_election.namespace_name;
    if (o.namespace_name.empty()) o.namespace_name = pod_namespace();
    if (o.namespace_name.empty()) o.namespace_name = "bulwark-system";
    o.identity = replica_identity();
    o.lease_duration = cfg.leader_election.lease_duration;
    o.renew_deadline = cfg.leader_election.renew_deadline;
    o.retry_period = cfg.leader_election.retry_period;
    m.leader_election = o;
  }
  return m;
}

// The open-file soft limit raised to the hard one (often 1,024 against 1,048,576 in a container):
// the servers' connection caps, 2,048 probe and 1,024 admission connections beside the watches,
// are what bound descriptors, not a soft limit a flood would reach first.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  const auto before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    logging::info("open files: soft limit raised from " + std::to_string(before) + " to " +
                  std::to_string(limit.rlim_cur));
  }
}

// rbac.anonymousRequests: auto becomes what the API server answers a request without
// credentials; no answer counts as allowed, the default of Kubernetes and the side that reports
// more (docs/api.md, RBAC).
void resolve_anonymous_requests(config::OperatorConfig& cfg, const kube::ClusterConfig& cluster) {
  auto& setting = cfg.rbac.anonymous_requests;
  if (setting != "auto") {
    logging::info("anonymous requests: " + setting + " (rbac.anonymousRequests)");
    return;
  }
  const kube::AnonymousProbe probe = kube::probe_anonymous_requests(cluster);
  setting = probe.answer == kube::AnonymousRequests::kDenied ? "denied" : "allowed";
  if (probe.answer == kube::AnonymousRequests::kUnknown) {
    logging::warn("anonymous requests: counted as allowed, the probe had no answer (" +
                  probe.detail + "); set rbac.anonymousRequests to say");
  } else {
    logging::info("anonymous requests: " + setting + " (" + probe.detail + ")");
  }
}

}  // namespace

int run_operator(const RunFlags& flags, std::ostream& err) {
  runtime::limit_malloc_arenas();
  kube::size_transport_threads(std::max(2u, std::thread::hardware_concurrency()));
  // Signals are taken by one thread with sigwait(); every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto cfg = load_config(flags, err);
  if (!cfg) return 2;
  logging::setup(cfg->log.level, cfg->log.format);
  raise_open_file_limit();
  // docs/api.md: Bulwark's own namespace is never acted on, whatever a policy selects: an
  // Enforce + ScaleToZero policy must not scale the operator itself to zero.
  const std::string own_namespace = operator_namespace(*cfg);
  if (std::find(cfg->never_touch_namespaces.begin(), cfg->never_touch_namespaces.end(),
                own_namespace) == cfg->never_touch_namespaces.end()) {
    cfg->never_touch_namespaces.push_back(own_namespace);
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
  if (cluster.exec) {
    // A credential plugin that cannot give a token is a configuration error, said now rather
    // than as every request failing. (The transport runs it again for its own first token.)
    try {
      kube::ExecCredentialSource(*cluster.exec, cluster).token();
    } catch (const kube::ConfigError& e) {
      err << "bulwark run: " << cluster.source << ": " << e.what() << "\n";
      return 2;
    }
  }

  base::RealClock clock;
  cluster.user_agent = "bulwark/" BULWARK_VERSION " (" + replica_identity() + ")";
  kube::KubeClient::Options client_options{cfg->client.qps, cfg->client.burst};
  if (cfg->leader_election.enabled) {
    // No renew or write may outlive the time this replica can prove it leads.
    client_options.request_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(cfg->leader_election.renew_deadline);
  }
  runtime::Manager::Options options;
  try {
    options = manager_options(*cfg);
  } catch (const std::exception& e) {
    err << "bulwark run: metrics: " << e.what() << "\n";
    return 2;
  }
  resolve_anonymous_requests(*cfg, cluster);
  kube::KubeClient client(kube::make_cpprest_transport(cluster), client_options, clock);
  runtime::Manager manager(client, clock, std::move(options));
  const reconcilers::Caches caches = register_caches(manager, client, *cfg);
  metrics::OperatorMetrics metrics(BULWARK_VERSION, manager.cache_names(), clock);
  observe(manager, client, metrics);
  OperatorControllers controllers(manager, caches, client, clock, *cfg, metrics);
  metrics.controllers_registered(manager.controller_names());
  return manager.run(signals);
}

}  // namespace bulwark::cli
