// Benchmark of RBAC posture (not a test): 10,000 pods over 500 ServiceAccounts in 20 namespaces,
// 2,000 Roles, ClusterRoles and bindings in the operator's caches, one policy judging every RBAC
// control. Prints the memory of the RBAC caches and of the index (heap in use, measured around
// them), the first pass, and the time from one ClusterRoleBinding's change to every workload it
// affects judged again (index update, the affected accounts' workloads found and reconciled, with
// an in-process API stand-in that answers at once), beside a full pass (what a resync costs, and
// what re-judging without the index would).
//   usage: rbac_bench
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "bench/posture_rig.h"
#include "operator/base/clock.h"
#include "operator/document/reader.h"
#include "operator/kube/client.h"
#include "operator/kube/client_writer.h"
#include "operator/kube/http.h"
#include "operator/logging/logging.h"
#include "operator/runtime/allocator.h"
#include "operator/runtime/informer.h"
#include "operator/runtime/projection.h"
#include "reconcilers/events.h"
#include "reconcilers/posture_book.h"
#include "reconcilers/rbac_index.h"
#include "reconcilers/workload_posture.h"

namespace {

using namespace bulwark;
using Steady = std::chrono::steady_clock;
constexpr int kAccounts = 500, kNamespaces = 20, kPods = 10000;

double ms_since(Steady::time_point t) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}
double heap_mib() { return mallinfo2().uordblks / 1048576.0; }

std::string ns_of(int account) { return "ns-" + std::to_string(account % kNamespaces); }
std::string account_name(int account) { return "sa-" + std::to_string(account); }

const char* const kRules[] = {
    R"({"apiGroups":[""],"resources":["configmaps"],"verbs":["get","list","watch"]})",
    R"({"apiGroups":["apps"],"resources":["deployments"],"verbs":["get","list"]})",
    R"({"apiGroups":[""],"resources":["secrets"],"verbs":["get"],"resourceNames":["tls"]})",
    R"({"apiGroups":[""],"resources":["pods/exec"],"verbs":["create"]})",
    R"({"apiGroups":["batch"],"resources":["jobs"],"verbs":["create","delete"]})",
};

std::string role_json(bool cluster, int i) {
  std::string rules;
  for (int r = 0; r < 3; ++r) rules += (r ? "," : "") + std::string(kRules[(i + r) % 5]);
  return std::string(R"({"metadata":{"name":"role-)") + std::to_string(i) + "\"" +
         (cluster ? "" : R"(,"namespace":")" + ns_of(i) + "\"") + R"(,"resourceVersion":"1"},)" +
         R"("rules":[)" + rules + "]}";
}

std::string binding_json(bool cluster, int i, const std::string& subjects,
                         const std::string& rv = "1") {
  const std::string ref =
      cluster || i % 2 == 0
          ? R"({"kind":"ClusterRole","name":"role-)" + std::to_string(i % 400) + "\"}"
          : R"({"kind":"Role","name":"role-)" + std::to_string(i % 600) + "\"}";
  return std::string(R"({"metadata":{"name":"bind-)") + std::to_string(i) + "\"" +
         (cluster ? "" : R"(,"namespace":")" + ns_of(i) + "\"") + R"(,"resourceVersion":")" + rv +
         R"("},"roleRef":)" + ref + R"(,"subjects":[)" + subjects + "]}";
}

std::string account_subject(int a) {
  return R"({"kind":"ServiceAccount","name":")" + account_name(a) + R"(","namespace":")" +
         ns_of(a) + "\"}";
}

struct RbacCaches {
  runtime::Informer roles{runtime::project_rbac}, cluster_roles{runtime::project_rbac},
      bindings{runtime::project_rbac}, cluster_bindings{runtime::project_rbac},
      accounts{runtime::project_service_account};
  const runtime::CacheReader& of(std::string_view cache) const {
    return cache == "roles"                 ? roles
           : cache == "clusterroles"        ? cluster_roles
           : cache == "rolebindings"        ? bindings
           : cache == "clusterrolebindings" ? cluster_bindings
                                            : accounts;
  }
  std::size_t bytes() const {
    return roles.cached_bytes() + cluster_roles.cached_bytes() + bindings.cached_bytes() +
           cluster_bindings.cached_bytes() + accounts.cached_bytes();
  }
};

// 400 ClusterRoles, 600 Roles (3 rules each), 700 RoleBindings and 300 ClusterRoleBindings
// (each naming two accounts): 2,000 objects; and the 500 ServiceAccounts, a third of them with
// automountServiceAccountToken=false.
void fill_rbac(RbacCaches& c) {
  for (int a = 0; a < kAccounts; ++a) {
    c.accounts.upsert(document::parse_json(
        R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":")" + account_name(a) +
        R"(","namespace":")" + ns_of(a) + R"(","resourceVersion":"1"},"secrets":[{"name":"t"}])" +
        (a % 3 == 0 ? R"(,"automountServiceAccountToken":false})" : "}")));
  }
  for (int i = 0; i < 400; ++i) c.cluster_roles.upsert(document::parse_json(role_json(true, i)));
  for (int i = 0; i < 600; ++i) c.roles.upsert(document::parse_json(role_json(false, i)));
  for (int i = 0; i < 700; ++i) {
    // Accounts of the binding's own namespace (i % 20), as RoleBindings mostly are.
    const int a = i % kAccounts, b = (i + 40) % kAccounts;
    c.bindings.upsert(document::parse_json(
        binding_json(false, i, account_subject(a) + "," + account_subject(b))));
  }
  for (int i = 0; i < 300; ++i) {
    c.cluster_bindings.upsert(document::parse_json(binding_json(
        true, i,
        account_subject((i * 7) % kAccounts) + "," + account_subject((i * 13) % kAccounts))));
  }
}

