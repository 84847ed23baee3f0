#include "operator/posture/engine.h"

#include <algorithm>

#include "operator/posture/check.h"
#include "operator/rbac/permission_checks.h"

namespace bulwark::posture {

using crds::Severity;
using detail::Findings;
using detail::PodView;
using document::Value;

std::string_view to_string(Posture p) {
  switch (p) {
    case Posture::kCompliant:
      return "compliant";
    case Posture::kViolating:
      return "violating";
    case Posture::kExempt:
      return "exempt";
    case Posture::kNotEvaluated:
      return "not-evaluated";
  }
  return "unknown";
}

namespace {

struct OwnControl {
  std::string_view id;
  Severity severity;
};
constexpr OwnControl kOwnControls[] = {
    {"imageRegistry", Severity::kHigh},
    {"imageLatestTag", Severity::kMedium},
    {"imageDigest", Severity::kLow},
    {"imageVulnerabilities", Severity::kHigh},
    {"resourceLimits", Severity::kMedium},
    {"resourceRequests", Severity::kLow},
    {"automountServiceAccountToken", Severity::kMedium},
    {"networkDefaultDeny", Severity::kHigh},
    {"rbacClusterAdmin", Severity::kCritical},
    {"rbacWildcard", Severity::kMedium},
    {"rbacSecretsRead", Severity::kHigh},
    {"rbacPodExec", Severity::kHigh},
    {"rbacWorkloadCreate", Severity::kHigh},
    {"rbacEscalate", Severity::kCritical},
    {"rbacNodeProxy", Severity::kHigh},
    {"rbacWebhookWrite", Severity::kHigh},
    {"rbacTokenCreate", Severity::kHigh},
    {"rbacDefaultServiceAccount", Severity::kLow},
};

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

std::string service_account_of(const Workload& workload) {
  for (std::string_view key : {"serviceAccountName", "serviceAccount"}) {
    const Value* v = workload.pod_spec->find(key);
    if (v != nullptr && !v->str().empty()) return std::string(v->str());
  }
  return "default";
}

std::string_view category_of(std::string_view control) {
  for (const auto& c : detail::pss_checks()) {
    if (c.id == control) {
      return c.level == crds::PssLevel::kRestricted ? "Pod Security Standards (Restricted)"
                                                    : "Pod Security Standards (Baseline)";
    }
  }
  if (control.rfind("image", 0) == 0) return "Images";
  if (control.rfind("resource", 0) == 0) return "Resources";
  if (control.rfind("rbac", 0) == 0) return "RBAC";
  if (control == "automountServiceAccountToken") return "ServiceAccount";
  return "Network";
}

Severity severity_of(std::string_view control) {
  for (const auto& c : detail::pss_checks()) {
    if (c.id == control) return c.severity;
  }
  for (const auto& c : kOwnControls) {
    if (c.id == control) return c.severity;
  }
  return Severity::kLow;
}

PolicyEvaluator::PolicyEvaluator(crds::SecurityPolicySpec spec) : spec_(std::move(spec)) {
  const auto level = spec_.pod_security.level;
  if (level == crds::PssLevel::kPrivileged) return;
  const int minor = spec_.pod_security.version.effective_minor();
  const auto& checks = detail::pss_checks();
  // Restricted checks replace the baseline checks they override, for the release asked for.
  std::vector<std::string_view> overridden;
  for (const auto& check : checks) {
    if (check.level == crds::PssLevel::kRestricted && level == crds::PssLevel::kRestricted) {
      if (const auto* v = check.at(minor)) {
        overridden.insert(overridden.end(), v->overrides.begin(), v->overrides.end());
      }
    }
  }
  for (const auto& check : checks) {
    if (check.level == crds::PssLevel::kRestricted && level != crds::PssLevel::kRestricted) {
      continue;
    }
    if (std::find(overridden.begin(), overridden.end(), check.id) != overridden.end()) continue;
    const auto* v = check.at(minor);
    if (v == nullptr) continue;
    pss_.emplace_back(&check, static_cast<std::size_t>(v - check.versions.data()));
  }
}

std::vector<std::string_view> PolicyEvaluator::pss_controls() const {
  std::vector<std::string_view> ids;
  for (const auto& [check, version] : pss_) ids.push_back(check->id);
  return ids;
}

std::vector<std::string_view> PolicyEvaluator::controls() const {
  auto ids = pss_controls();
  const auto& images = spec_.images;
  if (!images.allowed_registries.empty()) ids.push_back("imageRegistry");
  if (images.forbid_latest_tag) ids.push_back("imageLatestTag");
  if (images.require_digest) ids.push_back("imageDigest");
  if (images.max_severity) ids.push_back("imageVulnerabilities");
  if (spec_.resources.require_limits) ids.push_back("resourceLimits");
  if (spec_.resources.require_requests) ids.push_back("resourceRequests");
  if (spec_.service_account.forbid_automount_token) ids.push_back("automountServiceAccountToken");
  for (const auto& c : rbac::permission_controls()) {
    const auto& forbid = spec_.permissions.forbid;
    if (std::find(forbid.begin(), forbid.end(), c.id) != forbid.end()) ids.push_back(c.id);
  }
  return ids;
}

bool PolicyEvaluator::selects(const Workload& workload,
                              const crds::Labels* namespace_labels) const {
  const auto& m = spec_.match;
  if (!contains(m.kinds, workload.kind)) return false;
  if (contains(m.exclude_namespaces, workload.namespace_name)) return false;
  if (namespace_labels != nullptr && !m.namespace_selector.matches(*namespace_labels)) return false;
  return m.workload_selector.matches(workload.labels);
}

namespace {

// imageVulnerabilities: anything worse than `max` in the workload's reports violates.
void judge_vulnerabilities(const VulnerabilityCounts& v, Severity max, const std::string& spec_path,
                           std::vector<Violation>& out) {
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
  out.push_back({"imageVulnerabilities", severity_of("imageVulnerabilities"),
                 "images have vulnerabilities above " + std::string(crds::to_string(max)) + ": " +
                     found + (v.source.empty() ? "" : " (" + v.source + ")"),
                 spec_path + ".containers"});
}

}  // namespace

Verdict PolicyEvaluator::evaluate(const Workload& workload,
                                  const EvaluationContext& context) const {
  Verdict verdict;
  auto& out = verdict.violations;
  const PodView pod{workload.pod_metadata, *workload.pod_spec,
                    workload.pod_path.empty() ? "metadata" : workload.pod_path + ".metadata",
                    workload.pod_path.empty() ? "spec" : workload.pod_path + ".spec"};

  for (const auto& [check, version] : pss_) {
    Findings findings(check->id, check->severity, out);
    check->versions[version].fn(pod, findings);
  }
  auto own = [&](std::string_view id) { return Findings(id, severity_of(id), out); };
  const auto& images = spec_.images;
  if (!images.allowed_registries.empty()) {
    auto f = own("imageRegistry");
    detail::check_image_registry(pod, images.allowed_registries, f);
  }
  if (images.forbid_latest_tag) {
    auto f = own("imageLatestTag");
    detail::check_image_latest_tag(pod, f);
  }
  if (images.require_digest) {
    auto f = own("imageDigest");
    detail::check_image_digest(pod, f);
  }
  const bool stored = context.pods_as_stored && workload.kind == "Pod";
  if (spec_.resources.require_limits) {
    auto f = own("resourceLimits");
    detail::check_resources(pod, "limits", stored, f);
  }
  if (spec_.resources.require_requests) {
    auto f = own("resourceRequests");
    detail::check_resources(pod, "requests", stored, f);
  }
  if (spec_.service_account.forbid_automount_token && !context.account_unread.empty() &&
      pod.spec.find("automountServiceAccountToken") == nullptr) {
    verdict.not_evaluated.push_back({"automountServiceAccountToken", context.account_unread});
  } else if (spec_.service_account.forbid_automount_token) {
    auto f = own("automountServiceAccountToken");
    detail::check_automount_token(pod, context.account_automount_token, f);
  }

  judge_inputs(pod, context, verdict);
  apply_exemptions(workload, context.now, verdict);
  verdict.posture = !out.empty()                     ? Posture::kViolating
                    : !verdict.not_evaluated.empty() ? Posture::kNotEvaluated
                    : !verdict.exempted.empty()      ? Posture::kExempt
                                                     : Posture::kCompliant;
  return verdict;
}

void PolicyEvaluator::judge_inputs(const detail::PodView& pod, const EvaluationContext& context,
                                   Verdict& verdict) const {
  auto& out = verdict.violations;
  const auto& forbid = spec_.permissions.forbid;
  if (!forbid.empty() && context.permissions == nullptr) {
    for (const auto& c : rbac::permission_controls()) {
      if (contains(forbid, c.id))
        verdict.not_evaluated.push_back({c.id, context.permissions_unread});
    }
  } else if (!forbid.empty()) {
    const std::string path = pod.spec_path + ".serviceAccountName";
    for (auto& f : rbac::judge_permissions(*context.permissions, forbid)) {
      out.push_back({f.control, severity_of(f.control), std::move(f.message), path});
    }
  }
  const auto& max = spec_.images.max_severity;
  if (max && context.vulnerabilities == nullptr) {
    verdict.not_evaluated.push_back({"imageVulnerabilities", context.vulnerabilities_unread});
  } else if (max) {
    judge_vulnerabilities(*context.vulnerabilities, *max, pod.spec_path, out);
  }
}

// Exemptions move what they excuse aside, and excuse what they cover from being evaluated;
// expired ones no longer apply.
void PolicyEvaluator::apply_exemptions(const Workload& workload,
                                       std::chrono::system_clock::time_point now,
                                       Verdict& verdict) const {
  auto& out = verdict.violations;
  for (const auto& ex : spec_.exemptions) {
    if (ex.expires && *ex.expires <= now) continue;
    if (!ex.namespaces.empty() && !contains(ex.namespaces, workload.namespace_name)) continue;
    if (!ex.workload_selector.matches(workload.labels)) continue;
    auto excused = std::stable_partition(out.begin(), out.end(), [&](const Violation& v) {
      return !ex.controls.empty() && !contains(ex.controls, v.control);
    });
    verdict.exempted_by.insert(verdict.exempted_by.end(), out.end() - excused, &ex);
    std::move(excused, out.end(), std::back_inserter(verdict.exempted));
    out.erase(excused, out.end());
    // A control not evaluated that the exemption covers is excused as a violation would be: the
    // workload is exempt, not compliant, and the report names the exemption.
    auto& unread = verdict.not_evaluated;
    auto covered = std::stable_partition(unread.begin(), unread.end(), [&](const NotEvaluated& n) {
      return !ex.controls.empty() && !contains(ex.controls, n.control);
    });
    for (auto it = covered; it != unread.end(); ++it) {
      verdict.exempted.push_back(
          {it->control, severity_of(it->control), "not evaluated: " + it->reason, ""});
      verdict.exempted_by.push_back(&ex);
    }
    unread.erase(covered, unread.end());
  }
}

}  // namespace bulwark::posture
