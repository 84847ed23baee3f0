#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "operator/posture/engine.h"
#include "operator/posture/workload.h"
#include "reconcilers/policy_set.h"
#include "reconcilers/posture_book.h"
#include "reconcilers/quarantine_hold.h"

namespace bulwark::reconcilers {

// A selecting policy and the controls the workload's own verdict under it violates.
struct Judged {
  const LoadedPolicy* policy;
  std::set<std::string> controls;
};

// What the active policies make of one top-level workload, before anything is written: the pure
// half of the posture reconciler.
struct WorkloadJudgement {
  std::optional<posture::Posture> posture;  // nullopt: no policy selects it
  std::set<std::string> controls;           // violated under any policy
  std::set<std::string> not_evaluated;  // not evaluated under some policy (posture::NotEvaluated)
  std::vector<std::string> selecting;   // names of the selecting policies, in policy order
  bool quarantine = false;              // an Enforce + Quarantine policy finds a violation
  // Quarantine was wanted but cannot hold: the pods share the node's network namespace, which
  // NetworkPolicy does not govern (docs/api.md, Quarantine). `quarantine` is then false.
  std::optional<QuarantineGap> quarantine_not_enforced;
  std::vector<std::string> scalers;  // UIDs of the Enforce + ScaleToZero ones that do
  // The first instant an exemption that applies now lapses: judge again then.
  std::optional<std::chrono::system_clock::time_point> next_expiry;
  std::vector<PolicyOutcome> outcomes;     // one per selecting policy, for the PostureBook
  std::vector<Judged> judged;              // the same, for judging the workload's pods
  std::vector<posture::Verdict> verdicts;  // the same order: each policy's whole verdict (reports)
  // Findings (control and path) counted once over the policies, and those with a safe fix.
  std::size_t findings = 0;
  std::size_t fixable = 0;
  // The workload judged (the reports' fixes); valid while the judgement is.
  const posture::Workload* workload = nullptr;
  // Its pods, judged on their own specs (a workload with a template only): how many, and the
  // controls any of them violates. A control the template violates and no pod does was changed at
  // admission (Harden, or another mutating admission) or is from an earlier template: the report
  // says so.
  std::size_t pods_judged = 0;
  std::set<std::string> pod_controls;
};

// Why a quarantine does not hold: some pod of the workload runs on a node whose network plugin
// does not enforce NetworkPolicy, or it has none and some node does not or is not proven to (the
// enforcement canary).
inline constexpr std::string_view kNodeNotEnforcing = "NodeNotEnforcing";

// Why a pod spec cannot be quarantined by NetworkPolicy, or nullopt when it can: kHostNetwork when
// it sets hostNetwork: true.
std::optional<std::string_view> quarantine_unenforceable(const document::Value* pod_spec);

// Judges `workload` (of `kind`, in namespace `ns` labelled `namespace_labels`) against every
// active policy that selects it. ScaleToZero applies to Deployments and StatefulSets only.
// `quarantine_blocked`: why no pod of the namespace can be quarantined now ("NameConflict": its
// bulwark-quarantine is not Bulwark's), if so: nothing is labelled or counted. `not_held`: why
// the label does not isolate the workload's pods now (quarantine_not_held()): they are labelled
// but not counted as quarantined, and any reason but the passing kNotHeld is told; with
// kNodeNotEnforcing a policy whose unenforcedQuarantine is ScaleToZero scales it to zero.
WorkloadJudgement judge_workload(const posture::Workload& workload, std::string_view kind,
                                 const std::string& ns, const crds::Labels& namespace_labels,
                                 const std::vector<LoadedPolicy>& policies,
                                 const posture::EvaluationContext& context,
                                 std::optional<std::string_view> quarantine_blocked = {},
                                 std::optional<QuarantineGap> not_held = {});

}  // namespace bulwark::reconcilers