void fill_pods(runtime::Informer& pods, runtime::Informer& namespaces,
               runtime::Informer& policies) {
  for (int n = 0; n < kNamespaces; ++n) {
    namespaces.upsert(document::parse_json(R"({"metadata":{"name":"ns-)" + std::to_string(n) +
                                           R"(","resourceVersion":"1"}})"));
  }
  policies.upsert(document::parse_json(
      R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":"rbac",)"
      R"("uid":"u","resourceVersion":"1","generation":1},"spec":{"podSecurity":{"level":"privileged"},)"
      R"("images":{"forbidLatestTag":false},"permissions":{"forbid":["rbacClusterAdmin","rbacWildcard",)"
      R"("rbacSecretsRead","rbacPodExec","rbacWorkloadCreate","rbacEscalate","rbacNodeProxy",)"
      R"("rbacWebhookWrite","rbacTokenCreate","rbacDefaultServiceAccount"]}},)"
      R"("status":{"observedGeneration":1}})"));
  for (int p = 0; p < kPods; ++p) {
    const int a = p % kAccounts;
    pods.upsert(document::parse_json(
        R"({"metadata":{"name":"pod-)" + std::to_string(p) + R"(","namespace":")" + ns_of(a) +
        R"(","uid":"p)" + std::to_string(p) +
        R"(","resourceVersion":"1"},"spec":{"serviceAccountName":")" + account_name(a) +
        R"(","containers":[{"name":"app","image":"r.example.com/app:1"}]}})"));
  }
}

// Applies one changed ClusterRoleBinding as the operator does, and re-judges what it affects.
std::pair<double, std::size_t> change(RbacCaches& c, reconcilers::RbacIndex& index,
                                      reconcilers::WorkloadPostureReconciler& posture,
                                      const std::string& binding) {
  c.cluster_bindings.upsert(document::parse_json(binding));
  const auto start = Steady::now();
  const auto affected = index.apply("clusterrolebindings", "bind-0", c.cluster_bindings);
  std::set<std::string> keys;
  for (const auto& a : affected.accounts) {
    for (auto& k : posture.keys_running_as(a.namespace_name + "/" + a.name)) keys.insert(k);
  }
  for (const auto& ns : affected.namespaces) {
    for (auto& k : posture.keys_for("Namespace", ns)) keys.insert(k);
  }
  for (const auto& k : keys) posture.reconcile(k);
  return {ms_since(start), keys.size()};
}

}  // namespace

int main() {
  logging::setup("warn", "text");
  runtime::limit_malloc_arenas();  // as bulwark run does
  runtime::Informer pods(runtime::project_workload), none(runtime::project_workload),
      namespaces(runtime::project_workload), policies(runtime::project_spec);
  fill_pods(pods, namespaces, policies);

  const double before_caches = heap_mib();
  RbacCaches rbac;
  fill_rbac(rbac);
  const double caches_mib = heap_mib() - before_caches;
  const double before_index = heap_mib();
  reconcilers::RbacIndex index;
  auto start = Steady::now();
  for (auto name : reconcilers::kRbacCaches) {
    for (const auto& key : rbac.of(name).keys()) index.apply(name, key, rbac.of(name));
  }
  const double graph_mib = heap_mib() - before_index;
  for (int a = 0; a < kAccounts; ++a) index.permissions_of({ns_of(a), account_name(a)});
  const double index_build_ms = ms_since(start);
  const double index_mib = heap_mib() - before_index;  // the graph and every account's permissions

  bench::PostureRig rig(policies);
  const auto workloads = bench::pods_only(pods, none);
  reconcilers::WorkloadPostureReconciler posture(
      rig.writer,
      {reconcilers::WorkloadCaches(workloads), namespaces, rig.policy_set, nullptr, &index},
      rig.book, rig.events, rig.clock, {});

  const auto keys = posture.all_keys();
  start = Steady::now();
  for (const auto& k : keys) posture.reconcile(k);
  const double first_ms = ms_since(start);
  const long first_writes = rig.api->requests;

  const auto one =
      change(rbac, index, posture,
             binding_json(true, 0, account_subject(7) + "," + account_subject(123), "2"));
  const auto group = change(
      rbac, index, posture,
      binding_json(true, 0, R"({"kind":"Group","name":"system:serviceaccounts:ns-3"})", "3"));
  start = Steady::now();
  for (const auto& k : keys) posture.reconcile(k);
  const double full_ms = ms_since(start);

  const auto size = index.size();
  std::printf(
      "rbac_bench: %d pods over %d ServiceAccounts in %d namespaces; %zu roles and %zu "
      "bindings; one policy judging the 10 RBAC controls\n",
      kPods, kAccounts, kNamespaces, size.roles, size.bindings);
  std::printf("  RBAC caches: %.1f MiB of heap (%.1f MiB of projected JSON as kept)\n", caches_mib,
              rbac.bytes() / 1048576.0);
  std::printf(
      "  index: %.1f MiB of heap (%.1f MiB the roles and bindings, the rest %zu accounts' "
      "permissions); built in %.0f ms\n",
      index_mib, graph_mib, size.accounts, index_build_ms);
  std::printf("  first pass: %.0f ms (%.1f us a workload), %ld writes\n", first_ms,
              first_ms * 1000 / keys.size(), first_writes);
  std::printf(
      "  one ClusterRoleBinding changed (two accounts): %zu workloads judged again in %.1f ms\n",
      one.second, one.first);
  std::printf("  ... bound to system:serviceaccounts:ns-3 instead: %zu workloads in %.1f ms\n",
              group.second, group.first);
  std::printf("  a full pass of every workload (a resync; re-judging without the index): %.0f ms\n",
              full_ms);
  return 0;
}
