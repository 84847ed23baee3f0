#pragma once

#include <vector>

#include "config/operator_config.h"
#include "operator/runtime/manager.h"
#include "reconcilers/caches.h"
#include "reconcilers/input_access.h"

namespace bulwark::kube {
class KubeClient;
}

namespace bulwark::cli {

// Caches of everything the reconcilers read, one per resource: the policies, namespaces,
// NetworkPolicies, RBAC objects, one per row of the workload kinds table, and the reports the
// cluster serves (asked of discovery once; the policy reports' CRD is watched for when missing).
// Every replica keeps them warm, so a new leader starts with synced caches. Before manager.run().
reconcilers::Caches register_caches(runtime::Manager& manager, kube::KubeClient& client,
                                    const config::OperatorConfig& cfg);

// The caches controls read beyond the workloads themselves (docs/api.md, Not evaluated), and the
// cache of each.
std::vector<reconcilers::InputAccess::Input> control_inputs(const reconcilers::Caches& caches);

}  // namespace bulwark::cli
