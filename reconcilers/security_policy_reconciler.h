#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/base/clock.h"
#include "operator/kube/conditions.h"
#include "operator/kube/object_writer.h"
#include "operator/policy/written_names.h"
#include "operator/runtime/cache_reader.h"
#include "operator/runtime/controller.h"
#include "operator/runtime/manager.h"
#include "reconcilers/annotations.h"
#include "reconcilers/enforcement_book.h"
#include "reconcilers/events.h"
#include "reconcilers/harden_scope.h"
#include "reconcilers/namespace_findings.h"
#include "reconcilers/ownership.h"
#include "reconcilers/policy_set.h"
#include "reconcilers/policy_status.h"
#include "reconcilers/posture_book.h"
#include "reconcilers/workload_owners.h"

namespace bulwark::kube {
class ClientWriter;
}

namespace bulwark::reconcilers {

struct Caches;

class InputAccess;

inline constexpr std::size_t kMaxStatusViolations = 100;

// Keeps each SecurityPolicy's own object right (docs/api.md, SecurityPolicy):
// - the cleanup finalizer: added to a live policy; on deletion, removed once no workload still
//   carries the policy's annotations, i.e. once the posture reconciler has released everything;
// - status: Ready (True/Reconciled; True/ExpiredExemption naming lapsed exemptions, with a Warning
//   Event ExemptionLapsed for each and a reconcile at the next lapse; or False/InvalidSpec naming
//   every field at fault), Compliant
//   (from the PostureBook), VulnerabilityReports when images.maxSeverity is set, the summary, at
//   most 100 violations (namespace findings first, as `kind: Namespace`, then workloads worst
//   first), lastEvaluated and observedGeneration. lastTransitionTime
//   moves only when a condition flips; nothing is written when the status is already right, and
//   lastEvaluated is only refreshed with a real change, so a converged cluster costs no write.
// Status writes carry the resourceVersion read, so a concurrent change makes it retry. Keys are
// policy names.
class SecurityPolicyReconciler : public runtime::Reconciler {
 public:
  struct Sources {
    const runtime::CacheReader& policies;
    const runtime::CacheReader& namespaces;
    WorkloadCaches workloads;
    const runtime::CacheReader& network_policies;  // for namespace findings
    // Whether Bulwark may still read NetworkPolicies; null: it may.
    const InputAccess* access = nullptr;
  };
  // `book_complete` says whether the PostureBook holds a verdict for every workload (after a
  // start, once the posture reconciler has been through them all); until then status is not
  // written, so a restart does not publish a partial summary and then the right one.
  SecurityPolicyReconciler(kube::ObjectWriter& writer, kube::StatusWriter& status_writer,
                           Sources sources, const PostureBook& book, const base::Clock& clock,
                           bool vulnerability_reports_served, std::function<bool()> book_complete,
                           std::vector<std::string> never_touch = {});
  runtime::Result reconcile(const std::string& name) override;
  // Whether policy reports are served (and so written), asked at each reconcile: every valid
  // policy's condition `Reports` says which. Unset: no such condition (reports.format off).
  void set_policy_reports_served(std::function<bool()> served) {
    policy_reports_served_ = std::move(served);
  }
  // The workloads whose report name someone else's report holds (PolicyReportKeeper::conflicts):
  // the condition Reports is False (NameTaken) for a policy that judges any of them.
  void set_report_conflicts(std::function<std::vector<std::string>()> conflicts) {
    report_conflicts_ = std::move(conflicts);
  }

  // Records Events (ExemptionLapsed) when set.
  void set_events(EventRecorder* events) { events_ = events; }
  // Whether a posture pass has been under way for at least the duration (PosturePass).
  void set_pass_clock(std::function<bool(base::Clock::Duration)> in_pass_for) {
    in_pass_for_ = std::move(in_pass_for);
  }
  // The ownership record: the status records the managed NetworkPolicies' UIDs it holds, and
  // NetworkPoliciesHeld says where a name is taken. Unset: neither.
  void set_ownership(const OwnershipRecord* ownership) { ownership_ = ownership; }
  // The enforcement canary's verdicts: the condition NetworkEnforced of every valid policy with
  // Quarantine or network.defaultDeny. Null: no such condition.
  void set_enforcement(const EnforcementBook* enforcement) { enforcement_ = enforcement; }
  // Whether the API server applies Harden (the condition Harden); unset: Unknown.
  void set_harden_install(std::function<HardenInstall()> install) {
    harden_install_ = std::move(install);
  }

