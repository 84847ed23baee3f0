#include "app/cli/run_metrics.h"

#include "operator/logging/logging.h"
#include "reconcilers/namespace_findings.h"
#include "reconcilers/workload_posture.h"

namespace bulwark::cli {

namespace {

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
    case runtime::Reflector::Restart::kIdle:
      return "idle";
  }
  return "error";
}

}  // namespace

reconcilers::PostureHooks posture_hooks(metrics::OperatorMetrics& metrics) {
  return {[&metrics](Remediation action, bool ok) { metrics.remediation(action, ok); },
          [&metrics](const std::string& key, bool changed) {
            changed ? metrics.verdict_written(key) : metrics.verdict_unchanged(key);
          },
          [&metrics](const std::string& event) { metrics.event_seen(event); },
          [&metrics](const std::string& event, const std::string& key) {
            metrics.event_routed(event, key);
          },
          [&metrics] { metrics.echo_skipped(); }};
}

// The managed NetworkPolicies' writes and drift-repair latency, into metrics.
reconcilers::NetworkPolicyHooks network_policy_hooks(metrics::OperatorMetrics& metrics) {
  using reconcilers::ManagedPolicyKind;
  using Write = reconcilers::ManagedNetworkPolicyReconciler::Write;
  return {[&metrics](ManagedPolicyKind k, Write write) {
            if (write == Write::kRepair) metrics.remediation(Remediation::kDriftRepair, true);
            if (write == Write::kCreate) {
              metrics.remediation(k == ManagedPolicyKind::kDefaultDeny
                                      ? Remediation::kDefaultDenyCreate
                                      : Remediation::kQuarantine,
                                  true);
            }
          },
          [&metrics](ManagedPolicyKind k, const std::string& ns, bool repaired) {
            metrics.network_policy_judged(
                ns + "/" + reconcilers::ManagedNetworkPolicyReconciler::name_of(k), repaired);
          },
          [&metrics](const std::string& key) { metrics.network_policy_event(key); }};
}

// What each cache holds, for bulwark_cache_objects and bulwark_cache_bytes.
std::map<std::string, metrics::OperatorMetrics::CacheSize> cache_sizes(
    const runtime::Manager& manager) {
  std::map<std::string, metrics::OperatorMetrics::CacheSize> sizes;
  for (const auto& [name, cache] : manager.caches()) {
    sizes[name] = {cache->size(), cache->cached_bytes()};
  }
  return sizes;
}

// What the posture gauges show, from the verdicts the posture reconciler recorded.
metrics::PostureSnapshot posture_snapshot(const reconcilers::PostureBook& book,
                                          const reconcilers::PolicySet& policies,
                                          const reconcilers::OwnershipRecord& ownership,
                                          const runtime::Informer& namespaces,
                                          const runtime::Informer& network_policies,
                                          const reconcilers::InputAccess& access, bool judged) {
  metrics::PostureSnapshot s;
  s.judged = judged;
  s.conflicting_objects["NetworkPolicy"] = ownership.conflicts();
  book.for_each([&s](const std::string&, const reconcilers::WorkloadRecord& r) {
    bool good = true;
    for (const auto& o : r.outcomes) {
      good = good &&
             (o.posture == posture::Posture::kCompliant || o.posture == posture::Posture::kExempt);
      s.add_outcome(r.namespace_name, o.policy, posture::to_string(o.posture), o.enforced,
                    o.controls);
    }
    s.add_workload(r.namespace_name, good);
  });
  for (const auto& p : *policies.current()) {
    if (p.deleting) continue;
    s.policy_ready[p.policy.name] = p.valid();
    if (p.evaluator) {
      auto& controls = s.controls[p.policy.name];
      for (auto c : p.evaluator->controls()) controls.emplace_back(c);
    }
    if (!p.active()) continue;
    const auto findings =
        reconcilers::default_deny_findings(p.policy.spec, namespaces, network_policies,
                                           reconcilers::namespace_inputs_unreadable(&access));
    if (!findings.judged) continue;
    const std::pair<std::string, std::string> key{p.policy.name,
                                                  reconcilers::kNetworkDefaultDenyControl};
    s.namespace_findings_not_evaluated[key] = findings.not_evaluated ? 1 : 0;
    // Not evaluated: no count at all rather than a 0 that says no namespace lacks one.
    if (!findings.not_evaluated) {
      s.namespace_violations[key] = static_cast<int>(findings.namespaces.size());
    }
  }
  return s;
}

// What metrics count, from the client and the Manager.
void observe(runtime::Manager& manager, kube::KubeClient& client,
             metrics::OperatorMetrics& metrics) {
  client.set_observer([&metrics](std::string_view verb, int code, base::Clock::Duration took) {
    metrics.api_request(verb, code, took);
  });
  runtime::Manager::Observers o;
  o.watch_restarted = [&metrics](const std::string& name, runtime::Reflector::Restart r,
                                 const std::string& detail) {
    metrics.watch_restarted(name, restart_name(r));
    if (r == runtime::Reflector::Restart::kServerClosed && detail.empty()) return;
    logging::warn("watch " + name + " restarted (" + std::string(restart_name(r)) + "): " + detail);
  };
  o.reconciled = [&metrics](const std::string& name, base::Clock::Duration took,
                            runtime::ReconcileResult result) {
    metrics.reconciled(name, took, result);
  };
  o.started = [&metrics] { metrics.set_leader(true); };
  o.connection_refused = [&metrics](std::string_view server, server::Refusal r) {
    metrics.connection_refused(server, server::to_string(r));
  };
  manager.set_observers(std::move(o));
}

}  // namespace bulwark::cli
