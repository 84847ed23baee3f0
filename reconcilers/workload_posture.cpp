#include "reconcilers/workload_posture.h"

#include <algorithm>
#include <mutex>
#include <set>

#include "operator/logging/logging.h"
#include "operator/runtime/allocator.h"
#include "reconcilers/fanout_event.h"
#include "reconcilers/input_access.h"
#include "reconcilers/managed_network_policy.h"
#include "reconcilers/posture_pass.h"
#include "reconcilers/workload_judgement.h"

namespace bulwark::reconcilers {

using document::Value;

namespace {

std::string str_at(const Value& v, std::initializer_list<std::string_view> path) {
  const Value* found = v.find(path);
  return found != nullptr ? std::string(found->str()) : std::string();
}

// The ownerReference with controller: true.
const Value* controller_of(const Value& object) {
  for (const auto& ref : document::items_of(object.find({"metadata", "ownerReferences"}))) {
    const Value* c = ref.find("controller");
    if (c != nullptr && c->str() == "true") return &ref;
  }
  return nullptr;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

// kScaledByAnnotation's value: "<workload uid>:<policy uid>,<policy uid>...".
std::string scaled_by_text(const std::string& workload_uid,
                           const std::vector<std::string>& policies) {
  return workload_uid + ":" + join(policies);
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return out;
}

// The policy UIDs of a kScaledByAnnotation value, when it is about this very workload.
std::vector<std::string> scaling_policies(const std::optional<std::string>& value,
                                          const std::string& workload_uid) {
  if (!value || workload_uid.empty()) return {};
  const auto colon = value->find(':');
  if (colon == std::string::npos || value->substr(0, colon) != workload_uid) return {};
  return split(std::string_view(*value).substr(colon + 1));
}

bool scaled_by_us(const std::optional<std::string>& value, const std::string& workload_uid,
                  const std::vector<LoadedPolicy>& policies) {
  const auto uids = scaling_policies(value, workload_uid);
  // Any state counts, a policy being deleted most of all: its finalizer waits on this release.
  return std::any_of(policies.begin(), policies.end(), [&](const LoadedPolicy& p) {
    return !p.uid.empty() && std::find(uids.begin(), uids.end(), p.uid) != uids.end();
  });
}

std::optional<long> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 9 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stol(text);
}

}  // namespace

WorkloadCaches::WorkloadCaches(
    const std::function<const runtime::CacheReader&(std::string_view)>& cache)
    : pods(cache("pods")), replicasets(cache("replicasets")), jobs(cache("jobs")) {
  for (std::size_t i = 0; i < kWorkloadKinds.size(); ++i) {
    by_row_[i] = &cache(kWorkloadKinds[i].resource);
  }
}

const runtime::CacheReader* WorkloadCaches::of(std::string_view kind) const {
  for (std::size_t i = 0; i < kWorkloadKinds.size(); ++i) {
    if (kWorkloadKinds[i].kind == kind) return by_row_[i];
  }
  return nullptr;
}

std::string workload_key(std::string_view kind, std::string_view ns, std::string_view name) {
  return std::string(kind) + "/" + std::string(ns) + "/" + std::string(name);
}

std::string top_owner_key(std::string_view kind, const Value& object,
                          const WorkloadCaches& caches) {
  const std::string ns = str_at(object, {"metadata", "namespace"});
  std::string current_kind(kind);
  std::string name = str_at(object, {"metadata", "name"});
  runtime::CacheReader::Object parent;  // keeps the object `current` points into alive
  const Value* current = &object;
  // At most two steps: Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob.
  for (int step = 0; step < 2; ++step) {
    const Value* owner = controller_of(*current);
    if (owner == nullptr) break;
    const std::string owner_kind = str_at(*owner, {"kind"});
    const std::string owner_name = str_at(*owner, {"name"});
    const posture::WorkloadKind* owner_row = posture::find_workload_kind(owner_kind);
    const posture::WorkloadKind* current_row = posture::find_workload_kind(current_kind);
    const bool known =
        owner_row != nullptr && current_row != nullptr &&
        (current_kind == "Pod" ? owner_row->owns_pods : current_row->controlled_by == owner_kind);
    if (!known) break;
    // The owner is the object with that UID, not whatever now has that kind and name: a pod
    // whose controller reference names a compliant Job it does not belong to is judged itself.
    auto found = caches.of(owner_kind)->get(ns + "/" + owner_name);
    if (found == nullptr || str_at(*found, {"metadata", "uid"}) != str_at(*owner, {"uid"})) break;
    parent = std::move(found);
    current = parent.get();
    current_kind = owner_kind;
    name = owner_name;
  }
  return workload_key(current_kind, ns, name);
}

bool awaiting_owner(const Value& object, std::string_view kind, const WorkloadCaches& caches,
                    std::chrono::system_clock::time_point now) {
  const Value* owner = controller_of(object);
  if (owner == nullptr) return false;
  const std::string owner_kind = str_at(*owner, {"kind"});
  const posture::WorkloadKind* row = posture::find_workload_kind(owner_kind);
  if (row == nullptr) return false;
  // Only an owner whose controller makes objects of this kind: pods for a pod, a Deployment for
  // a ReplicaSet, a CronJob for a Job.
  const posture::WorkloadKind* self = posture::find_workload_kind(kind);
  const bool makes_it =
      kind == "Pod" ? row->owns_pods : self != nullptr && self->controlled_by == owner_kind;
  if (!makes_it) return false;
  const std::string key =
      str_at(object, {"metadata", "namespace"}) + "/" + str_at(*owner, {"name"});
  if (caches.of(owner_kind)->get(key) != nullptr) return false;  // there, another UID: forged
  const auto created = crds::parse_rfc3339(str_at(object, {"metadata", "creationTimestamp"}));
  return created && now - *created < std::chrono::seconds(30);
}

std::optional<std::pair<std::string, std::string>> report_subject(const Value& report) {
  const Value* kind = report.find({"metadata", "labels", "trivy-operator.resource.kind"});
  const Value* name = report.find({"metadata", "labels", "trivy-operator.resource.name"});
  if (kind == nullptr || name == nullptr) return std::nullopt;
  return std::pair<std::string, std::string>{std::string(kind->str()), std::string(name->str())};
}

std::optional<posture::VulnerabilityCounts> ReportCacheVulnerabilities::counts(
    const std::string& ns, const std::vector<std::pair<std::string, std::string>>& subjects) const {
  std::optional<posture::VulnerabilityCounts> out;
  for (const auto& key : reports_.keys_in_namespace(ns)) {
    auto report = reports_.get(key);
    if (report == nullptr) continue;
    const auto about = report_subject(*report);
    if (!about || std::find(subjects.begin(), subjects.end(), *about) == subjects.end()) continue;
    if (!out) out.emplace();
    auto count = [&](std::string_view field) {
      const Value* n = report->find({"report", "summary", field});
      return static_cast<int>(n != nullptr ? n->as_int().value_or(0) : 0);
    };
    out->critical += count("criticalCount");
    out->high += count("highCount");
    out->medium += count("mediumCount");
    out->low += count("lowCount");
    out->source += (out->source.empty() ? "VulnerabilityReport " : ", ") + key;
  }
  return out;
}

std::string_view to_string(Remediation action) {
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
  }
  return "annotate";
}