  static kube::Condition ready_condition(const std::vector<crds::FieldError>& errors);
  // Ready for a parsed policy at `now`: False/InvalidSpec with errors; True/ExpiredExemption naming
  // every lapsed exemption; else True/Reconciled.
  static kube::Condition readiness(const crds::PolicyParseResult& parsed,
                                   std::chrono::system_clock::time_point now);
  // Compliant: Unknown/NotEvaluated, when nothing violates, with workloads not evaluated or with
  // `selection_unknown` (which namespaces the policy selects is not known).
  static kube::Condition compliant_condition(
      bool valid, const PolicySummary& summary,
      const std::optional<std::string>& selection_unknown = std::nullopt);
  // What the status's conditions report beyond the book, as wanted_status found it.
  struct Observed {
    // Whether Bulwark holds the managed NetworkPolicies a policy wants: the selected namespaces
    // where a name is taken (ownership.h), how many wanted objects are not there yet, and why
    // NetworkPolicies or Namespaces cannot be read, if so.
    std::vector<std::string> taken;
    std::size_t pending = 0;
    std::optional<std::string> unreadable;
    NamespaceFindings findings;  // Audit with defaultDeny
    // Why the namespaces a policy with a namespaceSelector selects are not known (Bulwark may no
    // longer read Namespaces), if so.
    std::optional<std::string> selection_unknown;
    // Where Harden applies, for a valid policy that enforces it.
    std::optional<HardenScope> harden;
  };
  // NetworkPoliciesHeld: True; False/NameTaken naming the namespaces (at most 20); False/Pending
  // while wanted objects are being created; Unknown/NotEvaluated while NetworkPolicies or
  // Namespaces cannot be read (what the caches hold may be stale).
  static kube::Condition held_condition(const Observed& observed);
  // NamespacesIsolated, for a policy with namespace findings: True/Isolated; False/NotIsolated
  // counting them (status.violations names them); Unknown/NotEvaluated with the reason.
  static kube::Condition isolated_condition(const NamespaceFindings& findings);

 private:
  bool still_marked(const std::string& policy) const;
  // Keeps the cleanup finalizer: added to a live policy, removed once a deleted one has released
  // everything. A result when that was all this reconcile had to do.
  std::optional<runtime::Result> keep_finalizer(const std::string& name,
                                                const document::Value& object);
  // A Warning Event ExemptionLapsed for each lapsed exemption of `spec` (object: the policy) that
  // the Ready message `named_before` did not name.
  void record_lapses(const document::Value& object, const crds::SecurityPolicySpec& spec,
                     const std::string& named_before);
  std::vector<kube::Condition> wanted_conditions(const std::string& name,
                                                 const kube::Condition& ready,
                                                 const crds::SecurityPolicySpec& spec,
                                                 const PolicySummary& summary,
                                                 const Observed& observed) const;
  // The status this policy should have: the summary from the book, namespace findings first.
  // `observed`: what the conditions report beyond the book.
  PolicyStatus wanted_status(const std::string& name, const std::string& policy_uid,
                             const crds::PolicyParseResult& parsed, const kube::Condition& ready,
                             Observed& observed) const;

  kube::ObjectWriter& writer_;
  kube::StatusWriter& status_writer_;
  Sources sources_;
  const PostureBook& book_;
  const base::Clock& clock_;
  bool reports_served_;
  std::function<bool()> policy_reports_served_;
  std::function<std::vector<std::string>()> report_conflicts_;
  // Reports=False/NameTaken naming the policy's workloads whose report is someone else's, if any.
  std::optional<kube::Condition> reports_taken(const std::string& policy) const;
  std::function<bool()> book_complete_;
  std::vector<std::string> never_touch_;  // namespaces whose workloads posture never releases
  EventRecorder* events_ = nullptr;
  const OwnershipRecord* ownership_ = nullptr;
  const EnforcementBook* enforcement_ = nullptr;
  std::function<HardenInstall()> harden_install_;
  // While a posture pass has gone on for kPassInterval or more (every workload judged again, at
  // scale), a policy's status is written at most once each kPassInterval, and the summary is not
  // even computed in between; otherwise at once. Why: at 50,000 workloads the counts moved
  // between every two writes, and the status controller wrote 2,986 statuses in one pass (each
  // write's watch event requeued it), each summarising the book of 50,000: 250 CPU seconds. The
  // controller has one worker: no lock.
  static constexpr auto kPassInterval = std::chrono::seconds(5);
  std::function<bool(base::Clock::Duration)> in_pass_for_;
  std::map<std::string, base::Clock::TimePoint> written_at_;  // policy -> last status write
  // How long to wait before the next status of `name`, if a long pass paces it.
  std::optional<base::Clock::Duration> paced(const std::string& name) const;
};

// What the "securitypolicy" controller needs. It reads the caches of SecurityPolicies,
// namespaces and NetworkPolicies, and the workload caches.
struct PolicyStatusSetup {
  const Caches& caches;
  kube::ClientWriter& writer;  // objects and their status
  PostureBook& book;
  const base::Clock& clock;
  // Whether the policy reports' CRD is served; empty when reports.format is "off".
  std::function<bool()> policy_reports_served;
  std::function<bool()> book_complete;
  std::vector<std::string> never_touch;
  EventRecorder& events;
  const OwnershipRecord& ownership;
  std::function<std::vector<std::string>()> report_conflicts;
  const InputAccess* access = nullptr;
  EnforcementBook* enforcement = nullptr;         // the condition NetworkEnforced; null: none
  std::function<HardenInstall()> harden_install;  // the condition Harden
  // Whether a posture pass has been under way for at least the duration; empty: never.
  std::function<bool(base::Clock::Duration)> posture_in_pass_for;
};
// Registers the "securitypolicy" controller and the events it follows, keyed by policy name: a
// policy's own changes; any namespace or NetworkPolicy change (counts and namespace findings; the
// latter after half a second, to fold a burst); a changed verdict in the book (also delayed);
// every resync.
void setup_security_policy_status(runtime::Manager& manager, PolicyStatusSetup setup);

}  // namespace bulwark::reconcilers
