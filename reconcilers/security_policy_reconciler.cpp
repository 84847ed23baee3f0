#include "reconcilers/security_policy_reconciler.h"

#include <algorithm>

#include "operator/base/time_text.h"
#include "operator/document/reader.h"
#include "operator/kube/client_writer.h"
#include "operator/logging/logging.h"
#include "operator/posture/engine.h"
#include "reconcilers/caches.h"
#include "reconcilers/input_access.h"
#include "reconcilers/managed_network_policy.h"
#include "reconcilers/namespace_findings.h"

namespace bulwark::reconcilers {

using document::Value;
using kube::Condition;
using kube::ConditionStatus;
namespace types = policy_conditions;
namespace reasons = policy_reasons;

namespace {

Condition condition(std::string_view type, ConditionStatus status, std::string_view reason,
                    std::string message = "") {
  return {std::string(type), status, std::string(reason), std::move(message), 0, ""};
}

// Unknown/NotEvaluated: `reason` (what Bulwark may no longer read) and what is therefore unknown.
Condition not_evaluated(std::string_view type, const std::string& reason, std::string_view what) {
  return condition(
      type, ConditionStatus::kUnknown, reasons::kNotEvaluated,
      reason + ": " + std::string(what) + " is not known until Bulwark can read them again");
}

std::string field(const Value* node, std::string_view key) {
  const Value* v = node != nullptr ? node->find(key) : nullptr;
  return v != nullptr ? std::string(v->str()) : std::string();
}

// Namespace findings go first in the list (docs/api.md); they are not workloads and do not
// count in the summary or the score.
void add_namespace_findings(PolicySummary& summary, const std::vector<std::string>& namespaces) {
  std::vector<PolicySummary::Entry> entries;
  for (const auto& ns : namespaces) {
    entries.push_back(
        {ns, "Namespace", ns, {kNetworkDefaultDenyControl}, crds::Severity::kHigh, {}});
  }
  summary.violations.insert(summary.violations.begin(), entries.begin(), entries.end());
  if (summary.violations.size() > kMaxStatusViolations) {
    summary.violations.resize(kMaxStatusViolations);
  }
}

// Whether `object`'s owner references name the policy with `policy_uid`.
bool owned_by(const Value& object, const std::string& policy_uid) {
  const auto& refs = document::items_of(object.find({"metadata", "ownerReferences"}));
  return std::any_of(refs.begin(), refs.end(), [&](const Value& ref) {
    const Value* uid = ref.find("uid");
    return uid != nullptr && uid->str() == policy_uid;
  });
}

// How the Ready message names one lapsed exemption.
std::string lapse_text(const LapsedExemption& e) {
  return e.name + " (spec.exemptions[" + std::to_string(e.index) + "], expired " +
         base::format_rfc3339(e.expired) + ")";
}

// Harden's scope changes at an exemption's lapse; the condition follows bulwark-harden being
// installed or removed, which no cache here watches: asked again every 15 seconds.
void requeue_for_harden(const HardenScope& scope, std::chrono::system_clock::time_point now,
                        runtime::Result& done) {
  auto until = std::chrono::duration_cast<base::Clock::Duration>(std::chrono::seconds(15));
  if (scope.next_change) {
    until = std::min(until, std::chrono::duration_cast<base::Clock::Duration>(
                                *scope.next_change - now + std::chrono::seconds(1)));
  }
  if (!done.requeue_after || until < *done.requeue_after) done.requeue_after = until;
}

}  // namespace

SecurityPolicyReconciler::SecurityPolicyReconciler(
    kube::ObjectWriter& writer, kube::StatusWriter& status_writer, Sources sources,
    const PostureBook& book, const base::Clock& clock, bool vulnerability_reports_served,
    std::function<bool()> book_complete, std::vector<std::string> never_touch)
    : writer_(writer),
      status_writer_(status_writer),
      sources_(sources),
      book_(book),
      clock_(clock),
      reports_served_(vulnerability_reports_served),
      book_complete_(std::move(book_complete)),
      never_touch_(std::move(never_touch)) {}

Condition SecurityPolicyReconciler::ready_condition(const std::vector<crds::FieldError>& errors) {
  if (errors.empty()) {
    return condition(types::kReady, ConditionStatus::kTrue, reasons::kReconciled);
  }
  std::string message;
  for (const auto& e : errors) {
    if (!message.empty()) message += "; ";
    message += e.field + ": " + e.message;
  }
  if (message.size() > 1000) message = message.substr(0, 1000) + "...";
  return condition(types::kReady, ConditionStatus::kFalse, reasons::kInvalidSpec, message);
}

Condition SecurityPolicyReconciler::held_condition(const Observed& observed) {
  const auto type = types::kNetworkPoliciesHeld;
  if (observed.unreadable) {
    return not_evaluated(type, *observed.unreadable,
                         "whether Bulwark holds the NetworkPolicies this policy needs");
  }
  const auto& conflicted = observed.taken;
  if (conflicted.empty() && observed.pending > 0) {
    return condition(type, ConditionStatus::kFalse, reasons::kPending,
                     std::to_string(observed.pending) +
                         " of the NetworkPolicies this policy needs are not there yet (being "
                         "created)");
  }
  if (conflicted.empty()) {
    return condition(type, ConditionStatus::kTrue, reasons::kHeld,
                     "Bulwark holds the NetworkPolicies this policy needs in every selected "
                     "namespace");
  }
  std::string names;
  for (std::size_t i = 0; i < conflicted.size() && i < 20; ++i) {
    names += (i == 0 ? "" : ", ") + conflicted[i];
  }
  if (conflicted.size() > 20) names += " and " + std::to_string(conflicted.size() - 20) + " more";
  return condition(type, ConditionStatus::kFalse, reasons::kNameTaken,
                   "a NetworkPolicy Bulwark did not create holds bulwark-default-deny or "
                   "bulwark-quarantine in " +
                       std::to_string(conflicted.size()) +
                       (conflicted.size() == 1 ? " namespace" : " namespaces") + " (" + names +
                       "): not enforced there, and their workloads are not counted as "
                       "quarantined; delete or rename those objects");
}

Condition SecurityPolicyReconciler::isolated_condition(const NamespaceFindings& findings) {
  const auto type = types::kNamespacesIsolated;
  if (findings.not_evaluated) {
    return not_evaluated(type, *findings.not_evaluated,
                         "which selected namespaces a NetworkPolicy isolates");
  }
  const auto n = findings.namespaces.size();
  if (n > 0) {
    return condition(type, ConditionStatus::kFalse, reasons::kNotIsolated,
                     std::to_string(n) +
                         (n == 1 ? " selected namespace has" : " selected namespaces have") +
                         " no NetworkPolicy that isolates every pod (networkDefaultDeny; "
                         "status.violations names them)");
  }
  return condition(type, ConditionStatus::kTrue, reasons::kIsolated,
                   "a NetworkPolicy isolates every pod in every selected namespace");
}

Condition SecurityPolicyReconciler::compliant_condition(
    bool valid, const PolicySummary& s, const std::optional<std::string>& selection_unknown) {
  const auto type = types::kCompliant;
  if (!valid) {
    return condition(type, ConditionStatus::kUnknown, reasons::kInvalidSpec,
                     "no workload is judged until the spec is fixed");
  }
  if (s.violating > 0) {
    return condition(type, ConditionStatus::kFalse, reasons::kViolationsFound,
                     std::to_string(s.violating) +
                         (s.violating == 1 ? " workload violates" : " workloads violate"));
  }
  if (s.not_evaluated > 0) {  // unknown is never compliant
    return condition(type, ConditionStatus::kUnknown, reasons::kNotEvaluated,
                     std::to_string(s.not_evaluated) +
                         (s.not_evaluated == 1 ? " workload has" : " workloads have") +
                         " controls Bulwark could not evaluate (their reasons are in the "
                         "workloads' reports and bulwark.dev/not-evaluated annotations)");
  }
  if (selection_unknown) {
    return condition(type, ConditionStatus::kUnknown, reasons::kNotEvaluated,
                     *selection_unknown +
                         ": which namespaces this policy's namespaceSelector selects is not "
                         "known, so neither is whether their workloads comply");
  }
  return condition(type, ConditionStatus::kTrue, reasons::kNoViolations,
                   std::to_string(s.workloads) +
                       (s.workloads == 1 ? " workload complies" : " workloads comply") +
                       (s.exempt > 0 ? " (" + std::to_string(s.exempt) + " exempt)" : ""));
}

bool SecurityPolicyReconciler::still_marked(const std::string& policy) const {
  bool in_book = false;
  book_.for_each([&](const std::string&, const WorkloadRecord& r) {
    for (const auto& o : r.outcomes) in_book = in_book || o.policy == policy;
  });
  if (in_book) return true;
  // The book starts empty after a restart; the annotations on the workloads are the truth.
  for (const auto& w : kWorkloadKinds) {
    const auto* cache = sources_.workloads.of(w.kind);
    for (const auto& key : cache->keys()) {
      auto o = cache->get(key);
      if (o == nullptr) continue;
      const Value* names = o->find({"metadata", "annotations", kPoliciesAnnotation});
      if (names == nullptr) continue;
      const std::string list = "," + std::string(names->str()) + ",";
      if (list.find("," + policy + ",") == std::string::npos) continue;
      // ReplicaSets inherit their Deployment's annotations; only top-level workloads count, and
      // only where the posture reconciler acts: it never releases a workload in a never-touched
      // namespace, so one that carries the annotations there must not hold the finalizer forever.
      const auto slash = key.find('/');
      if (never_touched(never_touch_, key.substr(0, slash))) continue;
      if (top_owner_key(w.kind, *o, sources_.workloads) ==
          workload_key(w.kind, key.substr(0, slash), key.substr(slash + 1))) {
        return true;
      }
    }
  }
  return false;
}

std::optional<runtime::Result> SecurityPolicyReconciler::keep_finalizer(const std::string& name,
                                                                        const Value& object) {
  const Value* meta = object.find("metadata");
  const std::string resource_version = field(meta, "resourceVersion");
  std::vector<std::string> finalizers;
  for (const auto& f : document::items_of(meta != nullptr ? meta->find("finalizers") : nullptr)) {
    finalizers.emplace_back(f.str());
  }
  const bool has_finalizer =
      std::find(finalizers.begin(), finalizers.end(), kCleanupFinalizer) != finalizers.end();
  auto patch_finalizers = [&](const std::vector<std::string>& list) {
    writer_.merge_patch(kube::resources::kSecurityPolicies, "", name,
                        kube::MergePatch()
                            .require_resource_version(resource_version)
                            .set({"metadata", "finalizers"}, Value::array(list)));
  };
  if (meta != nullptr && meta->find("deletionTimestamp") != nullptr) {
    if (!has_finalizer) return runtime::Result{};
    if (still_marked(name)) {
      // The posture reconciler is releasing the policy's workloads; each change re-enqueues this
      // policy, and the delay is only a backstop.
      return runtime::Result{std::chrono::seconds(2)};
    }
    std::vector<std::string> rest;
    for (const auto& f : finalizers) {
      if (f != kCleanupFinalizer) rest.push_back(f);
    }
    patch_finalizers(rest);
    logging::info("policy " + name + ": cleanup done, finalizer removed");
    return runtime::Result{};
  }
  if (!has_finalizer) {
    finalizers.emplace_back(kCleanupFinalizer);
    patch_finalizers(finalizers);  // the update comes back through the cache for the status
    logging::info("policy " + name + ": added finalizer " + kCleanupFinalizer);
    return runtime::Result{};
  }
  return std::nullopt;
}

Condition SecurityPolicyReconciler::readiness(const crds::PolicyParseResult& parsed,
                                              std::chrono::system_clock::time_point now) {
  Condition ready = ready_condition(parsed.errors);
  if (!parsed.errors.empty()) return ready;
  const auto lapsed = lapsed_exemptions(parsed.policy.spec, now);
  if (lapsed.empty()) return ready;
  // A lapsed exemption ends that exemption only (docs/api.md, Exemptions): the policy stays Ready
  // and enforcing; the reason says an entry no longer applies and the message names each.
  ready.reason = reasons::kExpiredExemption;
  ready.message = "enforcing; these exemptions have expired and no longer apply:";
  for (const auto& e : lapsed) {
    ready.message += (&e == &lapsed.front() ? " " : ", ") + lapse_text(e);
  }
  if (ready.message.size() > 1000) ready.message = ready.message.substr(0, 1000) + "...";
  return ready;
}

void SecurityPolicyReconciler::record_lapses(const Value& object,
                                             const crds::SecurityPolicySpec& spec,
                                             const std::string& named_before) {
  if (events_ == nullptr) return;
  const Value* meta = object.find("metadata");
  for (const auto& e : lapsed_exemptions(spec, clock_.wall_now())) {
    if (named_before.find(lapse_text(e)) != std::string::npos) continue;  // told already
    const auto expired =
        std::chrono::duration_cast<std::chrono::seconds>(e.expired.time_since_epoch()).count();
    // Named by the lapse, not the policy's version: the same lapse recorded again (a later status
    // write, a restart) is the same Event, refused as a duplicate.
    events_->record({kSecurityPolicyApiVersion, "SecurityPolicy", "", field(meta, "name"),
                     field(meta, "uid"), "lapse/" + e.name + "/" + std::to_string(expired)},
                    EventType::kWarning, event_reasons::kExemptionLapsed,
                    "exemption " + e.name + " (spec.exemptions[" + std::to_string(e.index) +
                        "]) expired at " + base::format_rfc3339(e.expired) +
                        " and no longer applies; the policy enforces it as written");
  }
}

std::optional<Condition> SecurityPolicyReconciler::reports_taken(const std::string& policy) const {
  if (!report_conflicts_) return std::nullopt;
  std::vector<std::string> mine;
  for (const auto& key : report_conflicts_()) {
    if (book_.judged_by(key, policy)) mine.push_back(key);
  }
  if (mine.empty()) return std::nullopt;
  std::string names;
  for (std::size_t i = 0; i < mine.size() && i < 20; ++i) names += (i == 0 ? "" : ", ") + mine[i];
  if (mine.size() > 20) names += " and " + std::to_string(mine.size() - 20) + " more";
  return condition(types::kReports, ConditionStatus::kFalse, reasons::kNameTaken,
                   "a report Bulwark did not write holds the report name of " +
                       std::to_string(mine.size()) +
                       (mine.size() == 1 ? " workload" : " workloads") + " (" + names +
                       "): they are not reported; delete or rename those reports");
}

std::vector<Condition> SecurityPolicyReconciler::wanted_conditions(
    const std::string& name, const Condition& ready, const crds::SecurityPolicySpec& spec,
    const PolicySummary& summary, const Observed& observed) const {
  const bool valid = ready.status == ConditionStatus::kTrue;
  std::vector<Condition> want{ready,
                              compliant_condition(valid, summary, observed.selection_unknown)};
  if (valid && (wants_managed(ManagedPolicyKind::kDefaultDeny, spec) ||
                wants_managed(ManagedPolicyKind::kQuarantine, spec))) {
    want.push_back(held_condition(observed));
  }
  // Quarantine, default-deny, and an Audit policy's findings of isolated namespaces hold only
  // where the network plugin enforces NetworkPolicy.
  if (valid && enforcement_ != nullptr &&
      (spec.network.default_deny || wants_managed(ManagedPolicyKind::kQuarantine, spec))) {
    want.push_back(network_enforced_condition(enforcement_->snapshot()));
  }
  if (valid && observed.findings.judged) want.push_back(isolated_condition(observed.findings));
  if (valid && observed.harden) {
    want.push_back(harden_condition(harden_install_ ? harden_install_() : HardenInstall::kUnknown,
                                    *observed.harden));
  }
  if (valid && spec.images.max_severity) {
    const auto type = types::kVulnerabilityReports;
    want.push_back(reports_served_
                       ? condition(type, ConditionStatus::kTrue, reasons::kReportsServed,
                                   "images.maxSeverity is judged from Trivy Operator's "
                                   "VulnerabilityReports")
                       : condition(type, ConditionStatus::kFalse, reasons::kReportsNotServed,
                                   "aquasecurity.github.io/v1alpha1 VulnerabilityReports are not "
                                   "served in this cluster, so images.maxSeverity is not checked; "
                                   "install Trivy Operator and restart Bulwark"));
  }
  const bool served = valid && policy_reports_served_ && policy_reports_served_();
  if (auto taken = served ? reports_taken(name) : std::nullopt) {
    want.push_back(*taken);
  } else if (valid && policy_reports_served_) {
    want.push_back(
        served ? condition(types::kReports, ConditionStatus::kTrue, reasons::kReportsServed,
                           "one policy report per selected workload (kubectl get "
                           "reports, or policyreports with reports.format wgpolicy)")
               : condition(types::kReports, ConditionStatus::kFalse, reasons::kReportsNotServed,
                           "the policy report CRD of reports.format (reports.openreports.io, "
                           "or policyreports.wgpolicyk8s.io) is not served in this cluster, "
                           "so no reports are written; once it is installed Bulwark writes them "
                           "within 30 seconds, without a restart"));
  }
  return want;
}

PolicyStatus SecurityPolicyReconciler::wanted_status(const std::string& name,
                                                     const std::string& policy_uid,
                                                     const crds::PolicyParseResult& parsed,
                                                     const Condition& ready,
                                                     Observed& observed) const {
  PolicyStatus want;
  if (ready.status != ConditionStatus::kTrue) return want;
  const auto& spec = parsed.policy.spec;
  want.summary = book_.summarize(name, kMaxStatusViolations);
  const auto namespaces_unreadable = sources_.access != nullptr
                                         ? sources_.access->unreadable(ControlInput::kNamespaces)
                                         : std::nullopt;
  observed.unreadable = namespace_inputs_unreadable(sources_.access);
  observed.findings = default_deny_findings(spec, sources_.namespaces, sources_.network_policies,
                                            observed.unreadable);
  if (!spec.match.namespace_selector.empty()) observed.selection_unknown = namespaces_unreadable;
  std::vector<std::string> findings = observed.findings.namespaces;
  std::vector<std::string> uids;
  for (const auto& ns : sources_.namespaces.keys()) {
    auto n = sources_.namespaces.get(ns);
    const bool selected = n != nullptr && selects_namespace(spec, ns, labels_of(*n));
    if (selected) ++want.namespaces;
    bool taken = false;
    for (auto kind : {ManagedPolicyKind::kDefaultDeny, ManagedPolicyKind::kQuarantine}) {
      const char* np = ManagedNetworkPolicyReconciler::name_of(kind);
      const bool wanted = selected && wants_managed(kind, spec) && !never_touched(never_touch_, ns);
      const auto object = sources_.network_policies.get(ns + "/" + np);
      const std::string uid = object ? field(object->find("metadata"), "uid") : "";
      const bool owned = ownership_ != nullptr && ownership_->owns(uid);
      // Taken: a conflict the NetworkPolicy controller found, or an object it has not (yet) made
      // Bulwark's (after a start, before it has been through the namespace): never called held.
      if (wanted && ownership_ != nullptr &&
          (ownership_->conflict(ns, np) || (object != nullptr && !owned))) {
        taken = true;
        // A default-deny Bulwark cannot keep is a namespace without one (namespace_findings.h).
        if (kind == ManagedPolicyKind::kDefaultDeny) findings.push_back(ns);
      } else if (wanted && object == nullptr) {
        ++observed.pending;
      } else if (owned && (wanted || owned_by(*object, policy_uid))) {
        // Recorded while wanted, and while it still names this policy among its owners: a
        // namespace no longer selected keeps its record until Bulwark has removed the object.
        uids.push_back(uid);
      }
    }
    if (taken) observed.taken.push_back(ns);
  }
  add_namespace_findings(want.summary, findings);
  std::sort(uids.begin(), uids.end());
  want.network_policy_uids = std::move(uids);
  if (enforces(spec, crds::EnforcementAction::kHarden)) {
    NamespaceLabels namespaces;
    for (const auto& ns : sources_.namespaces.keys()) {
      if (auto n = sources_.namespaces.get(ns)) namespaces.emplace_back(ns, labels_of(*n));
    }
    observed.harden = harden_scope(spec, posture::PolicyEvaluator(spec).pss_controls(), namespaces,
                                   never_touch_, clock_.wall_now());
    want.harden = PolicyStatus::Harden{0, observed.harden->namespaces};
  }
  return want;
}

std::optional<base::Clock::Duration> SecurityPolicyReconciler::paced(
    const std::string& name) const {
  const auto last = written_at_.find(name);
  if (last == written_at_.end() || !in_pass_for_ || !in_pass_for_(kPassInterval)) {
    return std::nullopt;
  }
  const auto since = clock_.now() - last->second;
  if (since >= kPassInterval) return std::nullopt;
  return std::chrono::duration_cast<base::Clock::Duration>(kPassInterval - since);
}

runtime::Result SecurityPolicyReconciler::reconcile(const std::string& name) {
  auto object = sources_.policies.get(name);
  if (object == nullptr) return {};  // deleted: nothing to report on
  if (auto done = keep_finalizer(name, *object)) return *done;
  if (book_complete_ && !book_complete_()) return {std::chrono::milliseconds(500)};
  if (const auto wait = paced(name)) return {*wait};

  const Value* generation_value = object->find({"metadata", "generation"});
  const std::int64_t generation =
      generation_value != nullptr ? generation_value->as_int().value_or(0) : 0;
  const auto parsed = crds::parse_security_policy(*object);
  const Condition ready = readiness(parsed, clock_.wall_now());
  // The Ready message changes again at the next lapse: judge the policy then.
  runtime::Result done;
  if (const auto next = next_lapse(parsed.policy.spec, clock_.wall_now())) {
    done.requeue_after = std::chrono::duration_cast<base::Clock::Duration>(
        *next - clock_.wall_now() + std::chrono::seconds(1));
  }
  const PolicyStatus current = PolicyStatus::from_value(object->find("status"));
  const std::string now = base::format_rfc3339(clock_.wall_now());

  Observed observed;
  PolicyStatus want =
      wanted_status(name, field(object->find("metadata"), "uid"), parsed, ready, observed);
  // A policy that cannot be read keeps what it holds, its record of it included (an empty record
  // where it had none: the adoption of an earlier release's objects ends with the first status).
  if (ready.status != ConditionStatus::kTrue) {
    want.network_policy_uids = current.network_policy_uids.value_or(std::vector<std::string>());
    // Harden's scope goes: bulwark-harden applies a scope only to the generation it was resolved
    // for, so a spec Bulwark cannot read hardens nothing new either way.
  } else if (want.harden) {
    want.harden->observed_generation = generation;
  }
  if (observed.harden) requeue_for_harden(*observed.harden, clock_.wall_now(), done);
  want.observed_generation = generation;
  want.conditions = current.conditions;  // their transition times carry over unless they flip
  const auto wanted = wanted_conditions(name, ready, parsed.policy.spec, want.summary, observed);
  std::erase_if(want.conditions, [&](const Condition& c) {
    return std::none_of(wanted.begin(), wanted.end(),
                        [&](const Condition& w) { return w.type == c.type; });
  });
  for (Condition c : wanted) {
    c.observed_generation = generation;
    kube::set_status_condition(want.conditions, std::move(c), now);
  }
  want.last_evaluated = now;
  if (want.same_as(current)) {
    logging::debug("policy " + name + ": status is up to date");
    return done;
  }
  Value body = Value::object();
  body.set("apiVersion", Value::string(kSecurityPolicyApiVersion))
      .set("kind", Value::string("SecurityPolicy"));
  body.child("metadata")
      .set("name", Value::string(name))
      .set("resourceVersion", Value::string(field(object->find("metadata"), "resourceVersion")));
  body.set("status", want.to_value());
  if (!status_writer_.update_status(kube::resources::kSecurityPolicies, "", name, body))
    return done;
  written_at_[name] = clock_.now();
  if (ready.reason == reasons::kExpiredExemption) {
    const auto was = std::find_if(current.conditions.begin(), current.conditions.end(),
                                  [](const Condition& c) { return c.type == types::kReady; });
    // Only lapses the written status did not name yet.
    record_lapses(*object, parsed.policy.spec,
                  was != current.conditions.end() && was->reason == reasons::kExpiredExemption
                      ? was->message
                      : std::string());
  }
  logging::info("wrote status of policy " + name +
                ": Ready=" + std::string(kube::to_string(ready.status)) + " " + ready.reason +
                (ready.message.empty() ? "" : ": " + ready.message) + ", score " +
                std::to_string(want.summary.score) + ", " + std::to_string(want.summary.violating) +
                " violating");
  return done;
}

void setup_security_policy_status(runtime::Manager& manager, PolicyStatusSetup setup) {
  runtime::Informer& policies = setup.caches.policies;
  auto reconciler = std::make_unique<SecurityPolicyReconciler>(
      setup.writer, setup.writer,
      SecurityPolicyReconciler::Sources{policies, setup.caches.namespaces, setup.caches.workloads(),
                                        setup.caches.network_policies, setup.access},
      setup.book, setup.clock, setup.caches.vulnerability_reports != nullptr,
      std::move(setup.book_complete), std::move(setup.never_touch));
  reconciler->set_events(&setup.events);
  reconciler->set_ownership(&setup.ownership);
  reconciler->set_enforcement(setup.enforcement);
  reconciler->set_harden_install(std::move(setup.harden_install));
  reconciler->set_pass_clock(std::move(setup.posture_in_pass_for));
  reconciler->set_report_conflicts(std::move(setup.report_conflicts));
  if (setup.policy_reports_served) {
    reconciler->set_policy_reports_served(std::move(setup.policy_reports_served));
  }
  runtime::WorkQueue& queue = manager.add_controller("securitypolicy", std::move(reconciler), 1);
  constexpr auto kFold = std::chrono::milliseconds(500);
  auto every_policy = [&queue, &policies](std::optional<base::Clock::Duration> delay) {
    for (const auto& name : policies.keys()) {
      if (delay) {
        queue.add_after(name, *delay);
      } else {
        queue.add(name);
      }
    }
  };
  policies.add_handler([every_policy](const std::string&) { every_policy(std::nullopt); });
  setup.caches.namespaces.add_handler([every_policy](const std::string&) {
    every_policy(std::nullopt);  // namespace counts
  });
  setup.caches.network_policies.add_handler([every_policy, kFold](const std::string&) {
    every_policy(kFold);  // namespace findings follow the namespaces' NetworkPolicies
  });
  // A changed verdict may change each policy's status.
  setup.book.set_listener([&queue, kFold](const std::vector<std::string>& names) {
    for (const auto& n : names) queue.add_after(n, kFold);
  });
  manager.on_resync([every_policy] { every_policy(std::nullopt); });
  // The canary's verdicts are every such policy's condition NetworkEnforced.
  if (setup.enforcement != nullptr) {
    setup.enforcement->add_listener([every_policy, kFold] { every_policy(kFold); });
  }
}

}  // namespace bulwark::reconcilers
