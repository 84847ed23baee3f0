#pragma once

#include <string>
#include <vector>

#include "operator/rbac/rbac.h"

namespace bulwark::rbac {

// The ClusterRoles kube-apiserver bootstraps (label kubernetes.io/bootstrapping=rbac-defaults) in
// the pinned Kubernetes release, captured from the test control plane with no CRDs installed
// (e2e/cluster/bootstrap_roles.py, which e2e.bootstrap_roles runs to check they still match) and
// built into the binary. `bulwark scan` uses them where the scanned files bind a role they do not
// define: `edit`, `admin`, `view` and the `system:` roles.
struct BootstrapRoles {
  std::string kubernetes_version;  // "v1.37.2"
  std::vector<Role> roles;         // aggregated ones hold their rules and their selectors
};
const BootstrapRoles& bootstrap_cluster_roles();

}  // namespace bulwark::rbac
