// Benchmark of the posture reconciler (not a test): 2,000 Deployments with 5 pods each (10,000
// pods) and their ReplicaSets in the operator's caches, two policies; prints how long the first
// pass takes (every workload annotated: one write each, to an in-process API stand-in that
// answers at once) and a converged resync (no write), on one thread, and the caches' size.
// With --reports, a Report per workload too: the first pass writes them, they come back through
// the reports cache's projection (which hashes what each says), and the converged resync compares
// every verdict with what its report says.
//   usage: posture_bench [DEPLOYMENTS] [--reports]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "bench/instant_api.h"
#include "operator/base/clock.h"
#include "operator/document/reader.h"
#include "operator/kube/client.h"
#include "operator/kube/client_writer.h"
#include "operator/kube/http.h"
#include "operator/logging/logging.h"
#include "operator/runtime/projection.h"
#include "reconcilers/events.h"
#include "reconcilers/policy_report_keeper.h"
#include "reconcilers/posture_book.h"
#include "reconcilers/workload_posture.h"

namespace {

using namespace bulwark;
using Steady = std::chrono::steady_clock;

using bench::InstantApi;

std::string pod_spec(bool bad) {
  return std::string(
             R"({"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},)") +
         R"("containers":[{"name":"app","image":"registry.example.com/app:1.)" + (bad ? "0" : "1") +
         R"(","ports":[{"containerPort":8080}],"resources":{"limits":{"cpu":"1","memory":"1Gi"}},)"
         R"("securityContext":{"allowPrivilegeEscalation":)" +
         (bad ? "true" : "false") + R"(,"capabilities":{"drop":["ALL"]}}}]})";
}

double ms_since(Steady::time_point t) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

}  // namespace

std::string deployment_json(int d, const std::string& annotations, const std::string& rv) {
  const std::string ns = "ns-" + std::to_string(d % 20), name = "app-" + std::to_string(d);
  return R"({"metadata":{"name":")" + name + R"(","namespace":")" + ns + R"(","uid":"d)" +
         std::to_string(d) + R"(","resourceVersion":")" + rv + R"(","annotations":{)" +
         annotations + R"(}},"spec":{"replicas":5,"template":{"metadata":{"labels":{"app":")" +
         name + R"("}},"spec":)" + pod_spec(d % 4 == 0) + "}}}";
}

// `n` Deployments in 20 namespaces, each with a ReplicaSet and 5 pods; a quarter privileged.
void add_deployments(int n, runtime::Informer& deploys, runtime::Informer& replicasets,
                     runtime::Informer& pods) {
  for (int d = 0; d < n; ++d) {
    const std::string ns = "ns-" + std::to_string(d % 20), name = "app-" + std::to_string(d);
    const std::string spec = pod_spec(d % 4 == 0);
    deploys.upsert(document::parse_json(deployment_json(d, "", "1")));
    replicasets.upsert(document::parse_json(
        R"({"metadata":{"name":")" + name + R"(-rs","namespace":")" + ns + R"(","uid":"r)" +
        std::to_string(d) +
        R"(","resourceVersion":"1","ownerReferences":[{"kind":"Deployment","name":")" + name +
        R"(","uid":"d)" + std::to_string(d) +
        R"(","controller":true}]},"spec":{"template":{"spec":)" + spec + "}}}"));
    for (int p = 0; p < 5; ++p) {
      pods.upsert(document::parse_json(
          R"({"metadata":{"name":")" + name + "-" + std::to_string(p) + R"(","namespace":")" + ns +
          R"(","uid":"p)" + std::to_string(d * 5 + p) +
          R"(","resourceVersion":"1","ownerReferences":[{"kind":"ReplicaSet","name":")" + name +
          R"(-rs","uid":"r)" + std::to_string(d) + R"(","controller":true}]},"spec":)" + spec +
          "}"));
    }
  }
}

// 20 namespaces labelled env=prod, and two policies (restricted, baseline) selecting them.
void add_namespaces_and_policies(runtime::Informer& namespaces, runtime::Informer& policies) {
  for (int n = 0; n < 20; ++n) {
    namespaces.upsert(document::parse_json(R"({"metadata":{"name":"ns-)" + std::to_string(n) +
                                           R"(","resourceVersion":"1","labels":{"env":"prod"}}})"));
  }
  for (const char* p : {"restricted", "baseline"}) {
    policies.upsert(document::parse_json(
        std::string(
            R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":")") +
        p + R"(","uid":"u-)" + p +
        R"(","resourceVersion":"1","generation":1},"spec":{"podSecurity":{"level":")" + p +
        R"("},"match":{"namespaceSelector":{"matchLabels":{"env":"prod"}}}},)"
        R"("status":{"observedGeneration":1}})"));
  }
}

