#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "operator/base/clock.h"
#include "operator/kube/object_writer.h"
#include "operator/policy/remediation.h"
#include "operator/policy/workload_kinds.h"
#include "operator/posture/engine.h"
#include "operator/runtime/cache_reader.h"
#include "operator/runtime/controller.h"
#include "operator/runtime/manager.h"
#include "reconcilers/annotations.h"
#include "reconcilers/enforcement_book.h"
#include "reconcilers/events.h"
#include "reconcilers/expectations.h"
#include "reconcilers/network_index.h"
#include "reconcilers/ownership.h"
#include "reconcilers/policy_report_keeper.h"
#include "reconcilers/policy_set.h"
#include "reconcilers/posture_book.h"
#include "reconcilers/rbac_index.h"
#include "reconcilers/vulnerability_reports.h"
#include "reconcilers/workload_judgement.h"
#include "reconcilers/workload_owners.h"
#include "reconcilers/workload_signatures.h"

namespace bulwark::registry {
class ImageVerification;
}

namespace bulwark::reconcilers {

struct Caches;

class InputAccess;

// Judges every top-level workload against the SecurityPolicies that select it and writes the
// result (docs/api.md, what Bulwark writes): the posture annotations on the workload; in Enforce
// mode the quarantine label on its pods and, for Deployments and StatefulSets, a scale to zero with
// the replica count recorded; and the release of all of that when the workload complies, is exempt,
// or no enforcing policy selects it any more. Writes are merge patches of exactly the fields
// that differ; a converged workload costs no write. Events mark each change. Asks to run again
// when an exemption that applies expires. Records each verdict in the PostureBook. Keys are
// workload keys (see workload_key).
class WorkloadPostureReconciler : public runtime::Reconciler {
 public:
  struct Sources {
    WorkloadCaches workloads;
    const runtime::CacheReader& namespaces;
    const PolicySet& policies;
    const VulnerabilitySource* vulnerabilities;  // null: no VulnerabilityReports are served
    RbacIndex* rbac = nullptr;                   // null: spec.permissions is not judged
    PolicyReportKeeper* reports =
        nullptr;  // null: no Reports are written (their CRD is not served)
    // Where bulwark-quarantine is someone else's, nothing is quarantined (ownership.h); null:
    // every namespace's is taken to be Bulwark's.
    OwnershipRecord* ownership = nullptr;
    // With `ownership`: a workload counts as quarantined only while the namespace's
    // bulwark-quarantine holds (quarantine_not_held()).
    const runtime::CacheReader* network_policies = nullptr;
    // Which inputs Bulwark may no longer read; null: all are taken to be readable.
    const InputAccess* access = nullptr;
    // The enforcement canary's verdicts: a quarantine on a node that does not enforce
    // NetworkPolicy is not counted (kNodeNotEnforcing); null: every node is taken to enforce.
    const EnforcementBook* enforcement = nullptr;
    // The Services the network controls read beside `network_policies`; null: those controls are
    // not evaluated.
    const runtime::CacheReader* services = nullptr;
    // Verifies images.verify's signatures of what the pods run; null: imageSignature is not
    // evaluated.
    registry::ImageVerification* images = nullptr;
  };
  // Told of each remediation and whether it succeeded.
  using ActionObserver = std::function<void(Remediation action, bool ok)>;
  // Told when a workload key has been judged: `changed` when a changed verdict was written (false
  // too when the key is gone or judged as part of its owner).
  using VerdictObserver = std::function<void(const std::string& key, bool changed)>;

  WorkloadPostureReconciler(kube::ObjectWriter& writer, Sources sources, PostureBook& book,
                            EventRecorder& events, const base::Clock& clock,
                            std::vector<std::string> never_touch);
  void set_action_observer(ActionObserver o) { on_action_ = std::move(o); }
  void set_verdict_observer(VerdictObserver o) { on_verdict_ = std::move(o); }
  // Whether a key's change is logged at debug rather than info (it is part of a pass).
  void set_quiet(std::function<bool(const std::string& key)> quiet) { quiet_ = std::move(quiet); }
  // Where a change held back while our write to its object was in flight goes when it proved not
  // to be that write's echo (Expectations::kHeld): the object's kind and "ns/name", as its cache
  // would have told it. Unset, such a change would be lost: set before the first reconcile.
  using ChangeRouter = std::function<void(const std::string& kind, const std::string& key)>;
  void set_change_router(ChangeRouter route) { route_ = std::move(route); }
  void set_echo_observer(std::function<void()> on_echo) { on_echo_ = std::move(on_echo); }

  runtime::Result reconcile(const std::string& key) override;

