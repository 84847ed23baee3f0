// The one file that uses prometheus-cpp: families, label sets and the text exposition.
#include "metrics/operator_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <set>

#include "operator/policy/workload_kinds.h"
#include "operator/posture/engine.h"

namespace bulwark::metrics {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

namespace {

double seconds(base::Clock::Duration d) { return std::chrono::duration<double>(d).count(); }

const Histogram::BucketBoundaries kFastBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,   0.25,   0.5,   1,    2.5,   5};
const Histogram::BucketBoundaries kDetectionBuckets = {0.05, 0.1, 0.25, 0.5, 1,  2,
                                                       3,    5,   10,   30,  60, 300};
constexpr std::string_view kVerbs[] = {"get",   "list",  "watch",  "create",
                                       "patch", "apply", "update", "delete"};
constexpr std::string_view kRestartReasons[] = {"expired", "connection", "closed", "error", "idle"};
constexpr std::string_view kStates[] = {"compliant", "violating", "exempt", "not-evaluated",
                                        "quarantined"};

// Keeps a gauge family's label sets equal to `want`: sets those wanted, removes the rest.
void sync(Family<Gauge>& family, std::map<Labels, Gauge*>& held,
          const std::map<Labels, double>& want) {
  for (auto it = held.begin(); it != held.end();) {
    if (want.count(it->first) == 0) {
      family.Remove(it->second);
      it = held.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [labels, value] : want) {
    auto it = held.find(labels);
    if (it == held.end()) it = held.emplace(labels, &family.Add(labels)).first;
    it->second->Set(value);
  }
}

// (policy, control) -> n as the gauges' label sets.
std::map<Labels, double> by_policy_and_control(
    const std::map<std::pair<std::string, std::string>, int>& counts) {
  std::map<Labels, double> out;
  for (const auto& [key, n] : counts) out[{{"policy", key.first}, {"control", key.second}}] = n;
  return out;
}

// Each namespace's score (compliant or exempt share of its workloads) into `scores`.
void namespace_scores(const PostureSnapshot& posture, std::map<Labels, double>& scores) {
  for (const auto& [ns, w] : posture.workloads) {
    scores[{{"namespace", ns}}] = w.compliant_or_exempt * 100 / w.all;
  }
}

}  // namespace

struct OperatorMetrics::Families {
  explicit Families(prometheus::Registry& r)
      : posture_score(prometheus::BuildGauge()
                          .Name("bulwark_posture_score")
                          .Help("Share of a namespace's selected workloads that are compliant or "
                                "exempt under every policy, 0..100")
                          .Register(r)),
        cluster_score(prometheus::BuildGauge()
                          .Name("bulwark_cluster_posture_score")
                          .Help("Share of all selected workloads that are compliant or exempt, "
                                "0..100")
                          .Register(r)),
        workloads(prometheus::BuildGauge()
                      .Name("bulwark_workloads")
                      .Help("Workloads a policy selects, by state (quarantined counts workloads "
                            "held by Quarantine or ScaleToZero)")
                      .Register(r)),
        violations(prometheus::BuildGauge()
                       .Name("bulwark_violations")
                       .Help("Workloads violating a control now")
                       .Register(r)),
        remediations(prometheus::BuildCounter()
                         .Name("bulwark_remediations_total")
                         .Help("Writes Bulwark made to bring the cluster in line, by action and "
                               "result")
                         .Register(r)),
        detection_latency(prometheus::BuildHistogram()
                              .Name("bulwark_detection_latency_seconds")
                              .Help("From the watch event about a workload to its changed verdict "
                                    "being written")
                              .Register(r)
                              .Add({}, kDetectionBuckets)),
        reconcile_total(
            prometheus::BuildCounter()
                .Name("bulwark_reconcile_total")
                .Help("Reconciles by controller and result (success, error, terminal_error)")
                .Register(r)),
        reconcile_duration(prometheus::BuildHistogram()
                               .Name("bulwark_reconcile_duration_seconds")
                               .Help("Time one reconcile took")
                               .Register(r)),
        workqueue_depth(prometheus::BuildGauge()
                            .Name("bulwark_workqueue_depth")
                            .Help("Keys waiting in a controller's queue")
                            .Register(r)),
        workqueue_retries(prometheus::BuildCounter()
                              .Name("bulwark_workqueue_retries_total")
                              .Help("Keys put back with backoff after a failed reconcile")
                              .Register(r)),
        watch_restarts(prometheus::BuildCounter()
                           .Name("bulwark_watch_restarts_total")
                           .Help("Watches restarted, by resource and reason (expired = 410 Gone "
                                 "and a relist)")
                           .Register(r)),
        api_requests(prometheus::BuildCounter()
                         .Name("bulwark_api_requests_total")
                         .Help("Requests to the Kubernetes API server by verb and code (0 = no "
                               "connection)")
                         .Register(r)),
        api_duration(prometheus::BuildHistogram()
                         .Name("bulwark_api_request_duration_seconds")
                         .Help("Kubernetes API request latency by verb")
                         .Register(r)),
        leader(prometheus::BuildGauge()
                   .Name("bulwark_leader")
                   .Help("1 on the replica that holds the leader lease (or runs without "
                         "election)")
                   .Register(r)
                   .Add({})),
        admission_in_flight(prometheus::BuildGauge()
                                .Name("bulwark_admission_review_bytes_in_flight")
                                .Help("Bytes the admission reviews being judged are charged "
                                      "against their memory budget (18 times each body plus "
                                      "2 MiB; the budget is 128 MiB)")
                                .Register(r)
                                .Add({})),
        build_info(prometheus::BuildGauge()
                       .Name("bulwark_build_info")
                       .Help("Always 1; the version label says which build runs")
                       .Register(r)),
        policy_ready(prometheus::BuildGauge()
                         .Name("bulwark_policy_ready")
                         .Help("1 when the SecurityPolicy is Ready=True")
                         .Register(r)),
        admission_requests(prometheus::BuildCounter()
                               .Name("bulwark_admission_requests_total")
                               .Help("Admission reviews by operation, kind and decision (allowed, "
                                     "warned, denied, error)")
                               .Register(r)),
        connections_refused(prometheus::BuildCounter()
                                .Name("bulwark_connections_refused_total")
                                .Help("Connections closed unserved as they were accepted "
                                      "(server_full, source_full) and requests shed for memory "
                                      "(memory), by server (admission, probes, metrics)")
                                .Register(r)),
        admission_duration(prometheus::BuildHistogram()
                               .Name("bulwark_admission_duration_seconds")
                               .Help("Time to answer one admission review")
                               .Register(r)
                               .Add({}, kFastBuckets)),
        namespace_violations(
            prometheus::BuildGauge()
                .Name("bulwark_namespace_violations")
                .Help("Namespaces with a namespace finding now (networkDefaultDeny: "
                      "an Audit policy's namespace that no NetworkPolicy isolates)")
                .Register(r)),
        namespace_findings_not_evaluated(
            prometheus::BuildGauge()
                .Name("bulwark_namespace_findings_not_evaluated")
                .Help("1 while a policy's namespace findings of a control are not evaluated "
                      "(Bulwark may no longer read NetworkPolicies or Namespaces; "
                      "bulwark_namespace_violations has no series for them then), else 0")
                .Register(r)),
        conflicting_objects(prometheus::BuildGauge()
                                .Name("bulwark_conflicting_objects")
                                .Help("Objects Bulwark did not create that hold a name it keeps "
                                      "(bulwark-default-deny, bulwark-quarantine) where a "
                                      "policy needs it: not enforced there")
                                .Register(r)),
        drift_repair_latency(prometheus::BuildHistogram()
                                 .Name("bulwark_drift_repair_latency_seconds")
                                 .Help("From the watch event showing a managed NetworkPolicy "
                                       "changed or deleted to its repair being written")
                                 .Register(r)
                                 .Add({}, kDetectionBuckets)),
        events_dropped(prometheus::BuildCounter()
                           .Name("bulwark_events_dropped_total")
                           .Help("Kubernetes Events dropped: about cluster-scoped objects "
                                 "while too many waited, or past the spam filter")
                           .Register(r)
                           .Add({})),
        watch_echoes(prometheus::BuildCounter()
                         .Name("bulwark_watch_echoes_total")
                         .Help("Watch events about workloads or their policy reports that "
                               "were the echo of the operator's own write, and were not judged "
                               "again")
                         .Register(r)
                         .Add({})),
        network_enforcement(prometheus::BuildGauge()
                                .Name("bulwark_network_enforcement")
                                .Help("1 while the node's network plugin enforced the last "
                                      "change of the canary's NetworkPolicy in that direction "
                                      "(in: to the canary, out: from it), 0 while it did not; "
                                      "no series while unknown")
                                .Register(r)),
        network_enforcement_unknown(prometheus::BuildGauge()
                                        .Name("bulwark_network_enforcement_unknown_nodes")
                                        .Help("Nodes (not simulated) where the canary proved "
                                              "neither enforcement nor its absence in some "
                                              "direction")
                                        .Register(r)),
        enforcement_lag(prometheus::BuildHistogram()
                            .Name("bulwark_network_enforcement_lag_seconds")
                            .Help("From a change of the canary's NetworkPolicy to the first of "
                                  "the probes that found it in effect, per node and direction")
                            .Register(r)
                            .Add({}, prometheus::Histogram::BucketBoundaries{0.25, 0.5, 1, 2, 4, 8,
                                                                             15, 30, 60})),
        image_verifications(prometheus::BuildCounter()
                                .Name("bulwark_image_verifications_total")
                                .Help("Images' signatures verified against their registry, by "
                                      "result: verified, unsigned, bad_signature, not_evaluated "
                                      "(cache hits not counted)")
                                .Register(r)),
        image_verification_cache_hits(prometheus::BuildCounter()
                                          .Name("bulwark_image_verification_cache_hits_total")
                                          .Help("Signature verdicts served from the cache")
                                          .Register(r)
                                          .Add({})),
        image_verification_duration(
            prometheus::BuildHistogram()
                .Name("bulwark_image_verification_duration_seconds")
                .Help("One image's verification against its registry: the signature manifest "
                      "and its payloads fetched and judged")
                .Register(r)
                .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1,
                                                                 0.25, 0.5, 1, 2.5, 5})),
        cache_objects(prometheus::BuildGauge()
                          .Name("bulwark_cache_objects")
                          .Help("Objects held in a resource's cache")
                          .Register(r)),
        cache_bytes(prometheus::BuildGauge()
                        .Name("bulwark_cache_bytes")
                        .Help("Bytes a resource's cache keeps of its objects: their "
                              "projected JSON, compressed once the cache has a dictionary "
                              "(without the index around it)")
                        .Register(r)) {}

  Family<Gauge>& posture_score;
  Family<Gauge>& cluster_score;  // one series without labels, while there is a posture to show
  Family<Gauge>& workloads;
  Family<Gauge>& violations;
  Family<Counter>& remediations;
  Histogram& detection_latency;
  Family<Counter>& reconcile_total;
  Family<Histogram>& reconcile_duration;
  Family<Gauge>& workqueue_depth;
  Family<Counter>& workqueue_retries;
  Family<Counter>& watch_restarts;
  Family<Counter>& api_requests;
  Family<Histogram>& api_duration;
  Gauge& leader;
  Gauge& admission_in_flight;
  Family<Gauge>& build_info;
  Family<Gauge>& policy_ready;
  Family<Counter>& admission_requests;
  Family<Counter>& connections_refused;
  Histogram& admission_duration;
  Family<Gauge>& namespace_violations;
  Family<Gauge>& namespace_findings_not_evaluated;
  Family<Gauge>& conflicting_objects;
  Histogram& drift_repair_latency;
  Counter& events_dropped;
  Counter& watch_echoes;
  Family<Gauge>& network_enforcement;
  Family<Gauge>& network_enforcement_unknown;
  Histogram& enforcement_lag;
  Family<Counter>& image_verifications;
  Counter& image_verification_cache_hits;
  Histogram& image_verification_duration;
  Family<Gauge>& cache_objects;
  Family<Gauge>& cache_bytes;

  // The label sets of the gauges rebuilt at each scrape.
  std::map<Labels, Gauge*> held_scores, held_cluster_score, held_workloads, held_violations,
      held_ready, held_depth, held_namespace_violations, held_namespace_not_evaluated,
      held_cache_objects, held_cache_bytes, held_conflicting_objects, held_enforcement,
      held_enforcement_unknown;
};