WorkloadPostureReconciler::WorkloadPostureReconciler(kube::ObjectWriter& writer, Sources sources,
                                                     PostureBook& book, EventRecorder& events,
                                                     const base::Clock& clock,
                                                     std::vector<std::string> never_touch)
    : writer_(writer),
      sources_(sources),
      book_(book),
      events_(events),
      clock_(clock),
      never_touch_(std::move(never_touch)),
      expectations_(clock) {}

std::vector<std::string> WorkloadPostureReconciler::keys_for(std::string_view kind,
                                                             const std::string& object_key) const {
  if (kind == "Namespace") {
    std::set<std::string> keys;
    for (const auto& w : kWorkloadKinds) {
      const auto* cache = sources_.workloads.of(w.kind);
      for (const auto& key : cache->keys_in_namespace(object_key)) {
        if (auto o = cache->get(key)) keys.insert(top_owner_key(w.kind, *o, sources_.workloads));
      }
    }
    return {keys.begin(), keys.end()};
  }
  const auto slash = object_key.find('/');
  const std::string ns = object_key.substr(0, slash);
  const std::string name = object_key.substr(slash + 1);
  const auto* cache = sources_.workloads.of(kind);
  if (cache == nullptr) return {};
  auto object = cache->get(object_key);
  // A vanished object is reconciled under its own key so its record is dropped; what it belonged
  // to hears of the change through its own cache.
  if (object == nullptr) return {workload_key(kind, ns, name)};
  return {top_owner_key(kind, *object, sources_.workloads)};
}

std::vector<std::string> WorkloadPostureReconciler::all_keys() const {
  std::set<std::string> keys;
  for (const auto& w : kWorkloadKinds) {
    const auto* cache = sources_.workloads.of(w.kind);
    for (const auto& key : cache->keys()) {
      if (auto o = cache->get(key)) keys.insert(top_owner_key(w.kind, *o, sources_.workloads));
    }
  }
  return {keys.begin(), keys.end()};
}

std::vector<std::string> WorkloadPostureReconciler::keys_running_as(
    const std::string& account_key) const {
  const auto slash = account_key.find('/');
  const std::string ns = account_key.substr(0, slash), name = account_key.substr(slash + 1);
  std::set<std::string> keys;
  for (const auto& w : kWorkloadKinds) {
    const auto* cache = sources_.workloads.of(w.kind);
    for (const auto& key : cache->keys_in_namespace(ns)) {
      auto o = cache->get(key);
      if (o == nullptr) continue;
      const auto workload = posture::workload_from(*o, w.kind);
      if (workload && posture::service_account_of(*workload) == name) {
        keys.insert(top_owner_key(w.kind, *o, sources_.workloads));
      }
    }
  }
  return {keys.begin(), keys.end()};
}