  // What a change to a workload object (`kind` names its cache) is to this reconciler's own
  // writes (Expectations::echo): the echo of one (judged already, routed nowhere), held back
  // while one is in flight (routed through the change router if it proves not to be its echo),
  // or a change to route. A change that came with ours (another client's write before ours
  // landed) is never an echo.
  Expectations::Seen own_echo(std::string_view kind,
                              const runtime::Informer::Change& change) const {
    return expectations_.echo(std::string(kind) + "/" + change.key, change.before, change.after);
  }
  // Whether a NetworkPolicy, a Service or who holds a name Bulwark keeps can change any verdict
  // now: an active policy reads the network (spec.network.forbid) or quarantines (whether its
  // quarantine can be done and holds), or a policy cannot be read (what it holds is not known).
  // Otherwise their changes (Bulwark's own default-denies among them) are routed nowhere; a
  // policy change that makes one matter judges every workload again, against the cache as it is
  // then.
  bool judges_network() const;
  // The workload keys an object change may affect: its top owner (for a Pod, ReplicaSet or Job),
  // or every workload of a namespace when the namespace changed. `kind` names the cache.
  std::vector<std::string> keys_for(std::string_view kind, const std::string& object_key) const;
  // Every top-level workload in the caches.
  std::vector<std::string> all_keys() const;
  // The top-level workloads whose pod template runs as the ServiceAccount `account_key`
  // ("ns/name").
  std::vector<std::string> keys_running_as(const std::string& account_key) const;
  // The top-level workloads of namespace `ns` whose pods `selection` may select (may_select).
  std::vector<std::string> keys_selected(const std::string& ns, const Selection& selection) const;

 private:
  std::vector<std::string> pod_keys_of(std::string_view kind, const document::Value& object) const;

  // docs/api.md: a policy that cannot be read acts on nothing new and keeps what it holds
  // until it is readable again or deleted. What it holds is read from the cluster, so a restart
  // keeps it too: the workload still lists the policy in bulwark.dev/policies; its pods carry the
  // quarantine label; bulwark.dev/scaled-by names the policy's UID.
  // A pod judged on its own spec: the policies under which it violates more than its owner.
  struct PodVerdict {
    std::vector<std::string> policies;
    std::string violations;   // all it violates, sorted, comma-separated (when policies is set)
    bool quarantine = false;  // one of those policies is Enforce + Quarantine
    std::set<std::string> controls;  // all it violates under any of the policies
  };
  // Why no pod of `ns` can be quarantined now, if so: "NameConflict" (Sources::ownership).
  std::optional<std::string_view> quarantine_blocked(const std::string& ns) const;
  // Why labelling the workload's pods does not isolate them now, if so (quarantine_not_held(),
  // then kNodeNotEnforcing).
  struct Target;
  std::optional<QuarantineGap> not_held(const Target& t, const posture::Workload& workload) const;
  // Whether a pod of the workload runs on a node that does not enforce NetworkPolicy, or it has
  // none and some node does not (where its pods would run is not known).
  bool on_node_not_enforcing(const Target& t) const;
  static PodVerdict judge_pod(const document::Value& pod, const std::vector<Judged>& judged,
                              const posture::EvaluationContext& context);
  // Labels and annotates the pods of a workload as the workload's verdict (`quarantine`) and their
  // own verdicts ask; returns how many were labelled and released.
  // Records in `judgement` how many pods were judged and what any of them violates.
  std::pair<int, int> write_pods(const std::string& ns, const std::vector<std::string>& pod_keys,
                                 WorkloadJudgement& judgement,
                                 const posture::EvaluationContext& context);

  // The workload a key names, as the cache has it (object null when it is not there).
  struct Target {
    std::string key, kind, ns, name;
    kube::ResourceType type;
    runtime::CacheReader::Object object;
    ObjectRef ref;
  };
  std::optional<Target> target_of(const std::string& key) const;
  posture::EvaluationContext evaluation_context(
      const rbac::Account& account, std::chrono::system_clock::time_point now,
      const std::optional<posture::VulnerabilityCounts>& vulnerabilities,
      std::shared_ptr<const rbac::Permissions>& permissions) const;
  // images.verify's verdicts of what the workload's pods run, into `context`; `out.again` says
  // when to judge again for those not final.
  void add_signatures(const Target& t, const posture::Workload& workload,
                      const crds::Labels& namespace_labels,
                      const std::vector<LoadedPolicy>& policies, WorkloadSignatures& out,
                      posture::EvaluationContext& context) const;
  std::optional<posture::VulnerabilityCounts> vulnerabilities_for(
      const Target& t, const std::vector<LoadedPolicy>& policies) const;

