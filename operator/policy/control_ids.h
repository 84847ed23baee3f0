#pragma once

#include <array>
#include <string_view>

namespace bulwark::crds {

// Every control ID of docs/api.md, Control IDs, the names users write in exemptions and read in
// reports. The Pod Security Standards ones are spelled exactly as upstream Pod Security Admission's
// check IDs.
inline constexpr std::array<std::string_view, 44> kControlIds = {
    "privileged",
    "hostNamespaces",
    "hostPorts",
    "hostPathVolumes",
    "hostProbesAndHostLifecycle",
    "capabilities_baseline",
    "capabilities_restricted",
    "allowPrivilegeEscalation",
    "runAsNonRoot",
    "runAsUser",
    "seccompProfile_baseline",
    "seccompProfile_restricted",
    "seLinuxOptions",
    "procMount",
    "procMount_restricted",
    "sysctls",
    "appArmorProfile",
    "windowsHostProcess",
    "restrictedVolumes",
    "imageRegistry",
    "imageLatestTag",
    "imageDigest",
    "imageVulnerabilities",
    "imageSignature",
    "resourceLimits",
    "resourceRequests",
    "automountServiceAccountToken",
    "networkDefaultDeny",
    "networkIngressUnrestricted",
    "networkEgressUnrestricted",
    "networkIngressAllNamespaces",
    "networkIngressFromWorld",
    "networkEgressToWorld",
    "networkExposedService",
    "rbacClusterAdmin",
    "rbacWildcard",
    "rbacSecretsRead",
    "rbacPodExec",
    "rbacWorkloadCreate",
    "rbacEscalate",
    "rbacNodeProxy",
    "rbacWebhookWrite",
    "rbacTokenCreate",
    "rbacDefaultServiceAccount",
};

constexpr bool is_known_control(std::string_view id) {
  for (auto known : kControlIds) {
    if (known == id) return true;
  }
  return false;
}

}  // namespace bulwark::crds
