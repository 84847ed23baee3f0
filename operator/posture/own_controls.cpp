// The table of Bulwark's own controls: what turns each on, what it reads, and its check.
#include <algorithm>

#include "operator/posture/check.h"
#include "operator/posture/engine.h"

namespace bulwark::posture::detail {

namespace {

using crds::SecurityPolicySpec;
using crds::Severity;

// imageVulnerabilities: anything worse than images.maxSeverity in the workload's reports.
void judge_vulnerabilities(const OwnCheckInput& in, Findings& out) {
  const VulnerabilityCounts& v = *in.context.vulnerabilities;
  const Severity max = *in.spec.images.max_severity;
  const std::pair<Severity, int> counts[] = {{Severity::kCritical, v.critical},
                                             {Severity::kHigh, v.high},
                                             {Severity::kMedium, v.medium},
                                             {Severity::kLow, v.low}};
  std::string found;
  for (const auto& [severity, n] : counts) {
    // Severity orders worst first: anything worse than the maximum allowed violates.
    if (severity >= max || n <= 0) continue;
    found += (found.empty() ? "" : ", ") + std::to_string(n) + " " +
             std::string(crds::to_string(severity));
  }
  if (found.empty()) return;
  out.add("images have vulnerabilities above " + std::string(crds::to_string(max)) + ": " + found +
              (v.source.empty() ? "" : " (" + v.source + ")"),
          in.pod.spec_path + ".containers");
}

// A pod that leaves automountServiceAccountToken unset takes its account's setting: unknown
// while ServiceAccounts cannot be read.
std::optional<std::string> automount_unread(const OwnCheckInput& in) {
  if (in.context.account_unread.empty()) return std::nullopt;
  if (in.pod.spec.find("automountServiceAccountToken") != nullptr) return std::nullopt;
  return in.context.account_unread;
}

// spec.network.forbid lists the control.
bool network_forbids(const SecurityPolicySpec& s, std::string_view id) {
  return std::find(s.network.forbid.begin(), s.network.forbid.end(), id) != s.network.forbid.end();
}

}  // namespace

const std::vector<OwnCheck>& own_checks() {
  static const std::vector<OwnCheck> checks = {
      {"imageRegistry", Severity::kHigh, "Images",
       [](const SecurityPolicySpec& s, std::string_view) {
         return !s.images.allowed_registries.empty();
       },
       nullptr,
       [](const OwnCheckInput& in, Findings& f) {
         check_image_registry(in.pod, in.spec.images.allowed_registries, f);
       }},
      {"imageLatestTag", Severity::kMedium, "Images",
       [](const SecurityPolicySpec& s, std::string_view) { return s.images.forbid_latest_tag; },
       nullptr, [](const OwnCheckInput& in, Findings& f) { check_image_latest_tag(in.pod, f); }},
      {"imageDigest", Severity::kLow, "Images",
       [](const SecurityPolicySpec& s, std::string_view) { return s.images.require_digest; },
       nullptr, [](const OwnCheckInput& in, Findings& f) { check_image_digest(in.pod, f); }},
      {"imageVulnerabilities", Severity::kHigh, "Images",
       [](const SecurityPolicySpec& s, std::string_view) {
         return s.images.max_severity.has_value();
       },
       [](const OwnCheckInput& in) -> std::optional<std::string> {
         if (in.context.vulnerabilities != nullptr) return std::nullopt;
         return in.context.vulnerabilities_unread;
       },
       judge_vulnerabilities},
      {"imageSignature", Severity::kHigh, "Images",
       [](const SecurityPolicySpec& s, std::string_view) { return !s.images.verify.empty(); },
       image_signature_unread, check_image_signature},
      {"resourceLimits", Severity::kMedium, "Resources",
       [](const SecurityPolicySpec& s, std::string_view) { return s.resources.require_limits; },
       nullptr,
       [](const OwnCheckInput& in, Findings& f) {
         check_resources(in.pod, "limits", in.stored_pod, f);
       }},
      {"resourceRequests", Severity::kLow, "Resources",
       [](const SecurityPolicySpec& s, std::string_view) { return s.resources.require_requests; },
       nullptr,
       [](const OwnCheckInput& in, Findings& f) {
         check_resources(in.pod, "requests", in.stored_pod, f);
       }},
      {"automountServiceAccountToken", Severity::kMedium, "ServiceAccount",
       [](const SecurityPolicySpec& s, std::string_view) {
         return s.service_account.forbid_automount_token;
       },
       automount_unread,
       [](const OwnCheckInput& in, Findings& f) {
         check_automount_token(in.pod, in.context.account_automount_token, f);
       }},
      // Judged per namespace by the reconcilers (reconcilers/namespace_findings.h).
      {"networkDefaultDeny", Severity::kHigh, "Network", nullptr, nullptr, nullptr},
      {"networkIngressUnrestricted", Severity::kMedium, "Network", network_forbids, network_unread,
       [](const OwnCheckInput& in, Findings& f) { check_network_unrestricted(in, true, f); }},
      {"networkEgressUnrestricted", Severity::kLow, "Network", network_forbids, network_unread,
       [](const OwnCheckInput& in, Findings& f) { check_network_unrestricted(in, false, f); }},
      {"networkIngressAllNamespaces", Severity::kMedium, "Network", network_forbids, network_unread,
       check_network_all_namespaces},
      {"networkIngressFromWorld", Severity::kHigh, "Network", network_forbids, network_unread,
       [](const OwnCheckInput& in, Findings& f) { check_network_world(in, true, f); }},
      {"networkEgressToWorld", Severity::kMedium, "Network", network_forbids, network_unread,
       [](const OwnCheckInput& in, Findings& f) { check_network_world(in, false, f); }},
      {"networkExposedService", Severity::kHigh, "Network", network_forbids, network_unread,
       check_network_exposed_service},
  };
  return checks;
}

}  // namespace bulwark::posture::detail
