#pragma once

#include <array>
#include <string_view>

namespace bulwark {

// What Bulwark does to a cluster to carry out its policies, one home for every action: a policy
// asks for enforcement actions (crds::EnforcementAction), and the reconcilers carry them out as
// these, each counted under its name in bulwark_remediations_total's `action` label (docs/api.md,
// Metrics).
enum class Remediation {
  kAnnotate,           // the posture annotations on a workload
  kQuarantine,         // the quarantine label on pods, or the namespace's bulwark-quarantine made
  kRelease,            // the quarantine label taken off
  kScaleToZero,        // spec.replicas set to 0, the count recorded
  kRestoreReplicas,    // the recorded count given back
  kDefaultDenyCreate,  // a namespace's bulwark-default-deny made
  kDriftRepair,        // a managed NetworkPolicy someone changed put back
};

inline constexpr std::array<Remediation, 7> kRemediations = {
    Remediation::kAnnotate,    Remediation::kQuarantine,      Remediation::kRelease,
    Remediation::kScaleToZero, Remediation::kRestoreReplicas, Remediation::kDefaultDenyCreate,
    Remediation::kDriftRepair};

constexpr std::string_view to_string(Remediation action) {
  switch (action) {
    case Remediation::kAnnotate:
      return "annotate";
    case Remediation::kQuarantine:
      return "quarantine";
    case Remediation::kRelease:
      return "release";
    case Remediation::kScaleToZero:
      return "scale_to_zero";
    case Remediation::kRestoreReplicas:
      return "restore_replicas";
    case Remediation::kDefaultDenyCreate:
      return "default_deny_create";
    case Remediation::kDriftRepair:
      return "drift_repair";
  }
  return "annotate";  // unreachable: every action is a case
}

}  // namespace bulwark
