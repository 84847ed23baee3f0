#pragma once

#include <array>
#include <cstdlib>
#include <string_view>

#include "operator/kube/resource_type.h"
#include "operator/runtime/informer.h"
#include "reconcilers/workload_owners.h"

namespace bulwark::reconcilers {

// The caches the controllers read, each the handle runtime::Manager::add_cache returned when the
// entry point registered it (app/cli/run.cpp). A controller's setup is handed these and reads no
// cache by name, so a cache that was never registered does not compile rather than abort at the
// start.
struct Caches {
  runtime::Informer& policies;
  runtime::Informer& namespaces;
  runtime::Informer& network_policies;
  runtime::Informer& services;  // the network controls' (spec.network.forbid)
  runtime::Informer& roles;
  runtime::Informer& cluster_roles;
  runtime::Informer& role_bindings;
  runtime::Informer& cluster_role_bindings;
  runtime::Informer& service_accounts;
  // One per kWorkloadKinds row, in its order.
  std::array<runtime::Informer*, kWorkloadKinds.size()> workload_rows;
  runtime::Informer* vulnerability_reports = nullptr;  // null: the cluster does not serve them
  // The policy reports of reports.format; null when it is "off". `policy_reports_optional`: the
  // CRD was not served at the start (runtime::Manager::add_optional_cache).
  runtime::Informer* policy_reports = nullptr;
  bool policy_reports_optional = false;

  // The caches RbacIndex keeps its index from, each with its resource (RbacIndex::apply).
  struct RbacCache {
    std::string_view resource;
    runtime::Informer& cache;
  };
  std::array<RbacCache, 5> rbac() const {
    namespace r = kube::resources;
    return {{{r::kRoles.resource, roles},
             {r::kClusterRoles.resource, cluster_roles},
             {r::kRoleBindings.resource, role_bindings},
             {r::kClusterRoleBindings.resource, cluster_role_bindings},
             {r::kServiceAccounts.resource, service_accounts}}};
  }
  // The workload caches as the reconcilers read them.
  WorkloadCaches workloads() const {
    return WorkloadCaches([this](std::string_view resource) -> const runtime::CacheReader& {
      for (std::size_t i = 0; i < kWorkloadKinds.size(); ++i) {
        if (kWorkloadKinds[i].resource == resource) return *workload_rows[i];
      }
      std::abort();  // WorkloadCaches asks only for the rows' resources
    });
  }
};

}  // namespace bulwark::reconcilers
