// The caches `bulwark run` keeps, registered once with the Manager.
#include "app/cli/run_caches.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "operator/kube/client.h"
#include "operator/logging/logging.h"
#include "operator/policy/workload_kinds.h"
#include "operator/runtime/projection.h"
#include "reconcilers/policy_report_keeper.h"

namespace bulwark::cli {

namespace {

// Whether the cluster serves an optional resource, checked once at start; `served` and
// `not_served` say what follows from it in the log.
bool discover(kube::KubeClient& client, const kube::ResourceType& type, const std::string& what,
              const std::string& served_means, const std::string& not_served_means) {
  bool served = false;
  try {
    served = client.serves(type);
  } catch (const std::exception& e) {
    logging::warn("could not discover " + what + ": " + e.what());
  }
  logging::info(what +
                (served ? " are served: " + served_means : " are not served: " + not_served_means));
  return served;
}

// Trivy Operator's VulnerabilityReports are read when the cluster serves them. Installing Trivy
// Operator later takes a restart of Bulwark (docs/user-guide.md, images.maxSeverity).
bool discover_reports(kube::KubeClient& client) {
  return discover(client, kube::resources::kVulnerabilityReports, "VulnerabilityReports",
                  "images.maxSeverity is judged",
                  "images.maxSeverity is not judged (the policies' status says so)");
}

// How often discovery is asked for a report CRD that was not served at the start: every 30
// seconds, or every resync period when that is shorter.
base::Clock::Duration report_crd_poll(const config::OperatorConfig& cfg) {
  return std::min<base::Clock::Duration>(std::chrono::seconds(30), cfg.resync_period);
}

// The policy reports of reports.format: their cache, which the controllers wait for when the CRD
// is served at the start, and otherwise one the Manager starts once it is (no restart needed).
void watch_policy_reports(runtime::Manager& manager, kube::KubeClient& client,
                          const config::OperatorConfig& cfg, reconcilers::Caches& caches) {
  if (cfg.reports.format == "off") {
    logging::info("reports.format is off: no policy reports are written");
    return;
  }
  const bool wg = cfg.reports.format == "wgpolicy";
  const kube::ResourceType& type = wg ? kube::resources::kPolicyReports : kube::resources::kReports;
  const std::string crd = wg ? "policyreports.wgpolicyk8s.io" : "reports.openreports.io";
  if (discover(
          client, type, wg ? "wgpolicyk8s.io PolicyReports" : "OpenReports Reports",
          std::string("one ") + (wg ? "PolicyReport" : "Report") + " per judged workload",
          "none are written until " + crd + " is installed (checked every " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::seconds>(report_crd_poll(cfg)).count()) +
              " s; no restart needed)")) {
    caches.policy_reports = &manager.add_cache("reports", type, reconcilers::project_report);
  } else {
    caches.policy_reports = &manager.add_optional_cache(
        "reports", type, reconcilers::project_report, report_crd_poll(cfg));
    caches.policy_reports_optional = true;
  }
}

}  // namespace

reconcilers::Caches register_caches(runtime::Manager& manager, kube::KubeClient& client,
                                    const config::OperatorConfig& cfg) {
  namespace r = kube::resources;
  auto add = [&manager](const kube::ResourceType& type, runtime::Projection projection) {
    return &manager.add_cache(type.resource, type, projection);
  };
  reconcilers::Caches caches{*add(r::kSecurityPolicies, runtime::project_spec),
                             *add(r::kNamespaces, runtime::project_workload),
                             *add(r::kNetworkPolicies, runtime::project_spec),
                             *add(r::kServices, runtime::project_spec),
                             *add(r::kRoles, runtime::project_rbac),
                             *add(r::kClusterRoles, runtime::project_rbac),
                             *add(r::kRoleBindings, runtime::project_rbac),
                             *add(r::kClusterRoleBindings, runtime::project_rbac),
                             *add(r::kServiceAccounts, runtime::project_service_account),
                             {}};
  for (std::size_t i = 0; i < posture::kWorkloadKinds.size(); ++i) {
    const auto& k = posture::kWorkloadKinds[i];
    caches.workload_rows[i] =
        add({std::string(k.group), std::string(k.version), std::string(k.resource), true},
            runtime::project_workload);
  }
  if (discover_reports(client)) {
    caches.vulnerability_reports =
        add(r::kVulnerabilityReports, runtime::project_vulnerability_report);
  }
  watch_policy_reports(manager, client, cfg, caches);
  return caches;
}

std::vector<reconcilers::InputAccess::Input> control_inputs(const reconcilers::Caches& caches) {
  using reconcilers::ControlInput;
  std::vector<reconcilers::InputAccess::Input> inputs = {
      {ControlInput::kRoles, &caches.roles},
      {ControlInput::kClusterRoles, &caches.cluster_roles},
      {ControlInput::kRoleBindings, &caches.role_bindings},
      {ControlInput::kClusterRoleBindings, &caches.cluster_role_bindings},
      {ControlInput::kServiceAccounts, &caches.service_accounts},
      {ControlInput::kNetworkPolicies, &caches.network_policies},
      {ControlInput::kServices, &caches.services},
      {ControlInput::kNamespaces, &caches.namespaces}};
  if (caches.vulnerability_reports != nullptr) {
    inputs.push_back({ControlInput::kVulnerabilityReports, caches.vulnerability_reports});
  }
  return inputs;
}

}  // namespace bulwark::cli