std::vector<std::string> WorkloadPostureReconciler::pod_keys_of(std::string_view kind,
                                                                const Value& object) const {
  const std::string uid = str_at(object, {"metadata", "uid"});
  if (kind == "Pod")
    return {str_at(object, {"metadata", "namespace"}) + "/" + str_at(object, {"metadata", "name"})};
  std::vector<std::string> pods;
  auto owned_pods = [&](const std::string& owner_uid) {
    for (const auto& key : sources_.workloads.pods.keys_owned_by(owner_uid)) pods.push_back(key);
  };
  auto via = [&](const runtime::CacheReader& middle) {
    for (const auto& key : middle.keys_owned_by(uid)) {
      if (auto m = middle.get(key)) owned_pods(str_at(*m, {"metadata", "uid"}));
    }
  };
  // Through the kind this one controls (ReplicaSets of a Deployment, Jobs of a CronJob), if any.
  for (const auto& row : kWorkloadKinds) {
    if (row.controlled_by == kind) {
      via(*sources_.workloads.of(row.kind));
      return pods;
    }
  }
  owned_pods(uid);
  return pods;
}

std::optional<std::string_view> WorkloadPostureReconciler::not_held(
    const std::string& ns, const posture::Workload& workload) const {
  if (sources_.ownership == nullptr || sources_.network_policies == nullptr) return std::nullopt;
  // What the cache holds may be stale: a quarantine is then not counted, and said so.
  if (sources_.access != nullptr && sources_.access->unreadable("networkpolicies")) {
    return "NetworkPoliciesUnreadable";
  }
  crds::Labels labels;
  for (const auto& [k, v] : document::members_of(
           workload.pod_metadata ? workload.pod_metadata->find("labels") : nullptr)) {
    labels[k] = v.str();
  }
  return quarantine_not_held(*sources_.network_policies, *sources_.ownership, ns, labels);
}

std::optional<std::string_view> WorkloadPostureReconciler::quarantine_blocked(
    const std::string& ns) const {
  if (sources_.ownership != nullptr && sources_.ownership->conflict(ns, kQuarantinePolicyName)) {
    return "NameConflict";
  }
  return std::nullopt;
}

WorkloadPostureReconciler::PodVerdict WorkloadPostureReconciler::judge_pod(
    const Value& pod, const std::vector<Judged>& judged,
    const posture::EvaluationContext& context) {
  PodVerdict out;
  const auto workload = posture::workload_from(pod, "Pod");
  if (!workload) return out;
  std::set<std::string> controls;
  for (const auto& [policy, owner_controls] : judged) {
    const auto verdict = policy->evaluator->evaluate(*workload, context);
    bool beyond = false;
    for (const auto& v : verdict.violations) {
      controls.emplace(v.control);
      beyond = beyond || owner_controls.count(std::string(v.control)) == 0;
    }
    if (!beyond) continue;
    out.policies.push_back(policy->policy.name);
    out.quarantine =
        out.quarantine || enforces(policy->policy.spec, crds::EnforcementAction::kQuarantine);
  }
  if (!out.policies.empty()) out.violations = join({controls.begin(), controls.end()});
  return out;
}

std::pair<int, int> WorkloadPostureReconciler::write_pods(
    const std::string& ns, const std::vector<std::string>& pod_keys, bool quarantine,
    const std::vector<Judged>& judged, const posture::EvaluationContext& context) {
  int labelled = 0, released = 0;
  for (const auto& pod_key : pod_keys) {
    auto pod = sources_.workloads.pods.get(pod_key);
    if (pod == nullptr || pod->find({"metadata", "deletionTimestamp"}) != nullptr) continue;
    const std::string pod_object = "Pod/" + pod_key;
    const std::string pod_rv = str_at(*pod, {"metadata", "resourceVersion"});
    auto cached = [&](std::string_view section, const char* field) {
      const Value* v = pod->find({"metadata", section, field});
      return expectations_.seen(pod_object, pod_rv, field,
                                v != nullptr ? std::optional<std::string>(v->str()) : std::nullopt);
    };
    // docs/api.md: pods are judged as they are. One that violates what its owner's template
    // does not (an ephemeral container, a spec changed since) carries the annotations itself and
    // is quarantined itself under Enforce + Quarantine; the owner's verdict does not change.
    const PodVerdict own = judge_pod(*pod, judged, context);
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
        {kPoliciesAnnotation, beyond ? std::optional(join(own.policies)) : std::nullopt}};
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
    try {
      const auto answer = writer_.merge_patch(kube::resources::kPods, ns,
                                              pod_key.substr(pod_key.find('/') + 1), patch);
      if (!answer) continue;  // the pod went meanwhile
      expectations_.expect(pod_object, pod_rv, str_at(*answer, {"metadata", "resourceVersion"}),
                           written);
      if (on_action_) on_action_(action, true);
    } catch (const kube::ApiError&) {
      if (on_action_) on_action_(action, false);
      throw;
    }
    if (label_changes) (want_label ? labelled : released)++;
    if (beyond && cached("annotations", kViolationsAnnotation) != std::optional(own.violations)) {
      events_.record({"v1", "Pod", ns, pod_key.substr(pod_key.find('/') + 1),
                      str_at(*pod, {"metadata", "uid"}), pod_rv},
                     EventType::kWarning, event_reasons::kPolicyViolation,
                     "the pod itself violates " + own.violations +
                         ", beyond its owner's template "
                         "(policies " +
                         join(own.policies) + ")");
    }
  }
  return {labelled, released};
}

