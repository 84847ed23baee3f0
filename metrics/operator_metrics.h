#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/base/clock.h"
#include "operator/policy/remediation.h"
#include "operator/runtime/controller.h"

namespace prometheus {
class Registry;
}

namespace bulwark::metrics {

// The posture of the cluster as the gauges show it, computed by the caller at scrape time (from
// the PostureBook and the policies); plain data so this library knows nothing of reconcilers.
struct PostureSnapshot {
  // Counted as the book is read, never copied per workload: a scrape of 50,000 workloads used to
  // copy each outcome with its controls (about 250 bytes and 24 allocations a workload), only to
  // count them here.
  // One workload of `namespace_name`, compliant or exempt against every policy that selects it.
  void add_workload(const std::string& namespace_name, bool compliant_or_exempt);
  // One policy's outcome on a workload of `namespace_name`: its state (compliant | violating |
  // exempt | not-evaluated), whether it quarantined, and the controls it violates.
  void add_outcome(const std::string& namespace_name, const std::string& policy,
                   std::string_view state, bool quarantined,
                   const std::vector<std::string_view>& controls);

  struct Workloads {
    int all = 0;
    int compliant_or_exempt = 0;
  };
  std::map<std::string, Workloads, std::less<>> workloads;  // by namespace
  struct Standing {  // one policy's outcomes in one namespace
    std::map<std::string, int, std::less<>> states;
    int quarantined = 0;
    std::map<std::string, int, std::less<>> violations;  // by control
  };
  // namespace -> policy -> its standing there
  std::map<std::string, std::map<std::string, Standing, std::less<>>, std::less<>> standings;
  std::map<std::string, bool> policy_ready;                  // policy -> Ready=True
  std::map<std::string, std::vector<std::string>> controls;  // policy -> the controls it judges
  // (policy, control) -> namespaces with that finding; every policy that looks starts at 0.
  std::map<std::pair<std::string, std::string>, int> namespace_violations;
  // (policy, control) -> 1 while its namespace findings are not evaluated (Bulwark may no longer
  // read their inputs; namespace_violations then has no entry for it), else 0.
  std::map<std::pair<std::string, std::string>, int> namespace_findings_not_evaluated;
  // kind -> objects Bulwark did not create that hold a name it keeps (reconcilers/ownership.h).
  std::map<std::string, std::size_t> conflicting_objects;
  // The enforcement canary's last verdicts, each node and direction (in, out): 1 Enforced, 0
  // NotEnforced, nullopt Unknown. Exported only while `enforcement_judged` (a round has ended on
  // this replica, or the canary said why it cannot probe); a standby exports none.
  struct NodeEnforcement {
    std::string node;
    std::optional<int> in, out;
  };
  std::vector<NodeEnforcement> enforcement;
  bool enforcement_judged = false;
  // False until this replica has judged every workload once (a standby never has): the posture
  // families (scores, workloads, violations, namespace findings) are then not exported at all.
  bool judged = true;
};

// Every metric family of docs/api.md, Metrics, registered once at construction. Label values are
// bounded: namespaces, policies, controls and fixed enumerations, never a pod or workload name.
// Fixed label sets (actions, results, verbs, reasons) start at zero so that rates and alerts have
// a series from the first scrape. Thread-safe: prometheus-cpp metrics are atomic, and the posture
// gauges are rebuilt under a lock at scrape time.
class OperatorMetrics {
 public:
  using Duration = base::Clock::Duration;

  // `resources` (the caches) name fixed label values that start at zero.
  OperatorMetrics(const std::string& version, const std::vector<std::string>& resources,
                  const base::Clock& clock);
  ~OperatorMetrics();
  // The controllers' series start at zero (runtime::Manager::controller_names, once registered).
  void controllers_registered(const std::vector<std::string>& controllers);

  void set_leader(bool leader);
  void reconciled(const std::string& controller, Duration took, runtime::ReconcileResult result);
  void api_request(std::string_view verb, int code, Duration took);
  void watch_restarted(const std::string& resource, std::string_view reason);
  // decision: allowed, warned, denied or error.
  void admission_review(std::string_view operation, std::string_view kind,
                        std::string_view decision, Duration took);
  void remediation(Remediation action, bool ok);
  // A connection closed unserved: server admission, probes or metrics; reason server_full or
  // source_full (server::Refusal).
  void connection_refused(std::string_view server, std::string_view reason);
  // What the admission reviews being judged hold of their memory budget, sampled at scrape.
  void admission_in_flight(std::size_t bytes);

  // Detection latency: a watch event about workload `key` arrived (the first one since its last
  // verdict counts) ... and its verdict was written.
  void event_seen(const std::string& key);
  // The event noted under `from` (an object) concerns workload `to`: the earlier time counts.
  void event_routed(const std::string& from, const std::string& to);
  void verdict_written(const std::string& key);
  // Judged again with its verdict unchanged: the events before it led to nothing, so a later
  // change is timed from its own event, not from one of those.
  void verdict_unchanged(const std::string& key);

  // Drift-repair latency: a watch event about the managed NetworkPolicy `key` arrived (the first
  // since it was last judged counts) ... and it was judged: `repaired` when a repair was written.
  void network_policy_event(const std::string& key);
  void network_policy_judged(const std::string& key, bool repaired);

  // How long a change of the canary's NetworkPolicy took to be in effect on a node, one way.
  void enforcement_lag(Duration lag);

  // An Event dropped: about a cluster-scoped object while too many waited, or past the spam
  // filter (reconcilers::QueuedEventRecorder; a namespace's are folded instead).
  void event_dropped();
  // A watch event was the echo of the operator's own write, which costs no judgement.
  void echo_skipped();
  // One image's signatures verified against its registry (`result` one of images::to_string's
  // four), or a verdict served from the cache.
  void image_verification(std::string_view result, Duration took);
  void image_verification_cache_hit();

  // What one cache holds: objects, and the bytes their projected JSON takes as kept, compressed
  // or not (runtime::Informer::cached_bytes).
  struct CacheSize {
    std::size_t objects = 0;
    std::size_t bytes = 0;
  };

  // The Prometheus text exposition of everything, after refreshing the sampled gauges:
  // `queue_depths` (queue -> depth), the posture from `posture`, `caches` (resource -> size).
  std::string scrape(const std::map<std::string, std::size_t>& queue_depths,
                     const PostureSnapshot& posture,
                     const std::map<std::string, CacheSize>& caches = {});

 private:
  struct Families;
  const base::Clock& clock_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Families> f_;
  using Pending = std::map<std::string, base::Clock::TimePoint>;  // key -> first unjudged event
  static void note(Pending& pending, const std::string& key, base::Clock::TimePoint at);
  std::optional<base::Clock::TimePoint> take(Pending& pending, const std::string& key);

  std::mutex mu_;     // guards the members below and the posture gauges' rebuild
  Pending pending_;   // workload keys
  Pending drifting_;  // managed NetworkPolicy keys
};

}  // namespace bulwark::metrics
