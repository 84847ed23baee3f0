// Benchmark of network posture (not a test): 10,000 pods in 20 namespaces, 10 NetworkPolicies and
// 10 Services a namespace in the operator's caches, one policy forbidding the six network
// controls. Prints the first pass, and the time from one NetworkPolicy's change to every workload
// it affects judged again (the index updated, the workloads whose pods it selected or selects
// found and reconciled, with an in-process API stand-in that answers at once), beside what the
// namespace-wide re-judging before the index cost, and a full pass.
//   usage: network_bench
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "bench/posture_rig.h"
#include "operator/document/reader.h"
#include "operator/logging/logging.h"
#include "operator/runtime/allocator.h"
#include "operator/runtime/informer.h"
#include "operator/runtime/projection.h"
#include "reconcilers/network_index.h"
#include "reconcilers/workload_posture.h"

namespace {

using namespace bulwark;
using Steady = std::chrono::steady_clock;
constexpr int kNamespaces = 20, kPods = 10000, kApps = 50, kPerNamespace = 10;

double ms_since(Steady::time_point t) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

std::string ns_of(int i) { return "ns-" + std::to_string(i % kNamespaces); }

// The NetworkPolicy `i` of namespace `n`: it selects app-i's pods and admits app-(i+1)'s on 8080.
std::string network_policy(int n, int i, const std::string& app, const std::string& rv = "1") {
  return R"({"metadata":{"name":"np-)" + std::to_string(i) + R"(","namespace":")" + ns_of(n) +
         R"(","resourceVersion":")" + rv + R"("},"spec":{"podSelector":{"matchLabels":{"app":")" +
         app + R"("}},"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"app-)" +
         std::to_string(i + 1) + R"("}}}],"ports":[{"port":8080}]}]}})";
}

void fill(runtime::Informer& pods, runtime::Informer& namespaces, runtime::Informer& policies,
          runtime::Informer& network_policies, runtime::Informer& services) {
  for (int n = 0; n < kNamespaces; ++n) {
    namespaces.upsert(document::parse_json(R"({"metadata":{"name":")" + ns_of(n) +
                                           R"(","resourceVersion":"1"}})"));
    for (int i = 0; i < kPerNamespace; ++i) {
      network_policies.upsert(
          document::parse_json(network_policy(n, i, "app-" + std::to_string(i))));
      services.upsert(document::parse_json(
          R"({"metadata":{"name":"svc-)" + std::to_string(i) + R"(","namespace":")" + ns_of(n) +
          R"(","resourceVersion":"1"},"spec":{"type":")" + (i == 0 ? "NodePort" : "ClusterIP") +
          R"(","selector":{"app":"app-)" + std::to_string(i) +
          R"("},"ports":[{"port":80,"targetPort":8080}]}})"));
    }
  }
  policies.upsert(document::parse_json(
      R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":"net",)"
      R"("uid":"u","resourceVersion":"1","generation":1},"spec":{"podSecurity":{"level":"privileged"},)"
      R"("images":{"forbidLatestTag":false},"network":{"forbid":["networkIngressUnrestricted",)"
      R"("networkEgressUnrestricted","networkIngressAllNamespaces","networkIngressFromWorld",)"
      R"("networkEgressToWorld","networkExposedService"]}},"status":{"observedGeneration":1}})"));
  for (int p = 0; p < kPods; ++p) {
    pods.upsert(document::parse_json(
        R"({"metadata":{"name":"pod-)" + std::to_string(p) + R"(","namespace":")" + ns_of(p) +
        R"(","uid":"p)" + std::to_string(p) + R"(","resourceVersion":"1","labels":{"app":"app-)" +
        std::to_string(p / kNamespaces % kApps) +
        R"("}},"spec":{"containers":[{"name":"app","image":"r.example.com/app:1",)"
        R"("ports":[{"name":"http","containerPort":8080}]}]}})"));
  }
}

// Reconciles `keys`; returns the milliseconds it took.
double judge(reconcilers::WorkloadPostureReconciler& posture,
             const std::vector<std::string>& keys) {
  const auto start = Steady::now();
  for (const auto& k : keys) posture.reconcile(k);
  return ms_since(start);
}

}  // namespace

int main() {
  logging::setup("warn", "text");
  runtime::limit_malloc_arenas();  // as bulwark run does
  runtime::Informer pods(runtime::project_workload), none(runtime::project_workload),
      namespaces(runtime::project_workload), policies(runtime::project_spec),
      network_policies(runtime::project_spec), services(runtime::project_spec);
  fill(pods, namespaces, policies, network_policies, services);
  reconcilers::NetworkIndex index;
  for (const auto& key : network_policies.keys()) {
    index.apply(reconcilers::SelectingKind::kNetworkPolicy, key, network_policies);
  }

  bench::PostureRig rig(policies);
  const auto workloads = bench::pods_only(pods, none);
  reconcilers::WorkloadPostureReconciler::Sources sources{reconcilers::WorkloadCaches(workloads),
                                                          namespaces, rig.policy_set, nullptr};
  sources.network_policies = &network_policies;
  sources.services = &services;
  reconcilers::WorkloadPostureReconciler posture(rig.writer, sources, rig.book, rig.events,
                                                 rig.clock, {});

  const auto keys = posture.all_keys();
  const double first_ms = judge(posture, keys);

  // np-3 of ns-5 moves from app-3's pods to app-4's: 10 pods before, 10 after.
  const std::string key = "ns-5/np-3";
  network_policies.upsert(document::parse_json(network_policy(5, 3, "app-4", "2")));
  auto start = Steady::now();
  index.apply(reconcilers::SelectingKind::kNetworkPolicy, key, network_policies);
  const auto selected =
      posture.keys_selected("ns-5", index.take(reconcilers::SelectingKind::kNetworkPolicy, key));
  const double routed_ms = ms_since(start);
  const double selected_ms = routed_ms + judge(posture, selected);
  const auto in_namespace = posture.keys_for("Namespace", "ns-5");
  const double namespace_ms = judge(posture, in_namespace);
  const double full_ms = judge(posture, keys);

  std::printf(
      "network_bench: %d pods in %d namespaces; %zu NetworkPolicies and %zu Services; one policy "
      "forbidding the six network controls\n",
      kPods, kNamespaces, network_policies.keys().size(), services.keys().size());
  std::printf("  first pass: %.0f ms (%.1f us a workload)\n", first_ms,
              first_ms * 1000 / keys.size());
  std::printf(
      "  one NetworkPolicy changed (its podSelector: 10 pods to 10 others): %zu workloads found in "
      "%.2f ms and judged again, %.1f ms in all\n",
      selected.size(), routed_ms, selected_ms);
  std::printf(
      "  ... its namespace re-judged instead (before the index): %zu workloads in %.1f ms\n",
      in_namespace.size(), namespace_ms);
  std::printf("  a full pass of every workload (a resync): %.0f ms\n", full_ms);
  return 0;
}