OperatorMetrics::OperatorMetrics(const std::string& version,
                                 const std::vector<std::string>& resources,
                                 const base::Clock& clock)
    : clock_(clock),
      registry_(std::make_shared<prometheus::Registry>()),
      f_(std::make_unique<Families>(*registry_)) {
  f_->build_info.Add({{"version", version}}).Set(1);
  for (const auto a : kRemediations) {
    for (const char* result : {"success", "error"}) {
      f_->remediations.Add({{"action", std::string(to_string(a))}, {"result", result}});
    }
  }
  for (const auto& r : resources) {
    for (const auto& reason : kRestartReasons) {
      f_->watch_restarts.Add({{"resource", r}, {"reason", std::string(reason)}});
    }
  }
  for (const auto& v : kVerbs) f_->api_duration.Add({{"verb", std::string(v)}}, kFastBuckets);
  for (const char* server : {"admission", "probes", "metrics"}) {
    for (const char* reason : {"server_full", "source_full", "memory"}) {
      f_->connections_refused.Add({{"server", server}, {"reason", reason}});
    }
  }
}

OperatorMetrics::~OperatorMetrics() = default;

void OperatorMetrics::controllers_registered(const std::vector<std::string>& controllers) {
  for (const auto& c : controllers) {
    for (const char* result : {"success", "error", "terminal_error"}) {
      f_->reconcile_total.Add({{"controller", c}, {"result", result}});
    }
    f_->reconcile_duration.Add({{"controller", c}}, kFastBuckets);
    f_->workqueue_retries.Add({{"queue", c}});
  }
}