// Converged: the Deployments as the watch brings the first pass's writes back (annotations, a new
// resourceVersion).
void converge(runtime::Informer& deploys, int deployments) {
  for (int d = 0; d < deployments; ++d) {
    const bool bad = d % 4 == 0;
    deploys.upsert(document::parse_json(deployment_json(
        d,
        std::string(R"("bulwark.dev/posture":")") + (bad ? "violating" : "compliant") +
            R"(","bulwark.dev/policies":"baseline,restricted")" +
            (bad ? R"(,"bulwark.dev/violations":"allowPrivilegeEscalation")" : ""),
        "2")));
  }
}

// The reports written, as the watch brings them back: the projection hashes what each says.
void bring_back(const std::vector<std::string>& written, runtime::Informer& reports) {
  for (std::size_t i = 0; i < written.size(); ++i) {
    auto report = document::parse_json(written[i]);
    report.child("metadata").set("uid", document::Value::string("r-" + std::to_string(i)));
    report.child("metadata").set("resourceVersion", document::Value::string("2"));
    reports.upsert(std::move(report));
  }
}

int main(int argc, char** argv) {
  int deployments = 2000;
  bool with_reports = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--reports") with_reports = true;
    if (std::string(argv[i]) != "--reports") deployments = std::stoi(argv[i]);
  }
  logging::setup("warn", "text");
  runtime::Informer pods(runtime::project_workload), deploys(runtime::project_workload),
      statefulsets(runtime::project_workload), daemonsets(runtime::project_workload),
      replicasets(runtime::project_workload), jobs(runtime::project_workload),
      cronjobs(runtime::project_workload), replicationcontrollers(runtime::project_workload),
      namespaces(runtime::project_workload), policies(runtime::project_spec);
  add_namespaces_and_policies(namespaces, policies);
  add_deployments(deployments, deploys, replicasets, pods);

  base::RealClock clock;
  auto transport = std::make_unique<InstantApi>();
  InstantApi& api = *transport;
  if (with_reports) api.keep_path = "/reports/";
  kube::KubeClient client(std::move(transport), {1e9, 1000000}, clock);
  kube::ClientWriter writer(client);  // the operator's own path: bodies serialized, then sent
  reconcilers::PolicySet policy_set(policies);
  reconcilers::PostureBook book;
  reconcilers::NoEvents events;
  runtime::Informer reports(reconcilers::project_report);
  reconcilers::PolicyReportKeeper policy_report_keeper(writer, reports, clock);
  reconcilers::WorkloadPostureReconciler posture(
      writer,
      {reconcilers::WorkloadCaches(std::map<std::string_view, const runtime::CacheReader*>{
           {"pods", &pods},
           {"deployments", &deploys},
           {"statefulsets", &statefulsets},
           {"daemonsets", &daemonsets},
           {"replicasets", &replicasets},
           {"replicationcontrollers", &replicationcontrollers},
           {"jobs", &jobs},
           {"cronjobs", &cronjobs}}),
       namespaces, policy_set, nullptr, nullptr, with_reports ? &policy_report_keeper : nullptr},
      book, events, clock, {});

  auto start = Steady::now();
  const auto keys = posture.all_keys();
  const double keys_ms = ms_since(start);
  start = Steady::now();
  for (const auto& k : keys) posture.reconcile(k);
  const double first_ms = ms_since(start);
  const long first_writes = api.requests;
  converge(deploys, deployments);
  start = Steady::now();
  bring_back(api.kept, reports);
  const double projection_ms = ms_since(start);
  start = Steady::now();
  for (const auto& k : keys) posture.reconcile(k);
  const double resync_ms = ms_since(start);
  const long resync_writes = api.requests - first_writes;
  std::printf(
      "posture_bench: %d Deployments, %zu pods, 2 policies, %zu workload keys (%.0f ms to list "
      "them)\n",
      deployments, pods.size(), keys.size(), keys_ms);
  std::printf("  first pass: %.0f ms (%.1f us a workload), %ld writes, %zu violating\n", first_ms,
              first_ms * 1000 / keys.size(), first_writes,
              static_cast<std::size_t>(book.summarize("restricted", 100000).violating));
  if (with_reports) {
    std::printf(
        "  reports: %zu written, back through the cache's projection in %.0f ms (%.1f us "
        "each, parse included)\n",
        api.kept.size(), projection_ms,
        projection_ms * 1000 / std::max<std::size_t>(1, api.kept.size()));
  }
  std::printf("  converged resync%s: %.0f ms (%.1f us a workload), %ld writes\n",
              with_reports ? " with reports" : "", resync_ms, resync_ms * 1000 / keys.size(),
              resync_writes);
  std::printf(
      "  caches: %.1f MiB of projected JSON as kept\n",
      (pods.cached_bytes() + deploys.cached_bytes() + replicasets.cached_bytes()) / 1048576.0);
  return 0;
}
