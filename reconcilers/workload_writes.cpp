// The posture reconciler's writes: pods' quarantine labels and annotations, the workload's
// annotations and replicas, and its Events (workload_posture.h).
#include <algorithm>
#include <mutex>
#include <set>

#include "operator/logging/logging.h"
#include "operator/policy/workload_kinds.h"
#include "operator/runtime/allocator.h"
#include "reconcilers/fanout_event.h"
#include "reconcilers/input_access.h"
#include "reconcilers/managed_network_policy.h"
#include "reconcilers/posture_pass.h"
#include "reconcilers/workload_judgement.h"
#include "reconcilers/workload_posture.h"

namespace bulwark::reconcilers {

using document::Value;

std::pair<int, int> WorkloadPostureReconciler::write_pods(
    const std::string& ns, const std::vector<std::string>& pod_keys, WorkloadJudgement& judgement,
    const posture::EvaluationContext& context) {
  const bool quarantine = judgement.quarantine;
  const auto& judged = judgement.judged;
  int labelled = 0, released = 0;
  for (const auto& pod_key : pod_keys) {
    auto pod = sources_.workloads.pods.get(pod_key);
    if (pod == nullptr || pod->find({"metadata", "deletionTimestamp"}) != nullptr) continue;
    const std::string pod_object = "Pod/" + pod_key;
    const std::string pod_rv = document::text_at(*pod, {"metadata", "resourceVersion"});
    // Taken before anything is read through the expectation (patch_expecting).
    const std::string pod_base = expectations_.write_base(pod_object, pod_rv);
    auto cached = [&](std::string_view section, const char* field) {
      const Value* v = pod->find({"metadata", section, field});
      return expectations_.seen(pod_object, pod_rv, field,
                                v != nullptr ? std::optional<std::string>(v->str()) : std::nullopt);
    };
    // docs/api.md: pods are judged as they are. One that violates what its owner's template
    // does not (an ephemeral container, a spec changed since) carries the annotations itself and
    // is quarantined itself under Enforce + Quarantine; the owner's verdict does not change.
    const PodVerdict own = judge_pod(*pod, judged, context);
    ++judgement.pods_judged;
    judgement.pod_controls.insert(own.controls.begin(), own.controls.end());
    const bool beyond = !own.policies.empty();
    // A host-network pod is never labelled: the label would claim an isolation NetworkPolicy
    // cannot give it (quarantine_unenforceable).
    const bool isolable = !quarantine_unenforceable(pod->find("spec")) && !quarantine_blocked(ns);
    const auto want_label = isolable && (quarantine || own.quarantine)
                                ? std::optional<std::string>("true")
                                : std::nullopt;
    const std::map<std::string, std::optional<std::string>> want_annotations{
        {kPostureAnnotation, beyond ? std::optional<std::string>("violating") : std::nullopt},
        {kViolationsAnnotation, beyond ? std::optional(own.violations) : std::nullopt},
        {kPoliciesAnnotation, beyond ? std::optional(join_values(own.policies)) : std::nullopt}};
    kube::MergePatch patch;
    std::map<std::string, std::optional<std::string>> written;
    const bool label_changes = cached("labels", kQuarantineLabel) != want_label;
    if (label_changes) {
      patch.label(kQuarantineLabel, want_label);
      written[kQuarantineLabel] = want_label;
    }
    for (const auto& [k, v] : want_annotations) {
      if (cached("annotations", k.c_str()) == v) continue;
      patch.annotation(k, v);
      written[k] = v;
    }
    if (written.empty()) continue;
    const Remediation action = !label_changes ? Remediation::kAnnotate
                               : want_label   ? Remediation::kQuarantine
                                              : Remediation::kRelease;
    // Asked before the write, after which the expectation answers with what was written.
    const bool violations_change =
        beyond && cached("annotations", kViolationsAnnotation) != std::optional(own.violations);
    try {
      const auto answer =
          patch_expecting(kube::resources::kPods, ns, pod_key.substr(pod_key.find('/') + 1), patch,
                          pod_object, pod_base, written);
      if (!answer) continue;  // the pod went meanwhile
      if (on_action_) on_action_(action, true);
    } catch (const kube::ApiError& e) {
      // A conflict is no failed action: the pod changed since it was judged, and is judged again.
      if (on_action_ && e.error_class() != kube::ErrorClass::kConflict) on_action_(action, false);
      throw;
    }
    if (label_changes) (want_label ? labelled : released)++;
    if (violations_change) {
      events_.record({"v1", "Pod", ns, pod_key.substr(pod_key.find('/') + 1),
                      document::text_at(*pod, {"metadata", "uid"}), pod_rv},
                     EventType::kWarning, event_reasons::kPolicyViolation,
                     "the pod itself violates " + own.violations +
                         ", beyond its owner's template "
                         "(policies " +
                         join_values(own.policies) + ")");
    }
  }
  return {labelled, released};
}

bool WorkloadPostureReconciler::pods_quarantined(std::string_view kind, const Value& object) const {
  for (const auto& pod_key : pod_keys_of(kind, object)) {
    auto pod = sources_.workloads.pods.get(pod_key);
    if (pod != nullptr &&
        document::text_at(*pod, {"metadata", "labels", kQuarantineLabel}) == "true") {
      return true;
    }
  }
  return false;
}

WorkloadPostureReconciler::Holds WorkloadPostureReconciler::holds_of(
    const std::vector<LoadedPolicy>& policies, std::string_view kind, const Value& object) const {
  Holds holds;
  const std::string listed =
      document::text_at(object, {"metadata", "annotations", kPoliciesAnnotation});
  if (listed.empty()) return holds;
  const auto names = split_values(listed);
  const Value* scaled_by = object.find({"metadata", "annotations", kScaledByAnnotation});
  const auto scaling = scaling_policies(
      scaled_by != nullptr ? std::optional<std::string>(scaled_by->str()) : std::nullopt,
      document::text_at(object, {"metadata", "uid"}));
  for (const auto& p : policies) {
    if (p.valid() || p.deleting) continue;
    if (std::find(names.begin(), names.end(), p.policy.name) == names.end()) continue;
    holds.policies.push_back(p.policy.name);
    if (std::find(scaling.begin(), scaling.end(), p.uid) != scaling.end()) {
      holds.scalers.push_back(p.uid);
    }
  }
  if (holds.policies.empty()) return holds;
  holds.quarantine = pods_quarantined(kind, object);
  return holds;
}

WorkloadPostureReconciler::Holds WorkloadPostureReconciler::held_while_unverified(
    const WorkloadJudgement& judgement, std::string_view kind, const Value& object) const {
  Holds holds;
  const Value* scaled_by = object.find({"metadata", "annotations", kScaledByAnnotation});
  const auto scaling = scaling_policies(
      scaled_by != nullptr ? std::optional<std::string>(scaled_by->str()) : std::nullopt,
      document::text_at(object, {"metadata", "uid"}));
  bool quarantining = false;
  for (std::size_t i = 0; i < judgement.verdicts.size(); ++i) {
    const auto& unread = judgement.verdicts[i].not_evaluated;
    const bool unverified = std::any_of(unread.begin(), unread.end(), [](const auto& n) {
      return n.control == std::string_view("imageSignature");
    });
    if (!unverified) continue;
    const LoadedPolicy& p = *judgement.judged[i].policy;
    if (std::find(scaling.begin(), scaling.end(), p.uid) != scaling.end()) {
      holds.scalers.push_back(p.uid);
      holds.policies.push_back(p.policy.name);
    }
    quarantining = quarantining || enforces(p.policy.spec, crds::EnforcementAction::kQuarantine);
  }
  if (!quarantining) return holds;
  holds.quarantine = pods_quarantined(kind, object);
  return holds;
}

namespace {

// The details of the outcomes, for a PolicyViolation Event: "; " and each, within what an Event's
// message holds comfortably.
std::string details_of(const std::vector<PolicyOutcome>& outcomes) {
  constexpr std::size_t kMaxMessage = 900;
  std::string out;
  for (const auto& o : outcomes) {
    for (const auto& d : o.details) {
      if (out.size() + d.size() + 2 > kMaxMessage) return out + "; ...";
      out += "; " + d;
    }
  }
  return out;
}

// The QuarantineNotEnforced Event's message: the reason first, then what it means for the pods.
std::string quarantine_gap_message(const QuarantineGap& gap, bool fallen_back) {
  const std::string_view why = gap.reason;
  const std::string head = gap.text() + ": ";
  if (why == kHostNetwork) {
    return head +
           "its pods use the host network, which NetworkPolicy does not isolate; they are "
           "not labelled or counted as quarantined";
  }
  if (why == event_reasons::kNameConflict) {
    return head + "the namespace's NetworkPolicy " + std::string(kQuarantinePolicyName) +
           " is not Bulwark's; its pods are not labelled or counted as quarantined";
  }
  if (why == kNodeNotEnforcing) {
    return head +
           "its pods run on a node whose network plugin does not enforce NetworkPolicy (the "
           "enforcement canary's verdict), or it has none and a node does not or is not proven "
           "to; they are not counted as quarantined" +
           (fallen_back ? "; scaled to zero instead (unenforcedQuarantine)" : "");
  }
  if (why == kNetworkPoliciesUnreadable) {
    return head +
           "Bulwark may no longer read NetworkPolicies, so whether its labelled pods are "
           "isolated is not known; they are not counted as quarantined";
  }
  if (why == kMayBeReopenedBy) {
    return head +
           "whether that NetworkPolicy admits traffic to or from its labelled pods is not "
           "known (NetworkPolicies add up); they are not counted as quarantined";
  }
  return head +
         "that rule selects its labelled pods and admits traffic the quarantine blocks "
         "(NetworkPolicies add up); they are not counted as quarantined";
}

}  // namespace

void WorkloadPostureReconciler::record_events(const Target& t, const WorkloadJudgement& j,
                                              const Written& w) {
  const std::string violations = join_values({j.controls.begin(), j.controls.end()});
  const bool newly_violating =
      j.posture == posture::Posture::kViolating &&
      (w.posture_before != "violating" || w.violations_before != std::optional(violations));
  if (newly_violating) {
    events_.record(t.ref, EventType::kWarning, event_reasons::kPolicyViolation,
                   "violates " + violations + " (policies " + join_values(j.selecting) + ")" +
                       details_of(j.outcomes));
  }
  // Said with the violation, or when a quarantine counted before stopped holding (a name taken,
  // or another NetworkPolicy opening the pods, after the fact).
  const bool counted_now = std::any_of(j.outcomes.begin(), j.outcomes.end(),
                                       [](const PolicyOutcome& o) { return o.enforced; });
  // Or when it is scaled to zero in its place (unenforcedQuarantine: ScaleToZero).
  const bool fallen_back = w.replica_action == Remediation::kScaleToZero;
  if (j.quarantine_not_enforced &&
      (newly_violating || w.released > 0 || fallen_back || (w.counted_before && !counted_now))) {
    events_.record(t.ref, EventType::kWarning, event_reasons::kQuarantineNotEnforced,
                   quarantine_gap_message(*j.quarantine_not_enforced, fallen_back));
  }
  const bool scaled = w.replica_action == Remediation::kScaleToZero;
  if (w.labelled > 0 || scaled) {
    events_.record(t.ref, EventType::kWarning, event_reasons::kQuarantined,
                   scaled ? "scaled to zero by SecurityPolicy enforcement"
                          : "labelled " + std::to_string(w.labelled) + " pod(s) " +
                                kQuarantineLabel + "=true; the namespace's " +
                                kQuarantinePolicyName + " NetworkPolicy isolates them");
  }
  const bool restored = w.replica_action == Remediation::kRestoreReplicas;
  if (w.released > 0 || restored) {
    events_.record(t.ref, EventType::kNormal, event_reasons::kReleased,
                   restored ? "replicas restored to " + w.recorded.value_or("")
                            : "released " + std::to_string(w.released) + " pod(s) from quarantine");
  }
}

// The workload's replica change under ScaleToZero, into `patch` (annotations through `set`).
void WorkloadPostureReconciler::replica_change(const Target& t, const WorkloadJudgement& j,
                                               const std::vector<LoadedPolicy>& policies,
                                               const Annotate& annotation, const Set& set,
                                               Written& w, kube::MergePatch& patch,
                                               Expectations::Fields& written) {
  w.recorded = annotation(kRecordedReplicasAnnotation);
  if (!posture::kind_scales(t.kind)) return;
  // Every posture patch is conditional on the version judged (patch_expecting): a count the user
  // set since (which the cache may not show yet) makes it fail with 409 and be judged again.
  const std::string rv = document::text_at(*t.object, {"metadata", "resourceVersion"});
  const Value* value = t.object->find({"spec", "replicas"});
  const std::string text =
      expectations_
          .seen(t.key, rv, "spec.replicas",
                value != nullptr ? std::optional<std::string>(value->str()) : std::nullopt)
          .value_or("");
  const long replicas = parse_count(text).value_or(text.empty() ? 1 : 0);
  const bool scale_to_zero = !j.scalers.empty();
  if (scale_to_zero && replicas > 0) {
    set(kRecordedReplicasAnnotation, std::to_string(replicas));
    set(kScaledByAnnotation, scaled_by_text(t.ref.uid, j.scalers));
    patch.set({"spec", "replicas"}, Value::integer(0));
    w.replica_action = Remediation::kScaleToZero;
    written["spec.replicas"] = "0";
  } else if (!scale_to_zero && w.recorded &&
             scaled_by_us(annotation(kScaledByAnnotation), t.ref.uid, policies)) {
    // Only what Bulwark took from this very object, under a policy that still exists: a
    // standby copied from an exported manifest carries the annotations but not the UIDs.
    set(kRecordedReplicasAnnotation, std::nullopt);
    set(kScaledByAnnotation, std::nullopt);
    // Give back what was taken, unless someone has set a count since: theirs stands.
    if (const auto recorded = parse_count(*w.recorded); replicas == 0 && recorded) {
      patch.set({"spec", "replicas"}, Value::integer(*recorded));
      w.replica_action = Remediation::kRestoreReplicas;
      written["spec.replicas"] = *w.recorded;
    }
  }
}

bool WorkloadPostureReconciler::write_workload(const Target& t, const WorkloadJudgement& j,
                                               bool holding,
                                               const std::vector<LoadedPolicy>& policies,
                                               Written& w) {
  const std::string rv = document::text_at(*t.object, {"metadata", "resourceVersion"});
  // Taken before anything is read through the expectation (patch_expecting).
  const std::string base = expectations_.write_base(t.key, rv);
  const Annotate annotation = [&](const char* k) {
    const Value* v = t.object->find({"metadata", "annotations", k});
    return expectations_.seen(t.key, rv, k,
                              v != nullptr ? std::optional<std::string>(v->str()) : std::nullopt);
  };
  kube::MergePatch patch;
  Expectations::Fields written;
  const Set set = [&](const char* k, const std::optional<std::string>& want) {
    if (annotation(k) == want) return;
    patch.annotation(k, want);
    written[k] = want;
  };
  const std::string posture = j.posture ? std::string(posture::to_string(*j.posture)) : "";
  const std::string violations = join_values({j.controls.begin(), j.controls.end()});
  const std::string unread = join_values({j.not_evaluated.begin(), j.not_evaluated.end()});
  const bool violating = j.posture == posture::Posture::kViolating && j.findings > 0;
  const std::string fixable =
      violating ? std::to_string(j.fixable) + " of " + std::to_string(j.findings) : "";
  w.posture_before = annotation(kPostureAnnotation).value_or("");
  w.violations_before = annotation(kViolationsAnnotation);
  if (!holding) {  // an unreadable policy's verdict is unknown: what was written stands
    set(kPostureAnnotation, posture.empty() ? std::nullopt : std::optional(posture));
    set(kViolationsAnnotation, violations.empty() ? std::nullopt : std::optional(violations));
    set(kNotEvaluatedAnnotation, unread.empty() ? std::nullopt : std::optional(unread));
    set(kFixableAnnotation, fixable.empty() ? std::nullopt : std::optional(fixable));
  }
  set(kPoliciesAnnotation,
      j.selecting.empty() ? std::nullopt : std::optional(join_values(j.selecting)));
  w.annotations_changed = !written.empty();
  replica_change(t, j, policies, annotation, set, w, patch, written);
  // A bare pod is its own workload: its label goes in this one patch with its annotations, so the
  // cache never sees one write without the other.
  if (t.kind == "Pod") {
    const auto want = j.quarantine ? std::optional<std::string>("true") : std::nullopt;
    const Value* v = t.object->find({"metadata", "labels", kQuarantineLabel});
    if (expectations_.seen("Pod/" + t.ns + "/" + t.name, rv, kQuarantineLabel,
                           v != nullptr ? std::optional<std::string>(v->str()) : std::nullopt) !=
        want) {
      patch.label(kQuarantineLabel, want);
      written[kQuarantineLabel] = want;
      (want ? w.labelled : w.released)++;
    }
  }
  if (patch.empty()) {
    logging::debug(t.key + " is up to date");
    return true;
  }
  return patch_workload(t, patch, base, std::move(written), w, posture, violations);
}

bool WorkloadPostureReconciler::patch_workload(const Target& t, const kube::MergePatch& patch,
                                               const std::string& base,
                                               Expectations::Fields written, const Written& w,
                                               const std::string& posture,
                                               const std::string& violations) {
  auto act = [&](Remediation action, bool ok) {
    if (on_action_) on_action_(action, ok);
  };
  const bool label_changed = written.count(kQuarantineLabel) > 0;
  const bool labelled = label_changed && written[kQuarantineLabel].has_value();
  try {
    const auto answer =
        patch_expecting(t.type, t.ns, t.name, patch, t.key, base, std::move(written));
    if (!answer) return false;  // it went meanwhile
    if (label_changed) act(labelled ? Remediation::kQuarantine : Remediation::kRelease, true);
    if (w.annotations_changed) act(Remediation::kAnnotate, true);
    if (w.replica_action) act(*w.replica_action, true);
  } catch (const kube::ApiError& e) {
    // A conflict is no failed action: the workload changed since it was judged, and is judged
    // again.
    if (e.error_class() != kube::ErrorClass::kConflict) {
      act(w.replica_action.value_or(Remediation::kAnnotate), false);
    }
    throw;
  }
  const std::string line =
      t.key + ": posture " + (posture.empty() ? "(no policy)" : posture) +
      (violations.empty() ? "" : " [" + violations + "]") +
      (w.replica_action ? ", " + std::string(to_string(*w.replica_action)) : "");
  if (quiet_ && quiet_(t.key)) {
    logging::debug(line);  // the pass it is part of ends with one info line
  } else {
    logging::info(line);
  }
  return true;
}

std::optional<Value> WorkloadPostureReconciler::patch_expecting(
    const kube::ResourceType& type, const std::string& ns, const std::string& name,
    const kube::MergePatch& patch, const std::string& object, const std::string& base,
    Expectations::Fields written) {
  // Conditional on the version judged: an answer is then proof that the write went straight from
  // it (Expectations::begin), and a change meanwhile is a conflict, judged again. `base` is
  // Expectations::write_base taken before the judgement read anything through the expectation:
  // taken at the write, a write another thread settled meanwhile (a pod two workloads list)
  // would pass for what this judgement saw.
  kube::MergePatch conditional = patch;
  conditional.require_resource_version(base);
  expectations_.begin(object, base);
  std::optional<Value> answer;
  try {
    answer = writer_.merge_patch(type, ns, name, conditional);
  } catch (...) {
    settle(object, expectations_.abandon(object));
    throw;
  }
  settle(object,
         answer ? expectations_.expect(object, base,
                                       document::text_at(*answer, {"metadata", "resourceVersion"}),
                                       std::move(written))
                : expectations_.abandon(object));
  return answer;
}

void WorkloadPostureReconciler::settle(const std::string& object, Expectations::Held held) {
  if (held == Expectations::Held::kEcho && on_echo_) on_echo_();
  if (held != Expectations::Held::kRoute) return;
  const auto slash = object.find('/');
  if (route_) route_(object.substr(0, slash), object.substr(slash + 1));
}

}  // namespace bulwark::reconcilers