WorkloadPostureReconciler::Holds WorkloadPostureReconciler::holds_of(
    const std::vector<LoadedPolicy>& policies, std::string_view kind, const Value& object) const {
  Holds holds;
  const std::string listed = str_at(object, {"metadata", "annotations", kPoliciesAnnotation});
  if (listed.empty()) return holds;
  const auto names = split(listed);
  const Value* scaled_by = object.find({"metadata", "annotations", kScaledByAnnotation});
  const auto scaling = scaling_policies(
      scaled_by != nullptr ? std::optional<std::string>(scaled_by->str()) : std::nullopt,
      str_at(object, {"metadata", "uid"}));
  for (const auto& p : policies) {
    if (p.valid() || p.deleting) continue;
    if (std::find(names.begin(), names.end(), p.policy.name) == names.end()) continue;
    holds.policies.push_back(p.policy.name);
    if (std::find(scaling.begin(), scaling.end(), p.uid) != scaling.end()) {
      holds.scalers.push_back(p.uid);
    }
  }
  if (holds.policies.empty()) return holds;
  for (const auto& pod_key : pod_keys_of(kind, object)) {
    auto pod = sources_.workloads.pods.get(pod_key);
    if (pod != nullptr && str_at(*pod, {"metadata", "labels", kQuarantineLabel}) == "true") {
      holds.quarantine = true;
    }
  }
  return holds;
}

// What the controls read beyond the workload, each with why it is missing when it is: an input
// Bulwark may no longer read (InputAccess) leaves its controls not evaluated. `permissions` and
// `vulnerabilities` are the caller's, and the context points at them.
posture::EvaluationContext WorkloadPostureReconciler::evaluation_context(
    const rbac::Account& account, std::chrono::system_clock::time_point now,
    const std::optional<posture::VulnerabilityCounts>& vulnerabilities,
    std::shared_ptr<const rbac::Permissions>& permissions) const {
  posture::EvaluationContext context{now};
  context.pods_as_stored = true;
  add_account_inputs(context, sources_.access, sources_.rbac, account, permissions);
  const auto reports_unread = sources_.access != nullptr
                                  ? sources_.access->unreadable("vulnerabilityreports")
                                  : std::nullopt;
  context.vulnerabilities = vulnerabilities && !reports_unread ? &*vulnerabilities : nullptr;
  context.vulnerabilities_unread =
      reports_unread ? *reports_unread
      : sources_.vulnerabilities == nullptr
          ? "Trivy Operator's VulnerabilityReport (aquasecurity.github.io/v1alpha1) is not served"
          : "no VulnerabilityReport for its images yet";
  return context;
}

std::optional<posture::VulnerabilityCounts> WorkloadPostureReconciler::vulnerabilities_for(
    const Target& t, const std::vector<LoadedPolicy>& policies) const {
  const bool wanted = std::any_of(policies.begin(), policies.end(), [](const auto& p) {
    return p.active() && p.policy.spec.images.max_severity.has_value();
  });
  if (!wanted || sources_.vulnerabilities == nullptr) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> subjects{{t.kind, t.name}};
  if (t.kind == "Deployment") {  // a Deployment's reports are about its ReplicaSets
    for (const auto& rs : sources_.workloads.replicasets.keys_owned_by(t.ref.uid)) {
      subjects.emplace_back("ReplicaSet", rs.substr(rs.find('/') + 1));
    }
  }
  return sources_.vulnerabilities->counts(t.ns, subjects);
}

