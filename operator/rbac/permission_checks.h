#pragma once

// The RBAC posture controls: what an account's permissions let a compromised workload do.

#include <string>
#include <string_view>
#include <vector>

#include "operator/policy/security_policy.h"
#include "operator/rbac/rbac.h"

namespace bulwark::rbac {

// Where the requests of a pattern are made. A request for a cluster-scoped resource carries no
// namespace, so a RoleBinding (whose rules hold only in its namespace) never grants it.
enum class RequestScope { kNamespaced, kCluster };

// The request a control asks about, in the authorizer's terms: any of `verbs` (empty: any verb at
// all) on any of `resources` ("pods/exec") in `api_group`.
struct RequestPattern {
  std::vector<std::string_view> verbs;
  std::string_view api_group;
  std::vector<std::string_view> resources;
  RequestScope scope = RequestScope::kNamespaced;
};

struct PermissionControl {
  std::string_view id;
  crds::Severity severity;
  std::string_view what;                 // "read Secrets", for messages
  std::vector<RequestPattern> requests;  // empty for controls judged otherwise
};

// Every RBAC control, in docs/api.md's order.
const std::vector<PermissionControl>& permission_controls();
bool is_permission_control(std::string_view id);

struct PermissionFinding {
  std::string_view control;  // static storage
  std::string message;
};

// The findings of each control in `forbid` for an account: one per granting rule, naming the
// chain, the request it allows, where, and any resourceNames it is limited to. At most
// `kMaxFindingsPerControl` per control (and a last one saying how many more).
inline constexpr std::size_t kMaxFindingsPerControl = 5;
std::vector<PermissionFinding> judge_permissions(const Permissions& permissions,
                                                 const std::vector<std::string>& forbid);

}  // namespace bulwark::rbac
