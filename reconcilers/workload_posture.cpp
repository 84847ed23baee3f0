#include "reconcilers/workload_posture.h"

#include <algorithm>
#include <mutex>
#include <set>

#include "operator/logging/logging.h"
#include "operator/runtime/allocator.h"
#include "reconcilers/fanout_event.h"
#include "reconcilers/input_access.h"
#include "reconcilers/managed_network_policy.h"
#include "reconcilers/network_inputs.h"
#include "reconcilers/posture_pass.h"
#include "reconcilers/workload_judgement.h"

namespace bulwark::reconcilers {

using document::Value;

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

bool WorkloadPostureReconciler::judges_network() const {
  const auto policies = sources_.policies.current();
  return std::any_of(policies->begin(), policies->end(), [](const LoadedPolicy& p) {
    return !p.active() || !p.policy.spec.network.forbid.empty() ||
           enforces(p.policy.spec, crds::EnforcementAction::kQuarantine);
  });
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

std::vector<std::string> WorkloadPostureReconciler::keys_selected(
    const std::string& ns, const Selection& selection) const {
  return workloads_selected(sources_.workloads, ns, selection);
}

std::vector<std::string> WorkloadPostureReconciler::pod_keys_of(std::string_view kind,
                                                                const Value& object) const {
  const std::string uid = document::text_at(object, {"metadata", "uid"});
  if (kind == "Pod")
    return {document::text_at(object, {"metadata", "namespace"}) + "/" +
            document::text_at(object, {"metadata", "name"})};
  std::vector<std::string> pods;
  auto owned_pods = [&](const std::string& owner_uid) {
    for (const auto& key : sources_.workloads.pods.keys_owned_by(owner_uid)) pods.push_back(key);
  };
  auto via = [&](const runtime::CacheReader& middle) {
    for (const auto& key : middle.keys_owned_by(uid)) {
      if (auto m = middle.get(key)) owned_pods(document::text_at(*m, {"metadata", "uid"}));
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

std::optional<QuarantineGap> WorkloadPostureReconciler::not_held(
    const Target& t, const posture::Workload& workload) const {
  if (sources_.ownership != nullptr && sources_.network_policies != nullptr) {
    // What the cache holds may be stale: a quarantine is then not counted, and said so.
    if (sources_.access != nullptr && sources_.access->unreadable(ControlInput::kNetworkPolicies)) {
      return QuarantineGap{kNetworkPoliciesUnreadable, ""};
    }
    std::vector<crds::Labels> pods;
    for (const auto& key : pod_keys_of(t.kind, *t.object)) {
      if (const auto pod = sources_.workloads.pods.get(key)) pods.push_back(labels_of(*pod));
    }
    if (auto why = quarantine_not_held(*sources_.network_policies, *sources_.ownership, t.ns,
                                       t.kind, template_labels_of(workload), pods)) {
      return why;
    }
  }
  if (on_node_not_enforcing(t)) return QuarantineGap{kNodeNotEnforcing, ""};
  return std::nullopt;
}

bool WorkloadPostureReconciler::on_node_not_enforcing(const Target& t) const {
  const EnforcementBook* book = sources_.enforcement;
  if (book == nullptr) return false;
  const bool any = book->any_not_enforcing();
  if (t.kind == "Pod") {
    return any && book->not_enforcing(document::text_at(*t.object, {"spec", "nodeName"}));
  }
  const auto keys = pod_keys_of(t.kind, *t.object);
  // Where pods it has none of would run is not known: held (a scale to zero stays) until every
  // node is proven to enforce.
  if (keys.empty()) return any || book->unproven();
  return any && std::any_of(keys.begin(), keys.end(), [&](const std::string& key) {
           const auto pod = sources_.workloads.pods.get(key);
           return pod != nullptr &&
                  book->not_enforcing(document::text_at(*pod, {"spec", "nodeName"}));
         });
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
  if (!out.policies.empty()) out.violations = join_values({controls.begin(), controls.end()});
  out.controls = std::move(controls);
  return out;
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
                                  ? sources_.access->unreadable(ControlInput::kVulnerabilityReports)
                                  : std::nullopt;
  context.vulnerabilities = vulnerabilities && !reports_unread ? &*vulnerabilities : nullptr;
  context.vulnerabilities_unread =
      reports_unread ? *reports_unread
      : sources_.vulnerabilities == nullptr
          ? "Trivy Operator's VulnerabilityReport (aquasecurity.github.io/v1alpha1) is not served"
          : "no VulnerabilityReport for its images yet";
  return context;
}

void WorkloadPostureReconciler::keep(WorkloadJudgement& judgement, const Holds& holds,
                                     bool listed) {
  judgement.quarantine = judgement.quarantine || holds.quarantine;
  judgement.scalers.insert(judgement.scalers.end(), holds.scalers.begin(), holds.scalers.end());
  if (!listed) return;
  judgement.selecting.insert(judgement.selecting.end(), holds.policies.begin(),
                             holds.policies.end());
  std::sort(judgement.selecting.begin(), judgement.selecting.end());
}

void WorkloadPostureReconciler::add_signatures(const Target& t, const posture::Workload& workload,
                                               const crds::Labels& namespace_labels,
                                               const std::vector<LoadedPolicy>& policies,
                                               WorkloadSignatures& out,
                                               posture::EvaluationContext& context) const {
  if (sources_.images == nullptr) {
    context.image_signatures_unread = "this replica verifies no image signatures";
    return;
  }
  // The pods are looked up only where some policy asks for signatures: a hot path at scale.
  if (std::none_of(policies.begin(), policies.end(), [](const LoadedPolicy& p) {
        return p.active() && !p.policy.spec.images.verify.empty();
      })) {
    return;
  }
  std::vector<runtime::CacheReader::Object> held;  // what `pods` points into
  std::vector<const Value*> pods;
  if (t.kind == "Pod") {
    pods.push_back(t.object.get());
  } else {
    for (const auto& key : pod_keys_of(t.kind, *t.object)) {
      if (auto pod = sources_.workloads.pods.get(key)) {
        pods.push_back(pod.get());
        held.push_back(std::move(pod));
      }
    }
  }
  const auto selects = [&](const LoadedPolicy& p) {
    return selects_namespace(p.policy.spec, t.ns, namespace_labels) &&
           p.evaluator->selects(workload, &namespace_labels);
  };
  out = workload_signatures(*sources_.images, policies, selects,
                            running_images(*workload.pod_spec, pods));
  context.image_signatures = &out.by_entries;
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
// A signature not final (being verified, or its registry failing) is judged again `again` later,
// if that comes first.
runtime::Result requeue_at(std::optional<std::chrono::system_clock::time_point> instant,
                           std::chrono::system_clock::time_point now,
                           std::optional<std::chrono::milliseconds> again) {
  std::optional<base::Clock::Duration> after;
  if (instant) {
    constexpr auto kMaxWait = std::chrono::hours(24);
    const auto wait = *instant - now;
    after = wait >= kMaxWait
                ? std::chrono::duration_cast<base::Clock::Duration>(kMaxWait)
                : std::chrono::duration_cast<base::Clock::Duration>(wait) + std::chrono::seconds(1);
  }
  if (again) {
    const auto d = std::chrono::duration_cast<base::Clock::Duration>(*again);
    after = std::min(after.value_or(d), d);
  }
  return {after};
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
  t.ref = {
      (row->group.empty() ? "" : std::string(row->group) + "/") + std::string(row->version),
      t.kind,
      t.ns,
      t.name,
      t.object != nullptr ? document::text_at(*t.object, {"metadata", "uid"}) : "",
      t.object != nullptr ? document::text_at(*t.object, {"metadata", "resourceVersion"}) : ""};
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
  posture::EvaluationContext context =
      evaluation_context(account, now, vulnerabilities, permissions);
  std::optional<network::NetworkModel> network;  // held for the judgement, as `permissions`
  add_network_input(t.ns, *policies,
                    {sources_.network_policies, sources_.services, sources_.access}, network,
                    context);
  WorkloadSignatures signatures;  // held for the judgement, as `network`
  add_signatures(t, *workload, namespace_labels, *policies, signatures, context);
  // Whether the label would isolate the pods is read (every NetworkPolicy of the namespace) only
  // where an active policy quarantines: judge_workload reads it for those alone.
  const bool quarantining = std::any_of(policies->begin(), policies->end(), [](const auto& p) {
    return p.active() && enforces(p.policy.spec, crds::EnforcementAction::kQuarantine);
  });
  WorkloadJudgement judgement = judge_workload(
      *workload, t.kind, t.ns, namespace_labels, *policies, context, quarantine_blocked(t.ns),
      quarantining ? not_held(t, *workload) : std::nullopt);
  WorkloadRecord record{t.ns, t.kind, t.name, judgement.outcomes};
  // Unreadable policies the workload is listed under keep what they hold, and nothing more.
  keep(judgement, held_while_unverified(judgement, t.kind, *t.object), false);
  const Holds holds = holds_of(*policies, t.kind, *t.object);
  if (!holds.policies.empty()) {
    keep(judgement, holds, true);
    logging::debug(key + ": held by unreadable policies " + join_values(holds.policies));
  }

  // Pods first: once the workload's annotations say it is released, its pods are too, which is
  // what the policy finalizer relies on.
  Written w;
  if (t.kind != "Pod") {
    std::tie(w.labelled, w.released) =
        write_pods(t.ns, pod_keys_of(t.kind, *t.object), judgement, context);
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
        {api_version, t.kind, t.name, t.ns, document::text_at(*t.object, {"metadata", "uid"})},
        judgement, !holds.policies.empty());
  }
  if (on_verdict_) on_verdict_(key, w.annotations_changed);
  return requeue_at(judgement.next_expiry, now, signatures.again);
}

}  // namespace bulwark::reconcilers