namespace {

// A second past the instant, so the exemption has surely lapsed when it runs; never more than a
// day out, so a far expiry (up to the year 9999) holds no huge timer.
runtime::Result requeue_at(std::optional<std::chrono::system_clock::time_point> instant,
                           std::chrono::system_clock::time_point now) {
  if (!instant) return {};
  constexpr auto kMaxWait = std::chrono::hours(24);
  const auto wait = *instant - now;
  return {wait >= kMaxWait
              ? std::chrono::duration_cast<base::Clock::Duration>(kMaxWait)
              : std::chrono::duration_cast<base::Clock::Duration>(wait) + std::chrono::seconds(1)};
}

}  // namespace

std::optional<WorkloadPostureReconciler::Target> WorkloadPostureReconciler::target_of(
    const std::string& key) const {
  const auto first = key.find('/');
  const auto second = key.find('/', first + 1);
  if (first == std::string::npos || second == std::string::npos) return std::nullopt;
  Target t;
  t.key = key;
  t.kind = key.substr(0, first);
  t.ns = key.substr(first + 1, second - first - 1);
  t.name = key.substr(second + 1);
  const posture::WorkloadKind* row = posture::find_workload_kind(t.kind);
  if (row == nullptr) return std::nullopt;
  t.type = {std::string(row->group), std::string(row->version), std::string(row->resource), true};
  t.object = sources_.workloads.of(t.kind)->get(t.ns + "/" + t.name);
  t.ref = {(row->group.empty() ? "" : std::string(row->group) + "/") + std::string(row->version),
           t.kind,
           t.ns,
           t.name,
           t.object != nullptr ? str_at(*t.object, {"metadata", "uid"}) : "",
           t.object != nullptr ? str_at(*t.object, {"metadata", "resourceVersion"}) : ""};
  return t;
}

runtime::Result WorkloadPostureReconciler::reconcile(const std::string& key) {
  const auto target = target_of(key);
  if (!target) return {};
  const Target& t = *target;
  if (never_touched(never_touch_, t.ns)) return {};
  if (t.object == nullptr || t.object->find({"metadata", "deletionTimestamp"}) != nullptr ||
      top_owner_key(t.kind, *t.object, sources_.workloads) != key) {
    book_.erase(key);  // gone, going, or judged as part of its owner
    if (on_verdict_) on_verdict_(key, false);
    return {};
  }
  if (awaiting_owner(*t.object, t.kind, sources_.workloads, clock_.wall_now())) {
    return {std::chrono::seconds(2)};  // its owner's watch event is on its way
  }
  const auto workload = posture::workload_from(*t.object, t.kind);
  if (!workload) return {};

  crds::Labels namespace_labels;
  if (auto n = sources_.namespaces.get(t.ns)) namespace_labels = labels_of(*n);
  const auto policies = sources_.policies.current();
  const auto vulnerabilities = vulnerabilities_for(t, *policies);
  const auto now = clock_.wall_now();
  // Held for the judgement: a change to the account's RBAC meanwhile makes a new one.
  const rbac::Account account{t.ns, posture::service_account_of(*workload)};
  std::shared_ptr<const rbac::Permissions> permissions;
  const posture::EvaluationContext context =
      evaluation_context(account, now, vulnerabilities, permissions);
  WorkloadJudgement judgement =
      judge_workload(*workload, t.kind, t.ns, namespace_labels, *policies, context,
                     quarantine_blocked(t.ns), not_held(t.ns, *workload));
  WorkloadRecord record{t.ns, t.kind, t.name, judgement.outcomes};
  // Unreadable policies the workload is listed under keep what they hold, and nothing more.
  const Holds holds = holds_of(*policies, t.kind, *t.object);
  if (!holds.policies.empty()) {
    judgement.quarantine = judgement.quarantine || holds.quarantine;
    judgement.scalers.insert(judgement.scalers.end(), holds.scalers.begin(), holds.scalers.end());
    judgement.selecting.insert(judgement.selecting.end(), holds.policies.begin(),
                               holds.policies.end());
    std::sort(judgement.selecting.begin(), judgement.selecting.end());
    logging::debug(key + ": held by unreadable policies " + join(holds.policies));
  }

  // Pods first: once the workload's annotations say it is released, its pods are too, which is
  // what the policy finalizer relies on.
  Written w;
  if (t.kind != "Pod") {
    std::tie(w.labelled, w.released) = write_pods(t.ns, pod_keys_of(t.kind, *t.object),
                                                  judgement.quarantine, judgement.judged, context);
  }
  if (!write_workload(t, judgement, !holds.policies.empty(), *policies, w)) return {};
  w.counted_before = book_.enforced(key);
  record_events(t, judgement, w);

  if (record.outcomes.empty()) {
    book_.erase(key);
  } else {
    book_.put(key, std::move(record));
  }
  if (sources_.reports != nullptr) {
    const std::string api_version =
        t.type.group.empty() ? t.type.version : t.type.group + "/" + t.type.version;
    sources_.reports->keep(
        {api_version, t.kind, t.name, t.ns, str_at(*t.object, {"metadata", "uid"})}, judgement,
        !holds.policies.empty());
  }
  if (on_verdict_) on_verdict_(key, w.annotations_changed);
  return requeue_at(judgement.next_expiry, now);
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

}  // namespace