void OperatorMetrics::set_leader(bool leader) { f_->leader.Set(leader ? 1 : 0); }

void OperatorMetrics::admission_in_flight(std::size_t bytes) {
  f_->admission_in_flight.Set(static_cast<double>(bytes));
}

void OperatorMetrics::reconciled(const std::string& controller, Duration took,
                                 runtime::ReconcileResult result) {
  using runtime::ReconcileResult;
  // A conflict is retried like any error; a terminal error is not retried at all.
  const char* label = result == ReconcileResult::kSuccess         ? "success"
                      : result == ReconcileResult::kTerminalError ? "terminal_error"
                                                                  : "error";
  // Family::Add returns the series already registered for these labels.
  f_->reconcile_total.Add({{"controller", controller}, {"result", label}}).Increment();
  f_->reconcile_duration.Add({{"controller", controller}}, kFastBuckets).Observe(seconds(took));
  if (result == ReconcileResult::kError || result == ReconcileResult::kConflict ||
      result == ReconcileResult::kFenced) {
    f_->workqueue_retries.Add({{"queue", controller}}).Increment();
  }
}

void OperatorMetrics::api_request(std::string_view verb, int code, Duration took) {
  f_->api_requests.Add({{"verb", std::string(verb)}, {"code", std::to_string(code)}}).Increment();
  f_->api_duration.Add({{"verb", std::string(verb)}}, kFastBuckets).Observe(seconds(took));
}

