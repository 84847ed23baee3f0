#include "reconcilers/workload_judgement.h"

#include <algorithm>
#include <map>

#include "operator/policy/workload_kinds.h"
#include "operator/posture/fixes.h"

namespace bulwark::reconcilers {

namespace {

// At most this many details per policy and workload: a status holds up to 100 workloads.
constexpr std::size_t kMaxDetails = 10;

// The earliest expiry, after `now`, of an exemption of `spec` that covers namespace `ns`.
std::optional<std::chrono::system_clock::time_point> next_lapse(
    const crds::SecurityPolicySpec& spec, const std::string& ns,
    std::chrono::system_clock::time_point now) {
  std::optional<std::chrono::system_clock::time_point> next;
  for (const auto& ex : spec.exemptions) {
    if (!ex.expires || *ex.expires <= now) continue;
    if (!ex.namespaces.empty() &&
        std::find(ex.namespaces.begin(), ex.namespaces.end(), ns) == ex.namespaces.end()) {
      continue;
    }
    if (!next || *ex.expires < *next) next = ex.expires;
  }
  return next;
}

}  // namespace

std::optional<std::string_view> quarantine_unenforceable(const document::Value* pod_spec) {
  // Kubernetes leaves NetworkPolicy for host-network pods undefined and plugins (kube-router
  // among them) treat their traffic as the node's, which NetworkPolicy always lets through to and
  // from the node's own pods: a quarantine label would claim an isolation that does not exist.
  const document::Value* host = pod_spec != nullptr ? pod_spec->find("hostNetwork") : nullptr;
  if (host != nullptr && host->as_bool() == true) return kHostNetwork;
  return std::nullopt;
}

namespace {

// The findings of every policy's verdict, each (control, path) once, and those a fix repairs.
void count_fixable(const posture::Workload& workload, WorkloadJudgement& j) {
  std::map<std::pair<std::string_view, std::string_view>, bool> findings;
  for (const auto& verdict : j.verdicts) {
    if (verdict.violations.empty()) continue;
    const auto plan = posture::plan_fixes(workload, verdict);
    for (std::size_t i = 0; i < verdict.violations.size(); ++i) {
      const auto& v = verdict.violations[i];
      // "and N more findings like these" counts once, as having no fix: never more than checked.
      auto& fixable = findings[{v.control, v.path.empty() ? std::string_view(v.message) : v.path}];
      fixable = fixable || plan.repaired[i];
    }
  }
  j.findings = findings.size();
  j.fixable = static_cast<std::size_t>(
      std::count_if(findings.begin(), findings.end(), [](const auto& f) { return f.second; }));
}

}  // namespace

WorkloadJudgement judge_workload(const posture::Workload& workload, std::string_view kind,
                                 const std::string& ns, const crds::Labels& namespace_labels,
                                 const std::vector<LoadedPolicy>& policies,
                                 const posture::EvaluationContext& context,
                                 std::optional<std::string_view> quarantine_blocked,
                                 std::optional<QuarantineGap> not_held) {
  WorkloadJudgement j;
  j.workload = &workload;
  bool violating = false, exempt = false, unread = false;
  const bool scalable = posture::kind_scales(kind);
  auto unenforceable = quarantine_unenforceable(workload.pod_spec);
  if (!unenforceable) unenforceable = quarantine_blocked;
  const bool node_not_enforcing = not_held && not_held->reason == kNodeNotEnforcing;
  for (const auto& p : policies) {
    if (!p.active()) continue;
    const auto& spec = p.policy.spec;
    if (!selects_namespace(spec, ns, namespace_labels)) continue;
    if (!p.evaluator->selects(workload, &namespace_labels)) continue;
    auto verdict = p.evaluator->evaluate(workload, context);
    PolicyOutcome outcome{p.policy.name, verdict.posture, {}, crds::Severity::kLow, false, {}};
    std::set<std::string_view> mine;  // each a view of crds::kControlIds
    for (const auto& v : verdict.violations) {
      mine.emplace(v.control);
      outcome.worst = std::min(outcome.worst, v.severity);
      if (v.control.rfind("rbac", 0) == 0 && outcome.details.size() < kMaxDetails) {
        outcome.details.push_back(std::string(v.control) + ": " + v.message);
      }
    }
    outcome.controls.assign(mine.begin(), mine.end());
    for (auto c : mine) j.controls.emplace(c);
    if (verdict.posture == posture::Posture::kViolating) {
      violating = true;
      bool q = enforces(spec, crds::EnforcementAction::kQuarantine);
      const bool s = scalable && enforces(spec, crds::EnforcementAction::kScaleToZero);
      if (q && unenforceable) {
        j.quarantine_not_enforced = QuarantineGap{*unenforceable, ""};
        q = false;
      }
      j.quarantine = j.quarantine || q;
      // A quarantine the node cannot hold falls back to a scale to zero where the policy asks.
      const bool fallback =
          q && scalable && node_not_enforcing &&
          spec.enforcement.unenforced_quarantine == crds::UnenforcedQuarantine::kScaleToZero;
      if (s || fallback) j.scalers.push_back(p.uid);
      outcome.enforced = (q && !not_held) || s || fallback;
      if (q && not_held && not_held->reason != kNotHeld) j.quarantine_not_enforced = not_held;
    }
    exempt = exempt || verdict.posture == posture::Posture::kExempt;
    unread = unread || verdict.posture == posture::Posture::kNotEvaluated;
    for (const auto& n : verdict.not_evaluated) j.not_evaluated.emplace(n.control);
    const auto lapse = next_lapse(spec, ns, context.now);
    if (lapse && (!j.next_expiry || *lapse < *j.next_expiry)) j.next_expiry = lapse;
    j.selecting.push_back(p.policy.name);
    j.judged.push_back({&p, {}});
    for (auto c : mine) j.judged.back().controls.emplace(c);
    j.outcomes.push_back(std::move(outcome));
    j.verdicts.push_back(std::move(verdict));
  }
  count_fixable(workload, j);
  if (!j.outcomes.empty()) {
    j.posture = violating ? posture::Posture::kViolating
                : unread  ? posture::Posture::kNotEvaluated
                : exempt  ? posture::Posture::kExempt
                          : posture::Posture::kCompliant;
  }
  return j;
}

}  // namespace bulwark::reconcilers