  // What writing a workload did, for its Events.
  struct Written {
    int labelled = 0, released = 0;
    bool annotations_changed = false;
    std::optional<Remediation> replica_action;  // kScaleToZero or kRestoreReplicas
    std::optional<std::string> recorded;        // bulwark.dev/recorded-replicas before the write
    std::string posture_before;
    std::optional<std::string> violations_before;
    bool counted_before = false;  // the book counted it quarantined (PolicyOutcome::enforced)
  };
  using Annotate = std::function<std::optional<std::string>(const char*)>;
  using Set = std::function<void(const char*, const std::optional<std::string>&)>;
  // The workload's own merge patch: annotations, replicas (ScaleToZero) and, for a bare pod, its
  // quarantine label. False when the workload went meanwhile.
  bool write_workload(const Target& t, const WorkloadJudgement& j, bool holding,
                      const std::vector<LoadedPolicy>& policies, Written& w);
  void replica_change(const Target& t, const WorkloadJudgement& j,
                      const std::vector<LoadedPolicy>& policies, const Annotate& annotation,
                      const Set& set, Written& w, kube::MergePatch& patch,
                      Expectations::Fields& written);
  // A merge patch of `object` (the expectations' key) conditional on `base` (Expectations::
  // write_base, taken before the judgement), marked in flight while it is sent
  // (Expectations::begin), and settled with its answer: nullopt when the object went meanwhile.
  std::optional<document::Value> patch_expecting(const kube::ResourceType& type,
                                                 const std::string& ns, const std::string& name,
                                                 const kube::MergePatch& patch,
                                                 const std::string& object, const std::string& base,
                                                 Expectations::Fields written);
  void settle(const std::string& object, Expectations::Held held);
  bool patch_workload(const Target& t, const kube::MergePatch& patch, const std::string& base,
                      Expectations::Fields written, const Written& w, const std::string& posture,
                      const std::string& violations);
  void record_events(const Target& t, const WorkloadJudgement& j, const Written& w);

  struct Holds {
    std::vector<std::string> policies;  // names of the unreadable policies the workload lists
    bool quarantine = false;            // its pods are quarantined now
    std::vector<std::string> scalers;   // UIDs of those that scaled it to zero
  };
  Holds holds_of(const std::vector<LoadedPolicy>& policies, std::string_view kind,
                 const document::Value& object) const;
  // What an active policy holds (a scale to zero, a quarantine) and keeps while its
  // imageSignature is not evaluated: a signature that cannot be verified now (an empty cache after
  // a restart, a registry down, a tag no pod runs once scaled to zero) loosens nothing.
  Holds held_while_unverified(const WorkloadJudgement& judgement, std::string_view kind,
                              const document::Value& object) const;
  // Whether any of the workload's pods carries the quarantine label now.
  bool pods_quarantined(std::string_view kind, const document::Value& object) const;
  // Adds what `holds` keeps to the judgement; `listed`: its policies are listed as selecting it
  // too (unreadable ones, which the judgement does not name).
  static void keep(WorkloadJudgement& judgement, const Holds& holds, bool listed);

  kube::ObjectWriter& writer_;
  Sources sources_;
  PostureBook& book_;
  EventRecorder& events_;
  const base::Clock& clock_;
  std::vector<std::string> never_touch_;
  ActionObserver on_action_;
  VerdictObserver on_verdict_;
  std::function<bool(const std::string& key)> quiet_;
  ChangeRouter route_;
  std::function<void()> on_echo_;
  mutable Expectations expectations_;  // our writes the cache may not show yet
};

// What the posture controller tells metrics.
struct PostureHooks {
  WorkloadPostureReconciler::ActionObserver on_action;
  WorkloadPostureReconciler::VerdictObserver on_verdict;
  std::function<void(const std::string& event)> event_seen;  // a watch event about a workload
  std::function<void(const std::string& event, const std::string& key)> event_routed;
  std::function<void()> echo_skipped;  // a watch event was our own write's echo: not judged
};

// What the "posture" controller and its "fan-out" loop need. They read the workload caches, and
// those of namespaces, SecurityPolicies, NetworkPolicies, the RBAC objects and, when served,
// VulnerabilityReports and policy reports.
struct WorkloadPostureSetup {
  const Caches& caches;
  kube::ObjectWriter& writer;
  const PolicySet& policies;
  const VulnerabilitySource* vulnerabilities = nullptr;  // null: not served
  RbacIndex* rbac = nullptr;                             // null: spec.permissions is not judged
  PolicyReportKeeper* reports = nullptr;                 // null: no Reports are written
  OwnershipRecord* ownership = nullptr;
  const InputAccess* access = nullptr;
  EnforcementBook* enforcement = nullptr;         // null: every node is taken to enforce
  registry::ImageVerification* images = nullptr;  // null: imageSignature is not evaluated
  PostureBook& book;
  EventRecorder& events;
  const base::Clock& clock;
  std::vector<std::string> never_touch;
  int workers = 1;
  PostureHooks hooks;
};
// Registers the "posture" controller and its "fan-out" loop. Handlers on the reflectors' threads
// only enqueue typed FanoutEvents; the fan-out worker turns each into workload keys (which reads
// and parses cached objects): a workload object's change into its top-level workload; a
// namespace's into its workloads; a VulnerabilityReport's into the workload it is about; a policy
// change or a resync into every workload.
struct PostureProgress {
  // Whether posture has caught up (both loops idle), which policy status waits for after a start.
  std::function<bool()> caught_up;
  // Whether a pass has been under way for at least the duration (policy status paces itself).
  std::function<bool(base::Clock::Duration)> in_pass_for;
};
PostureProgress setup_workload_posture(runtime::Manager& manager, WorkloadPostureSetup setup);

}  // namespace bulwark::reconcilers
