#include "operator/rbac/permission_checks.h"

#include <algorithm>

namespace bulwark::rbac {

namespace {

constexpr std::string_view kRbacGroup = "rbac.authorization.k8s.io";
constexpr std::string_view kWebhookGroup = "admissionregistration.k8s.io";

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string where(const Grant& g) {
  std::string out = g.scope.empty() ? " (cluster-wide" : " (in namespace " + g.scope;
  if (!g.rule().resource_names.empty()) {
    out += "; only resourceNames " + joined(g.rule().resource_names);
  }
  return out + ")";
}

std::string rule_label(const Grant& g) {
  return g.chain + " rules[" + std::to_string(g.rule_index) + "]: ";
}

// What of the control the grant allows ("create pods/exec"), or empty when nothing.
std::string allowed_request(const Grant& g, const PermissionControl& control) {
  const Rule& rule = g.rule();
  for (const auto& p : control.requests) {
    if (p.scope == RequestScope::kCluster && !g.scope.empty()) continue;
    if (!api_group_matches(rule, p.api_group)) continue;
    for (auto resource : p.resources) {
      if (!resource_matches(rule, resource)) continue;
      const std::string group =
          p.api_group.empty() || p.api_group == "*" ? "" : " (" + std::string(p.api_group) + ")";
      if (p.verbs.empty()) {
        if (!rule.verbs.empty()) return joined(rule.verbs) + " " + std::string(resource) + group;
        continue;
      }
      for (auto verb : p.verbs) {
        if (verb_matches(rule, verb)) {
          return std::string(verb) + " " + std::string(resource) + group;
        }
      }
    }
  }
  return {};
}

std::string wildcards_of(const Rule& rule) {
  std::vector<std::string> parts;
  if (std::find(rule.verbs.begin(), rule.verbs.end(), "*") != rule.verbs.end()) {
    parts.emplace_back("verbs");
  }
  if (std::any_of(rule.resources.begin(), rule.resources.end(),
                  [](const std::string& r) { return !r.empty() && r[0] == '*'; })) {
    parts.emplace_back("resources");
  }
  if (std::find(rule.api_groups.begin(), rule.api_groups.end(), "*") != rule.api_groups.end()) {
    parts.emplace_back("apiGroups");
  }
  return parts.empty() ? "" : "* in " + joined(parts);
}

void judge_control(const Permissions& p, const PermissionControl& control,
                   std::vector<PermissionFinding>& out) {
  std::size_t found = 0;
  auto add = [&](std::string message) {
    if (++found <= kMaxFindingsPerControl) out.push_back({control.id, std::move(message)});
  };
  if (control.id == "rbacDefaultServiceAccount") {
    if (p.account.name != "default") return;
    for (const auto& g : p.grants) {
      if (g.direct) {
        add("runs as the default ServiceAccount, which holds a binding: " + g.chain);
        break;
      }
    }
    return;
  }
  for (const auto& g : p.grants) {
    const std::string what =
        control.id == "rbacWildcard" ? wildcards_of(g.rule()) : allowed_request(g, control);
    if (!what.empty()) add(rule_label(g) + what + where(g));
  }
  if (found > kMaxFindingsPerControl) {
    out.push_back({control.id, "and " + std::to_string(found - kMaxFindingsPerControl) +
                                   " more rules that " + std::string(control.what)});
  }
}

}  // namespace

const std::vector<PermissionControl>& permission_controls() {
  constexpr auto kCluster = RequestScope::kCluster;
  constexpr auto kNamespaced = RequestScope::kNamespaced;
  static const std::vector<PermissionControl> controls = {
      {"rbacClusterAdmin", crds::Severity::kCritical, "grant everything", {{{"*"}, "*", {"*"}}}},
      {"rbacWildcard", crds::Severity::kMedium, "use a wildcard", {}},
      {"rbacSecretsRead",
       crds::Severity::kHigh,
       "read Secrets",
       {{{"get", "list", "watch"}, "", {"secrets"}}}},
      // Exec-equivalent: a command in a container (exec, attach), a port of a pod or Service
      // through the API server (portforward, proxy: the verb is the HTTP method's), and a
      // container added to a running pod, with its token and volumes (ephemeralcontainers).
      {"rbacPodExec",
       crds::Severity::kHigh,
       "run commands in pods or reach their ports",
       {{{"create"}, "", {"pods/exec", "pods/attach", "pods/portforward"}},
        {{"get", "create", "update", "patch", "delete"}, "", {"pods/proxy", "services/proxy"}},
        {{"update", "patch"}, "", {"pods/ephemeralcontainers"}}}},
      {"rbacWorkloadCreate",
       crds::Severity::kHigh,
       "create or change workloads",
       {{{"create", "update", "patch"}, "", {"pods", "replicationcontrollers"}},
        {{"create", "update", "patch"},
         "apps",
         {"deployments", "replicasets", "statefulsets", "daemonsets"}},
        {{"create", "update", "patch"}, "batch", {"jobs", "cronjobs"}}}},
      // `bind` of a ClusterRole is asked in the namespace of the RoleBinding that refers to it,
      // and without one for a ClusterRoleBinding; the rest as their resources are scoped.
      {"rbacEscalate",
       crds::Severity::kCritical,
       "escalate privileges",
       {{{"escalate", "bind"}, kRbacGroup, {"roles"}},
        {{"bind"}, kRbacGroup, {"clusterroles"}},
        {{"escalate"}, kRbacGroup, {"clusterroles"}, kCluster},
        {{"create", "update", "patch"}, kRbacGroup, {"rolebindings"}},
        {{"create", "update", "patch"}, kRbacGroup, {"clusterrolebindings"}, kCluster},
        {{"impersonate"}, "", {"serviceaccounts"}},
        {{"impersonate"}, "", {"users", "groups"}, kCluster},
        {{"impersonate"}, "authentication.k8s.io", {"uids"}, kCluster}}},
      // The kubelet still authorizes exec, attach and port-forward as nodes/proxy with
      // fine-grained kubelet authorization (1.36); nodes/pods, log, stats, metrics, healthz and
      // configz only read, and are no control's (docs/api.md).
      {"rbacNodeProxy",
       crds::Severity::kHigh,
       "reach nodes' kubelet API",
       {{{}, "", {"nodes/proxy"}, kCluster}}},
      {"rbacWebhookWrite",
       crds::Severity::kHigh,
       "change admission webhooks or policies",
       {{{"create", "update", "patch", "delete", "deletecollection"},
         kWebhookGroup,
         {"validatingwebhookconfigurations", "mutatingwebhookconfigurations",
          "validatingadmissionpolicies", "validatingadmissionpolicybindings",
          "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"},
         kCluster}}},
      {"rbacTokenCreate",
       crds::Severity::kHigh,
       "mint ServiceAccount tokens",
       {{{"create"}, "", {"serviceaccounts/token"}, kNamespaced}}},
      {"rbacDefaultServiceAccount", crds::Severity::kLow, "bind the default ServiceAccount", {}},
  };
  return controls;
}

bool is_permission_control(std::string_view id) {
  const auto& all = permission_controls();
  return std::any_of(all.begin(), all.end(),
                     [&](const PermissionControl& c) { return c.id == id; });
}

std::vector<PermissionFinding> judge_permissions(const Permissions& permissions,
                                                 const std::vector<std::string>& forbid) {
  std::vector<PermissionFinding> out;
  for (const auto& control : permission_controls()) {
    if (std::find(forbid.begin(), forbid.end(), control.id) == forbid.end()) continue;
    judge_control(permissions, control, out);
  }
  return out;
}

}  // namespace bulwark::rbac