void WorkloadPostureReconciler::record_events(const Target& t, const WorkloadJudgement& j,
                                              const Written& w) {
  const std::string violations = join({j.controls.begin(), j.controls.end()});
  const bool newly_violating =
      j.posture == posture::Posture::kViolating &&
      (w.posture_before != "violating" || w.violations_before != std::optional(violations));
  if (newly_violating) {
    events_.record(t.ref, EventType::kWarning, event_reasons::kPolicyViolation,
                   "violates " + violations + " (policies " + join(j.selecting) + ")" +
                       details_of(j.outcomes));
  }
  // Said with the violation, or when a quarantine counted before stopped holding (a name taken,
  // or another NetworkPolicy opening the pods, after the fact).
  const bool counted_now = std::any_of(j.outcomes.begin(), j.outcomes.end(),
                                       [](const PolicyOutcome& o) { return o.enforced; });
  if (j.quarantine_not_enforced &&
      (newly_violating || w.released > 0 || (w.counted_before && !counted_now))) {
    const std::string_view why = *j.quarantine_not_enforced;
    events_.record(
        t.ref, EventType::kWarning, event_reasons::kQuarantineNotEnforced,
        std::string(why) +
            (why == "HostNetwork"
                 ? ": its pods use the host network, which NetworkPolicy does not isolate; they "
                   "are not labelled or counted as quarantined"
             : why == "NameConflict"
                 ? ": the namespace's NetworkPolicy " + std::string(kQuarantinePolicyName) +
                       " is not Bulwark's; its pods are not labelled or counted as quarantined"
             : why == "NetworkPoliciesUnreadable"
                 ? std::string(": Bulwark may no longer read NetworkPolicies, so whether its "
                               "labelled pods are isolated is not known; they are not counted as "
                               "quarantined")
                 : ": another NetworkPolicy selecting its labelled pods lets traffic in or out "
                   "(NetworkPolicies add up); they are not counted as quarantined"));
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
  if (t.kind != "Deployment" && t.kind != "StatefulSet") return;
  // A replica count is written only over the very object it was read from: a count the user set
  // since (which the cache may not show yet) makes the patch fail with 409 and be judged again.
  const std::string rv = str_at(*t.object, {"metadata", "resourceVersion"});
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
    patch.set({"spec", "replicas"}, Value::integer(0)).require_resource_version(rv);
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
      patch.set({"spec", "replicas"}, Value::integer(*recorded)).require_resource_version(rv);
      w.replica_action = Remediation::kRestoreReplicas;
      written["spec.replicas"] = *w.recorded;
    }
  }
}

bool WorkloadPostureReconciler::write_workload(const Target& t, const WorkloadJudgement& j,
                                               bool holding,
                                               const std::vector<LoadedPolicy>& policies,
                                               Written& w) {
  const std::string rv = str_at(*t.object, {"metadata", "resourceVersion"});
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
  const std::string violations = join({j.controls.begin(), j.controls.end()});
  const std::string unread = join({j.not_evaluated.begin(), j.not_evaluated.end()});
  w.posture_before = annotation(kPostureAnnotation).value_or("");
  w.violations_before = annotation(kViolationsAnnotation);
  if (!holding) {  // an unreadable policy's verdict is unknown: what was written stands
    set(kPostureAnnotation, posture.empty() ? std::nullopt : std::optional(posture));
    set(kViolationsAnnotation, violations.empty() ? std::nullopt : std::optional(violations));
    set(kNotEvaluatedAnnotation, unread.empty() ? std::nullopt : std::optional(unread));
  }
  set(kPoliciesAnnotation, j.selecting.empty() ? std::nullopt : std::optional(join(j.selecting)));
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
  return patch_workload(t, patch, rv, std::move(written), w, posture, violations);
}