void OperatorMetrics::admission_review(std::string_view operation, std::string_view kind,
                                       std::string_view decision, Duration took) {
  // Labels from a request are bounded: anything unexpected is "other" (the webhook's address is
  // reachable by clients other than the API server).
  static const std::set<std::string_view> kOperations = {"CREATE", "UPDATE", "DELETE", "CONNECT"};
  auto bounded = [](bool known, std::string_view v) {
    return std::string(v.empty() ? "unknown" : known ? v : "other");
  };
  f_->admission_requests
      .Add({{"operation", bounded(kOperations.count(operation) > 0, operation)},
            {"kind", bounded(posture::find_workload_kind(kind) != nullptr, kind)},
            {"decision", std::string(decision)}})
      .Increment();
  f_->admission_duration.Observe(seconds(took));
}

void OperatorMetrics::connection_refused(std::string_view server, std::string_view reason) {
  f_->connections_refused.Add({{"server", std::string(server)}, {"reason", std::string(reason)}})
      .Increment();
}

void OperatorMetrics::watch_restarted(const std::string& resource, std::string_view reason) {
  f_->watch_restarts.Add({{"resource", resource}, {"reason", std::string(reason)}}).Increment();
}

void OperatorMetrics::remediation(Remediation action, bool ok) {
  f_->remediations
      .Add({{"action", std::string(to_string(action))}, {"result", ok ? "success" : "error"}})
      .Increment();
}

