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
  for (const auto& c : detail::own_checks()) {
    if (c.id == control) return c.category;
  }
  if (rbac::is_permission_control(control)) return "RBAC";
  return "Other";  // not a control ID
}

Severity severity_of(std::string_view control) {
  for (const auto& c : detail::pss_checks()) {
    if (c.id == control) return c.severity;
  }
  for (const auto& c : detail::own_checks()) {
    if (c.id == control) return c.severity;
  }
  for (const auto& c : rbac::permission_controls()) {
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
  for (const auto& c : detail::own_checks()) {
    if (c.enabled != nullptr && c.enabled(spec_, c.id)) ids.push_back(c.id);
  }
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
  const detail::OwnCheckInput input{pod,
                                    spec_,
                                    context,
                                    context.pods_as_stored && workload.kind == "Pod",
                                    workload.namespace_name,
                                    workload.kind};
  for (const auto& c : detail::own_checks()) {
    if (c.enabled == nullptr || !c.enabled(spec_, c.id)) continue;
    if (auto unread = c.unread != nullptr ? c.unread(input) : std::nullopt) {
      verdict.not_evaluated.push_back({c.id, std::move(*unread)});
      continue;
    }
    Findings findings(c.id, c.severity, out);
    c.judge(input, findings);
  }
  judge_permissions(pod, context, verdict);
  apply_exemptions(workload, context.now, verdict);
  verdict.posture = !out.empty()                     ? Posture::kViolating
                    : !verdict.not_evaluated.empty() ? Posture::kNotEvaluated
                    : !verdict.exempted.empty()      ? Posture::kExempt
                                                     : Posture::kCompliant;
  return verdict;
}

void PolicyEvaluator::judge_permissions(const detail::PodView& pod,
                                        const EvaluationContext& context, Verdict& verdict) const {
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