bool WorkloadPostureReconciler::patch_workload(const Target& t, const kube::MergePatch& patch,
                                               const std::string& rv, Expectations::Fields written,
                                               const Written& w, const std::string& posture,
                                               const std::string& violations) {
  auto act = [&](Remediation action, bool ok) {
    if (on_action_) on_action_(action, ok);
  };
  const bool label_changed = written.count(kQuarantineLabel) > 0;
  const bool labelled = label_changed && written[kQuarantineLabel].has_value();
  try {
    const auto answer = writer_.merge_patch(t.type, t.ns, t.name, patch);
    if (!answer) return false;  // it went meanwhile
    expectations_.expect(t.key, rv, str_at(*answer, {"metadata", "resourceVersion"}),
                         std::move(written));
    if (label_changed) act(labelled ? Remediation::kQuarantine : Remediation::kRelease, true);
    if (w.annotations_changed) act(Remediation::kAnnotate, true);
    if (w.replica_action) act(*w.replica_action, true);
  } catch (const kube::ApiError&) {
    act(w.replica_action.value_or(Remediation::kAnnotate), false);
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

namespace {

// Each policy's judging state as last routed, so that a policy event re-judges every workload
// only when how the policy judges changed: not for the status writes that follow every change of
// standing. Used by the fan-out worker; locked all the same.
class PolicyChanges {
 public:
  explicit PolicyChanges(const runtime::CacheReader& policies) : policies_(policies) {}
  bool changed(const std::string& name) {
    auto object = policies_.get(name);
    std::lock_guard lock(mu_);
    if (object == nullptr) {
      seen_.erase(name);
      return true;  // deleted: what it held is released
    }
    const PolicyJudgingState state = judging_state(*object);
    auto [it, added] = seen_.try_emplace(name, state);
    if (added) return true;
    if (it->second == state) return false;
    it->second = state;
    return true;
  }

 private:
  const runtime::CacheReader& policies_;
  std::mutex mu_;
  std::map<std::string, PolicyJudgingState> seen_;  // guarded by mu_
};

// Counts each posture reconcile toward the pass it is part of, and logs the pass's end.
class PassCountingReconciler : public runtime::Reconciler {
 public:
  PassCountingReconciler(std::unique_ptr<WorkloadPostureReconciler> inner,
                         std::shared_ptr<PosturePass> pass)
      : inner_(std::move(inner)), pass_(std::move(pass)) {}
  runtime::Result reconcile(const std::string& key) override {
    try {
      const auto result = inner_->reconcile(key);
      finish(key);
      return result;
    } catch (...) {
      finish(key);
      throw;
    }
  }

 private:
  void finish(const std::string& key) {
    if (const auto line = pass_->done(key); !line.empty()) {
      logging::info(line);
      runtime::release_free_memory();
    }
  }
  std::unique_ptr<WorkloadPostureReconciler> inner_;
  std::shared_ptr<PosturePass> pass_;
};

// What the fan-out worker routes with.
struct Routing {
  Routing(const WorkloadPostureReconciler& posture, const runtime::CacheReader* reports,
          runtime::WorkQueue& posture_queue, const runtime::CacheReader& policies,
          std::shared_ptr<PosturePass> pass)
      : posture(posture),
        reports(reports),
        posture_queue(posture_queue),
        policy_changes(policies),
        pass(std::move(pass)) {}
  const WorkloadPostureReconciler& posture;
  const runtime::CacheReader* reports;
  runtime::WorkQueue& posture_queue;
  PolicyChanges policy_changes;
  std::shared_ptr<PosturePass> pass;
  std::once_flag first;  // the first event routed begins the start's pass
};

// The fan-out loop's worker: routes one typed event to posture keys.
void route(const FanoutEvent& e, Routing& r, const PostureHooks& hooks) {
  using Type = FanoutEvent::Type;
  const WorkloadPostureReconciler& posture = r.posture;
  runtime::WorkQueue& posture_queue = r.posture_queue;
  // Controllers start once every cache has synced: every workload is judged now.
  std::call_once(r.first, [&] { r.pass->begin("start", posture.all_keys()); });
  if (e.type == Type::kPolicy && !r.policy_changes.changed(e.object)) return;
  if (e.type == Type::kEverything || e.type == Type::kPolicy) {
    const auto keys = posture.all_keys();
    r.pass->begin(e.type == Type::kEverything ? "resync" : "policy " + e.object, keys);
    for (const auto& k : keys) posture_queue.add(k);
    return;
  }
  if (e.type == Type::kAccount) {
    for (const auto& k : posture.keys_running_as(e.object)) {
      if (hooks.event_routed) hooks.event_routed(e.key(), k);
      posture_queue.add(k);
    }
    return;
  }
  std::string kind = e.type == Type::kNamespace ? "Namespace" : e.kind, object = e.object;
  if (e.type == Type::kVulnerabilityReport) {
    auto report = r.reports != nullptr ? r.reports->get(e.object) : nullptr;
    if (report == nullptr) return;  // the next resync judges without it
    const auto about = report_subject(*report);
    if (!about) return;
    kind = about->first;
    object = object.substr(0, object.find('/') + 1) + about->second;
  }
  for (const auto& k : posture.keys_for(kind, object)) {
    if (hooks.event_routed) hooks.event_routed(e.key(), k);
    posture_queue.add(k);
  }
}

// The RBAC caches update the index on the reflector's thread, before anything they enqueue can be
// reconciled (as the policy set is invalidated first), so a reconcile never reads permissions from
// before the change; each change re-judges exactly the workloads running as the accounts it
// affects.
void watch_rbac(runtime::Manager& manager, RbacIndex& index, runtime::WorkQueue& fanout) {
  for (auto name : kRbacCaches) {
    const runtime::CacheReader& cache = manager.cache(std::string(name));
    manager.cache(std::string(name))
        .add_handler([&index, &cache, &fanout, name](const std::string& key) {
          const rbac::Affected affected = index.apply(name, key, cache);
          if (affected.all) {
            fanout.add(FanoutEvent::everything().key());
            return;
          }
          for (const auto& ns : affected.namespaces)
            fanout.add(FanoutEvent::of_namespace(ns).key());
          for (const auto& a : affected.accounts) {
            fanout.add(FanoutEvent::of_account(a.namespace_name + "/" + a.name).key());
          }
        });
  }
}

}  // namespace

std::function<bool()> setup_workload_posture(runtime::Manager& manager, kube::ObjectWriter& writer,
                                             WorkloadPostureReconciler::Sources sources,
                                             PostureBook& book, EventRecorder& events,
                                             const base::Clock& clock,
                                             std::vector<std::string> never_touch, int workers,
                                             PostureHooks hooks) {
  auto r = std::make_unique<WorkloadPostureReconciler>(writer, sources, book, events, clock,
                                                       std::move(never_touch));
  const WorkloadPostureReconciler& posture = *r;
  auto pass = std::make_shared<PosturePass>(clock);
  r->set_action_observer(hooks.on_action);
  r->set_verdict_observer(
      [pass, on_verdict = hooks.on_verdict](const std::string& key, bool changed) {
        if (changed) pass->changed(key);
        if (on_verdict) on_verdict(key, changed);
      });
  r->set_quiet([pass](const std::string& key) { return pass->in_pass(key); });
  runtime::WorkQueue& posture_queue = manager.add_controller(
      "posture", std::make_unique<PassCountingReconciler>(std::move(r), pass), workers);
  auto routing = std::make_shared<Routing>(posture, manager.find_cache("vulnerabilityreports"),
                                           posture_queue, manager.cache("securitypolicies"), pass);
  runtime::WorkQueue& fanout = manager.add_controller(
      "fan-out",
      std::make_unique<runtime::FunctionReconciler>([routing, hooks](const std::string& key) {
        if (auto e = FanoutEvent::parse(key)) route(*e, *routing, hooks);
        return runtime::Result{};
      }),
      1);
  for (const auto& w : kWorkloadKinds) {
    manager.cache(std::string(w.resource))
        .add_handler([&fanout, hooks, kind = std::string(w.kind)](const std::string& key) {
          const auto event = FanoutEvent::of_workload(kind, key);
          if (hooks.event_seen) hooks.event_seen(event.key());
          fanout.add(event.key());
        });
  }
  manager.cache("namespaces").add_handler([&fanout](const std::string& ns) {
    fanout.add(FanoutEvent::of_namespace(ns).key());
  });
  if (sources.ownership != nullptr) {
    // A name taken or freed changes whether the namespace's workloads can be quarantined, and
    // any NetworkPolicy of the namespace whether a quarantine holds (quarantine_not_held).
    sources.ownership->add_listener(
        [&fanout](const std::string& ns) { fanout.add(FanoutEvent::of_namespace(ns).key()); });
    manager.cache("networkpolicies").add_handler([&fanout](const std::string& key) {
      fanout.add(FanoutEvent::of_namespace(key.substr(0, key.find('/'))).key());
    });
  }
  manager.cache("securitypolicies").add_handler([&fanout](const std::string& name) {
    fanout.add(FanoutEvent::of_policy(name).key());
  });
  if (auto* reports = manager.find_cache("reports")) {
    // A report edited or deleted by someone else is judged again now, not at the next resync:
    // "ns/kind-name" names its workload (reports::report_name; a cut, hashed name is left to the
    // resync).
    reports->add_handler([&fanout](const std::string& key) {
      const auto slash = key.find('/'), dash = key.find('-', slash);
      if (slash == std::string::npos || dash == std::string::npos) return;
      const std::string lower = key.substr(slash + 1, dash - slash - 1);
      for (const auto& w : kWorkloadKinds) {
        std::string kind(w.kind);
        std::transform(kind.begin(), kind.end(), kind.begin(), ::tolower);
        if (kind != lower) continue;
        fanout.add(FanoutEvent::of_workload(std::string(w.kind),
                                            key.substr(0, slash) + "/" + key.substr(dash + 1))
                       .key());
      }
    });
  }
  if (auto* served = manager.find_cache("vulnerabilityreports")) {
    served->add_handler(
        [&fanout](const std::string& key) { fanout.add(FanoutEvent::of_report(key).key()); });
  }
  if (sources.rbac != nullptr) watch_rbac(manager, *sources.rbac, fanout);
  manager.on_resync([&fanout] { fanout.add(FanoutEvent::everything().key()); });
  // Latched by the caller; checked in this order, as the fan-out loop feeds the posture loop.
  return [&fanout, &posture_queue] { return fanout.idle() && posture_queue.idle(); };
}

}  // namespace bulwark::reconcilers