void OperatorMetrics::note(Pending& pending, const std::string& key, base::Clock::TimePoint at) {
  // Bounded: should judging stop telling (a bug), the oldest notes are dropped wholesale.
  if (pending.size() >= 100000) pending.clear();
  pending.emplace(key, at);  // the first unjudged event counts
}

std::optional<base::Clock::TimePoint> OperatorMetrics::take(Pending& pending,
                                                            const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = pending.find(key);
  if (it == pending.end()) return std::nullopt;
  const auto seen = it->second;
  pending.erase(it);
  return seen;
}

void OperatorMetrics::event_seen(const std::string& key) {
  std::lock_guard lock(mu_);
  note(pending_, key, clock_.now());
}

void OperatorMetrics::event_routed(const std::string& from, const std::string& to) {
  if (from == to) return;
  std::lock_guard lock(mu_);
  auto it = pending_.find(from);
  if (it == pending_.end()) return;
  const auto seen = it->second;
  pending_.erase(it);
  auto [target, added] = pending_.emplace(to, seen);
  if (!added && seen < target->second) target->second = seen;
}

void OperatorMetrics::verdict_written(const std::string& key) {
  if (const auto seen = take(pending_, key)) {
    f_->detection_latency.Observe(seconds(clock_.now() - *seen));
  }
}

void OperatorMetrics::verdict_unchanged(const std::string& key) { take(pending_, key); }

void OperatorMetrics::network_policy_event(const std::string& key) {
  std::lock_guard lock(mu_);
  note(drifting_, key, clock_.now());
}

void OperatorMetrics::network_policy_judged(const std::string& key, bool repaired) {
  const auto seen = take(drifting_, key);
  if (seen && repaired) f_->drift_repair_latency.Observe(seconds(clock_.now() - *seen));
}

void OperatorMetrics::event_dropped() { f_->events_dropped.Increment(); }

void OperatorMetrics::echo_skipped() { f_->watch_echoes.Increment(); }

void OperatorMetrics::image_verification(std::string_view result, Duration took) {
  f_->image_verifications.Add({{"result", std::string(result)}}).Increment();
  f_->image_verification_duration.Observe(seconds(took));
}

void OperatorMetrics::image_verification_cache_hit() {
  f_->image_verification_cache_hits.Increment();
}

void OperatorMetrics::enforcement_lag(Duration lag) {
  f_->enforcement_lag.Observe(std::chrono::duration<double>(lag).count());
}

namespace {

// The canary's verdicts: 1 or 0 per known node and direction, and the count of nodes with an
// unknown direction; nothing before the first verdict (a standby's).
void enforcement_gauges(const PostureSnapshot& posture, std::map<Labels, double>& enforcement,
                        std::map<Labels, double>& unknown_nodes) {
  if (!posture.enforcement_judged) return;
  int unknown = 0;
  for (const auto& n : posture.enforcement) {
    if (n.in) enforcement[{{"node", n.node}, {"direction", "in"}}] = *n.in;
    if (n.out) enforcement[{{"node", n.node}, {"direction", "out"}}] = *n.out;
    if (!n.in || !n.out) ++unknown;
  }
  unknown_nodes[{}] = unknown;
}

// Every kind starts at zero.
std::map<Labels, double> conflicting_gauges(const PostureSnapshot& posture) {
  std::map<Labels, double> conflicting;
  for (const char* kind : {"NetworkPolicy", "Report"}) conflicting[{{"kind", kind}}] = 0;
  for (const auto& [kind, n] : posture.conflicting_objects) {
    conflicting[{{"kind", kind}}] = static_cast<double>(n);
  }
  return conflicting;
}

}  // namespace

