#pragma once
// What `bulwark run` tells its metrics (docs/api.md, Metrics): the client's requests, the
// Manager's watches and reconciles, the managed NetworkPolicies' writes, the caches' sizes and the
// posture gauges.

#include <map>
#include <string>

#include "metrics/operator_metrics.h"
#include "operator/kube/client.h"
#include "operator/runtime/informer.h"
#include "operator/runtime/manager.h"
#include "reconcilers/input_access.h"
#include "reconcilers/managed_network_policy.h"
#include "reconcilers/ownership.h"
#include "reconcilers/policy_set.h"
#include "reconcilers/posture_book.h"
#include "reconcilers/workload_posture.h"

namespace bulwark::cli {

// What metrics count, from the client and the Manager.
void observe(runtime::Manager& manager, kube::KubeClient& client,
             metrics::OperatorMetrics& metrics);

// The managed NetworkPolicies' writes and drift-repair latency, into metrics.
reconcilers::NetworkPolicyHooks network_policy_hooks(metrics::OperatorMetrics& metrics);

// The posture controller's remediations, verdicts and routed events, into metrics.
reconcilers::PostureHooks posture_hooks(metrics::OperatorMetrics& metrics);

// What each cache holds, for bulwark_cache_objects and bulwark_cache_bytes.
std::map<std::string, metrics::OperatorMetrics::CacheSize> cache_sizes(
    const runtime::Manager& manager);

// What the posture gauges show, from the verdicts the posture reconciler recorded; `judged`: this
// replica has judged every workload once (else no posture series at all).
metrics::PostureSnapshot posture_snapshot(const reconcilers::PostureBook& book,
                                          const reconcilers::PolicySet& policies,
                                          const reconcilers::OwnershipRecord& ownership,
                                          const runtime::Informer& namespaces,
                                          const runtime::Informer& network_policies,
                                          const reconcilers::InputAccess& access, bool judged);

}  // namespace bulwark::cli
