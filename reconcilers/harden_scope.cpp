#include "reconcilers/harden_scope.h"

#include <algorithm>
#include <set>

#include "operator/policy/workload_kinds.h"
#include "operator/posture/fixes.h"
#include "reconcilers/policy_set.h"
#include "reconcilers/policy_status.h"

namespace bulwark::reconcilers {

namespace {

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Whether `kinds` holds every kind Bulwark judges (match.kinds' default).
bool every_kind(const std::vector<std::string>& kinds) {
  return std::all_of(std::begin(posture::kWorkloadKinds), std::end(posture::kWorkloadKinds),
                     [&](const auto& k) { return contains(kinds, k.kind); });
}

// The fixable controls the policy judges, in fix-table order.
std::vector<std::string> fixable_in_force(const std::vector<std::string_view>& in_force) {
  std::vector<std::string> out;
  for (const auto& rule : posture::fix_table()) {
    if (rule.fixable &&
        std::find(in_force.begin(), in_force.end(), rule.control) != in_force.end()) {
      out.emplace_back(rule.control);
    }
  }
  return out;
}

}  // namespace

HardenScope harden_scope(const crds::SecurityPolicySpec& spec,
                         const std::vector<std::string_view>& in_force,
                         const NamespaceLabels& namespaces,
                         const std::vector<std::string>& never_touch,
                         std::chrono::system_clock::time_point now) {
  HardenScope scope;
  if (!every_kind(spec.match.kinds)) {
    scope.reason =
        "match.kinds narrows the kinds, and the admission policy sees only a pod, not "
        "the kind of workload that owns it";
    return scope;
  }
  if (!spec.match.workload_selector.empty()) {
    scope.reason =
        "match.workloadSelector selects workloads by their labels, which the admission "
        "policy cannot see on a pod";
    return scope;
  }
  const auto controls = fixable_in_force(in_force);
  if (controls.empty()) {
    scope.reason =
        "the policy's Pod Security level judges no control that has a fix (the fixes "
        "are of restricted's controls)";
    return scope;
  }
  for (const auto& [ns, labels] : namespaces) {
    if (never_touched(never_touch, ns) || !selects_namespace(spec, ns, labels)) continue;
    std::vector<std::string> here = controls;
    for (const auto& ex : spec.exemptions) {
      if (ex.expires && *ex.expires <= now) continue;
      if (!ex.namespaces.empty() && !contains(ex.namespaces, ns)) continue;
      std::erase_if(here, [&](const std::string& c) {
        return ex.controls.empty() || contains(ex.controls, c);
      });
      if (ex.expires && (!scope.next_change || *ex.expires < *scope.next_change)) {
        scope.next_change = ex.expires;
      }
    }
    if (!here.empty()) scope.namespaces.emplace(ns, std::move(here));
  }
  if (scope.namespaces.empty()) {
    scope.reason =
        "no namespace it selects is left to harden (its selector, exclusions and "
        "exemptions leave none)";
  } else if (scope.namespaces.size() > kMaxHardenNamespaces) {
    scope.reason = "it would harden " + std::to_string(scope.namespaces.size()) +
                   " namespaces, more than the " + std::to_string(kMaxHardenNamespaces) +
                   " status.harden holds (select fewer with match.namespaceSelector)";
    scope.namespaces.clear();
  }
  return scope;
}

kube::Condition harden_condition(HardenInstall install, const HardenScope& scope) {
  using kube::ConditionStatus;
  auto make = [](ConditionStatus status, std::string_view reason, std::string message) {
    return kube::Condition{std::string(policy_conditions::kHarden),
                           status,
                           std::string(reason),
                           std::move(message),
                           0,
                           ""};
  };
  switch (install) {
    case HardenInstall::kNotServed:
      return make(ConditionStatus::kFalse, policy_reasons::kNotServed,
                  "the API server does not serve admissionregistration.k8s.io/v1 "
                  "MutatingAdmissionPolicy: no pod is hardened (the policy's other actions work "
                  "as before)");
    case HardenInstall::kNotInstalled:
      return make(ConditionStatus::kFalse, policy_reasons::kNotInstalled,
                  "the MutatingAdmissionPolicy bulwark-harden or its binding is not installed "
                  "(the chart's harden.enabled): no pod is hardened");
    case HardenInstall::kUnknown:
      return make(ConditionStatus::kUnknown, policy_reasons::kPending,
                  "whether bulwark-harden is installed could not be told yet");
    case HardenInstall::kInstalled:
      break;
  }
  if (!scope.reason.empty()) {
    return make(ConditionStatus::kFalse, policy_reasons::kNowhere,
                "no pod is hardened: " + scope.reason);
  }
  std::set<std::string> controls;
  for (const auto& [ns, list] : scope.namespaces) controls.insert(list.begin(), list.end());
  std::string names;
  for (const auto& c : controls) names += (names.empty() ? "" : ", ") + c;
  // What was checked: the two objects exist and the scope is written. Their contents are not
  // compared with the chart's, so the message claims no more; a workload's report says whether
  // its pods came out fixed (properties.pods).
  return make(ConditionStatus::kTrue, policy_reasons::kHardening,
              "bulwark-harden and its binding are installed (their contents are not checked) and "
              "status.harden names " +
                  std::to_string(scope.namespaces.size()) +
                  (scope.namespaces.size() == 1 ? " namespace" : " namespaces") +
                  " for the fixes of " + (names.empty() ? "no control" : names) +
                  "; each workload's report says whether its pods pass");
}

}  // namespace bulwark::reconcilers
