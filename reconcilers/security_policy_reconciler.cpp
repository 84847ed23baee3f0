#include "reconcilers/security_policy_reconciler.h"

#include <algorithm>

#include "operator/document/json_writer.h"
#include "operator/document/reader.h"
#include "operator/logging/logging.h"
#include "reconcilers/namespace_findings.h"
#include "reconcilers/time_format.h"

namespace bulwark::reconcilers {

using document::json_quote;
using document::Value;

namespace {

std::string field(const Value* node, std::string_view key) {
  const Value* v = node != nullptr ? node->find(key) : nullptr;
  return v != nullptr ? std::string(v->str()) : std::string();
}

std::string summary_json(const PolicySummary& s, int namespaces) {
  return R"({"namespaces":)" + std::to_string(namespaces) + R"(,"workloads":)" +
         std::to_string(s.workloads) + R"(,"compliant":)" + std::to_string(s.compliant) +
         R"(,"violating":)" + std::to_string(s.violating) + R"(,"exempt":)" +
         std::to_string(s.exempt) + R"(,"quarantined":)" + std::to_string(s.quarantined) +
         R"(,"score":)" + std::to_string(s.score) + "}";
}

std::string violations_json(const PolicySummary& s) {
  std::string out = "[";
  for (const auto& v : s.violations) {
    if (out.size() > 1) out += ",";
    out += R"({"namespace":)" + json_quote(v.namespace_name) + R"(,"kind":)" + json_quote(v.kind) +
           R"(,"name":)" + json_quote(v.name) + R"(,"controls":[)";
    for (std::size_t i = 0; i < v.controls.size(); ++i) {
      out += (i ? "," : "") + json_quote(v.controls[i]);
    }
    out += "]}";
  }
  return out + "]";
}

// What decides whether a status needs writing, in one comparable string: everything but the
// timestamps.
std::string comparable(const Value* status) {
  std::string out;
  for (const auto& c :
       document::items_of(status != nullptr ? status->find("conditions") : nullptr)) {
    out += field(&c, "type") + "|" + field(&c, "status") + "|" + field(&c, "reason") + "|" +
           field(&c, "message") + "|" + field(&c, "observedGeneration") + ";";
  }
  out += "g" + field(status, "observedGeneration") + ";";
  for (const auto& [k, v] :
       document::members_of(status != nullptr ? status->find("summary") : nullptr)) {
    out += k + "=" + std::string(v.str()) + ",";
  }
  out += ";";
  for (const auto& v :
       document::items_of(status != nullptr ? status->find("violations") : nullptr)) {
    out += field(&v, "namespace") + "/" + field(&v, "kind") + "/" + field(&v, "name") + ":";
    for (const auto& c : document::items_of(v.find("controls"))) out += std::string(c.str()) + ",";
    out += ";";
  }
  return out;
}

// Namespace findings go first in the list (API.md section 6); they are not workloads and do not
// count in the summary or the score.
void add_namespace_findings(PolicySummary& summary, const std::vector<std::string>& namespaces) {
  std::vector<PolicySummary::Entry> entries;
  for (const auto& ns : namespaces) {
    entries.push_back({ns, "Namespace", ns, {kNetworkDefaultDenyControl}, crds::Severity::kHigh});
  }
  summary.violations.insert(summary.violations.begin(), entries.begin(), entries.end());
  if (summary.violations.size() > kMaxStatusViolations) {
    summary.violations.resize(kMaxStatusViolations);
  }
}

}  // namespace

SecurityPolicyReconciler::SecurityPolicyReconciler(kube::KubeClient& client, Sources sources,
                                                   const PostureBook& book,
                                                   const base::Clock& clock,
                                                   bool vulnerability_reports_served,
                                                   std::function<bool()> book_complete)
    : client_(client),
      sources_(sources),
      book_(book),
      clock_(clock),
      reports_served_(vulnerability_reports_served),
      book_complete_(std::move(book_complete)) {}

SecurityPolicyReconciler::Condition SecurityPolicyReconciler::ready_condition(
    const std::vector<crds::FieldError>& errors) {
  if (errors.empty()) return {"Ready", "True", "Reconciled", ""};
  std::string message;
  for (const auto& e : errors) {
    if (!message.empty()) message += "; ";
    message += e.field + ": " + e.message;
  }
  if (message.size() > 1000) message = message.substr(0, 1000) + "...";
  return {"Ready", "False", "InvalidSpec", message};
}

SecurityPolicyReconciler::Condition SecurityPolicyReconciler::compliant_condition(
    bool valid, const PolicySummary& s) {
  if (!valid) {
    return {"Compliant", "Unknown", "InvalidSpec", "no workload is judged until the spec is fixed"};
  }
  if (s.violating > 0) {
    return {"Compliant", "False", "ViolationsFound",
            std::to_string(s.violating) +
                (s.violating == 1 ? " workload violates" : " workloads violate")};
  }
  return {"Compliant", "True", "NoViolations",
          std::to_string(s.workloads) +
              (s.workloads == 1 ? " workload complies" : " workloads comply") +
              (s.exempt > 0 ? " (" + std::to_string(s.exempt) + " exempt)" : "")};
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
      // ReplicaSets inherit their Deployment's annotations; only top-level workloads count.
      const auto slash = key.find('/');
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
    std::string items;
    for (const auto& f : list) items += (items.empty() ? "" : ",") + json_quote(f);
    client_.merge_patch(kube::resources::kSecurityPolicies, "", name,
                        R"({"metadata":{"resourceVersion":)" + json_quote(resource_version) +
                            R"(,"finalizers":[)" + items + "]}}");
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

SecurityPolicyReconciler::Condition SecurityPolicyReconciler::readiness(
    const Value& object, const crds::PolicyParseResult& parsed, const std::string& generation) {
  Condition ready = ready_condition(parsed.errors);
  if (!parsed.errors.empty()) return ready;
  // An expired exemption is judged once, when a generation is first seen: later it has simply
  // lapsed, which is no fault of the policy.
  std::vector<crds::FieldError> expired;
  if (field(object.find("status"), "observedGeneration") != generation) {
    expired = expired_exemptions(parsed.policy.spec, clock_.wall_now());
  } else if (expired_when_written(object)) {
    expired = expired_exemptions(parsed.policy.spec, clock_.wall_now());
    if (expired.empty()) expired.push_back({"spec.exemptions", "had expired when written"});
  }
  if (!expired.empty()) {
    ready = ready_condition(expired);
    ready.reason = kExpiredExemptionReason;
  }
  return ready;
}

std::string SecurityPolicyReconciler::conditions_json(const std::vector<Condition>& want,
                                                      const Value* status,
                                                      const std::string& generation) const {
  std::string conditions;
  for (const auto& c : want) {
    std::string transition = rfc3339_seconds(clock_.wall_now());
    for (const auto& old :
         document::items_of(status != nullptr ? status->find("conditions") : nullptr)) {
      if (field(&old, "type") == c.type && field(&old, "status") == c.status &&
          !field(&old, "lastTransitionTime").empty()) {
        transition = field(&old, "lastTransitionTime");
      }
    }
    conditions += std::string(conditions.empty() ? "" : ",") + R"({"type":)" + json_quote(c.type) +
                  R"(,"status":)" + json_quote(c.status) + R"(,"reason":)" + json_quote(c.reason) +
                  R"(,"message":)" + json_quote(c.message) + R"(,"observedGeneration":)" +
                  generation + R"(,"lastTransitionTime":)" + json_quote(transition) + "}";
  }
  return conditions;
}

std::vector<SecurityPolicyReconciler::Condition> SecurityPolicyReconciler::wanted_conditions(
    const Condition& ready, const crds::SecurityPolicySpec& spec,
    const PolicySummary& summary) const {
  const bool valid = ready.status == "True";
  std::vector<Condition> want{ready, compliant_condition(valid, summary)};
  if (valid && spec.images.max_severity) {
    want.push_back(reports_served_
                       ? Condition{"VulnerabilityReports", "True", "ReportsServed",
                                   "images.maxSeverity is judged from Trivy Operator's "
                                   "VulnerabilityReports"}
                       : Condition{"VulnerabilityReports", "False", "ReportsNotServed",
                                   "aquasecurity.github.io/v1alpha1 VulnerabilityReports are not "
                                   "served in this cluster, so images.maxSeverity is not checked; "
                                   "install Trivy Operator and restart Bulwark"});
  }
  return want;
}

runtime::Result SecurityPolicyReconciler::reconcile(const std::string& name) {
  auto object = sources_.policies.get(name);
  if (object == nullptr) return {};  // deleted: nothing to report on
  if (auto done = keep_finalizer(name, *object)) return *done;
  if (book_complete_ && !book_complete_()) return {std::chrono::milliseconds(500)};

  const Value* meta = object->find("metadata");
  const auto parsed = crds::parse_security_policy(*object);
  const std::string generation =
      field(meta, "generation").empty() ? "0" : field(meta, "generation");
  const Value* status = object->find("status");
  const Condition ready = readiness(*object, parsed, generation);
  const bool valid = ready.status == "True";
  PolicySummary summary;
  int namespaces = 0;
  if (valid) {
    summary = book_.summarize(name, kMaxStatusViolations);
    add_namespace_findings(summary,
                           namespaces_without_default_deny(parsed.policy.spec, sources_.namespaces,
                                                           sources_.network_policies));
    for (const auto& ns : sources_.namespaces.keys()) {
      if (auto n = sources_.namespaces.get(ns);
          n != nullptr && selects_namespace(parsed.policy.spec, ns, labels_of(*n))) {
        ++namespaces;
      }
    }
  }
  const auto want = wanted_conditions(ready, parsed.policy.spec, summary);
  const std::string body = R"({"observedGeneration":)" + generation + R"(,"conditions":[)" +
                           conditions_json(want, status, generation) + R"(],"summary":)" +
                           summary_json(summary, namespaces) + R"(,"violations":)" +
                           violations_json(summary) + R"(,"lastEvaluated":)" +
                           json_quote(rfc3339_seconds(clock_.wall_now())) + "}";
  const auto desired = document::parse_json(body);
  if (comparable(status) == comparable(&desired)) {
    logging::debug("policy " + name + ": status is up to date");
    return {};
  }
  client_.update_status(kube::resources::kSecurityPolicies, "", name,
                        R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy",)"
                        R"("metadata":{"name":)" +
                            json_quote(name) + R"(,"resourceVersion":)" +
                            json_quote(field(meta, "resourceVersion")) + R"(},"status":)" + body +
                            "}");
  logging::info("wrote status of policy " + name + ": Ready=" + want[0].status + " " +
                want[0].reason + (want[0].message.empty() ? "" : ": " + want[0].message) +
                ", score " + std::to_string(summary.score) + ", " +
                std::to_string(summary.violating) + " violating");
  return {};
}

void setup_security_policy_status(runtime::Manager& manager, kube::KubeClient& client,
                                  const WorkloadCaches& workloads, PostureBook& book,
                                  const base::Clock& clock, bool vulnerability_reports_served,
                                  std::function<bool()> book_complete) {
  runtime::Informer& policies = manager.cache("securitypolicies");
  runtime::WorkQueue& queue = manager.add_controller(
      "securitypolicy",
      std::make_unique<SecurityPolicyReconciler>(
          client,
          SecurityPolicyReconciler::Sources{policies, manager.cache("namespaces"), workloads,
                                            manager.cache("networkpolicies")},
          book, clock, vulnerability_reports_served, std::move(book_complete)),
      1);
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
  manager.cache("namespaces").add_handler([every_policy](const std::string&) {
    every_policy(std::nullopt);  // namespace counts
  });
  manager.cache("networkpolicies").add_handler([every_policy, kFold](const std::string&) {
    every_policy(kFold);  // namespace findings follow the namespaces' NetworkPolicies
  });
  // A changed verdict may change each policy's status.
  book.set_listener([&queue, kFold](const std::vector<std::string>& names) {
    for (const auto& n : names) queue.add_after(n, kFold);
  });
  manager.on_resync([every_policy] { every_policy(std::nullopt); });
}

}  // namespace bulwark::reconcilers