namespace {

// bulwark_workloads and bulwark_violations from each namespace's standings. Every state, and
// every control the policy judges, starts at zero for a namespace the policy governs, so a query
// or an alert never sees its series vanish when the last violation is fixed; controls the policy
// does not judge get no series.
void standing_gauges(const PostureSnapshot& posture, std::map<Labels, double>& workloads,
                     std::map<Labels, double>& violations) {
  for (const auto& [ns, by_policy] : posture.standings) {
    for (const auto& [policy, standing] : by_policy) {
      for (const auto& s : kStates) {
        const auto n = standing.states.find(s);
        workloads[{{"namespace", ns}, {"policy", policy}, {"state", std::string(s)}}] =
            n != standing.states.end() ? n->second : 0;
      }
      workloads[{{"namespace", ns}, {"policy", policy}, {"state", "quarantined"}}] =
          standing.quarantined;
      std::map<std::string, int, std::less<>> counts = standing.violations;
      if (auto judged = posture.controls.find(policy); judged != posture.controls.end()) {
        for (const auto& c : judged->second) counts.emplace(c, 0);
      }
      for (const auto& [c, n] : counts) {
        violations[{{"namespace", ns},
                    {"policy", policy},
                    {"control", c},
                    {"severity", std::string(crds::to_string(posture::severity_of(c)))}}] = n;
      }
    }
  }
}

}  // namespace

std::string OperatorMetrics::scrape(const std::map<std::string, std::size_t>& queue_depths,
                                    const PostureSnapshot& posture,
                                    const std::map<std::string, CacheSize>& caches) {
  std::map<Labels, double> scores, workloads, violations, ready, depth, objects, bytes;
  for (const auto& [queue, n] : queue_depths) depth[{{"queue", queue}}] = static_cast<double>(n);
  for (const auto& [resource, size] : caches) {
    objects[{{"resource", resource}}] = static_cast<double>(size.objects);
    bytes[{{"resource", resource}}] = static_cast<double>(size.bytes);
  }

  namespace_scores(posture, scores);
  standing_gauges(posture, workloads, violations);
  for (const auto& [policy, is_ready] : posture.policy_ready) {
    ready[{{"policy", policy}}] = is_ready ? 1 : 0;
  }
  auto namespace_violations = by_policy_and_control(posture.namespace_violations);
  auto namespace_not_evaluated = by_policy_and_control(posture.namespace_findings_not_evaluated);

  std::map<Labels, double> conflicting = conflicting_gauges(posture);

  std::map<Labels, double> enforcement, enforcement_unknown;
  enforcement_gauges(posture, enforcement, enforcement_unknown);

  std::map<Labels, double> cluster_score;
  int all = 0, good = 0;
  for (const auto& [ns, w] : posture.workloads) all += w.all, good += w.compliant_or_exempt;
  cluster_score[{}] = all == 0 ? 100 : good * 100 / all;
  if (!posture.judged) {
    // A standby replica, or a leader before its first full pass: its book is empty or partial,
    // and a score from it would be a guess. No posture series at all rather than a wrong one.
    for (auto* m : {&cluster_score, &scores, &workloads, &violations, &namespace_violations,
                    &namespace_not_evaluated, &conflicting}) {
      m->clear();
    }
  }
  std::lock_guard lock(mu_);
  sync(f_->cluster_score, f_->held_cluster_score, cluster_score);
  sync(f_->posture_score, f_->held_scores, scores);
  sync(f_->workloads, f_->held_workloads, workloads);
  sync(f_->violations, f_->held_violations, violations);
  sync(f_->policy_ready, f_->held_ready, ready);
  sync(f_->workqueue_depth, f_->held_depth, depth);
  sync(f_->namespace_violations, f_->held_namespace_violations, namespace_violations);
  sync(f_->namespace_findings_not_evaluated, f_->held_namespace_not_evaluated,
       namespace_not_evaluated);
  sync(f_->conflicting_objects, f_->held_conflicting_objects, conflicting);
  sync(f_->cache_objects, f_->held_cache_objects, objects);
  sync(f_->cache_bytes, f_->held_cache_bytes, bytes);
  sync(f_->network_enforcement, f_->held_enforcement, enforcement);
  sync(f_->network_enforcement_unknown, f_->held_enforcement_unknown, enforcement_unknown);
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace bulwark::metrics
