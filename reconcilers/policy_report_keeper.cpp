#include "reconcilers/policy_report_keeper.h"

#include <cstdio>

#include "operator/document/json_writer.h"
#include "operator/kube/api_error.h"
#include "operator/kube/resource_type.h"
#include "operator/logging/logging.h"
#include "operator/runtime/projection.h"

namespace bulwark::reconcilers {

using document::Value;

std::string report_hash(const Value& report) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a, 64 bits: stable across builds
  for (unsigned char c : policy_reports::content_key(report)) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

Value project_report(Value&& report) {
  const std::string hash = report_hash(report);
  Value out = runtime::project_report_metadata(std::move(report));
  out.set(kReportContentField, Value::string(hash));
  return out;
}

std::vector<std::string> PolicyReportKeeper::conflicts() const {
  std::lock_guard lock(mu_);
  return {conflicts_.begin(), conflicts_.end()};
}

void PolicyReportKeeper::conflict(const policy_reports::Subject& subject, const Value* cached) {
  const std::string key = subject.kind + "/" + subject.namespace_name + "/" + subject.name;
  std::lock_guard lock(mu_);
  if (cached == nullptr) {
    conflicts_.erase(key);
    return;
  }
  conflicts_.insert(key);
  const Value* uid = cached->find({"metadata", "uid"});
  const Value* rv = cached->find({"metadata", "resourceVersion"});
  const std::string name = policy_reports::report_name(subject.kind, subject.name);
  if (events_ == nullptr ||
      !told_.insert(std::string(uid ? uid->str() : "") + "/" + std::string(rv ? rv->str() : ""))
           .second) {
    return;
  }
  const Value* api_version = cached->find("apiVersion");
  events_->record({api_version != nullptr ? std::string(api_version->str()) : "",
                   format_ == policy_reports::Format::kOpenReports ? "Report" : "PolicyReport",
                   subject.namespace_name, name, uid != nullptr ? std::string(uid->str()) : "",
                   rv != nullptr ? std::string(rv->str()) : ""},
                  EventType::kWarning, event_reasons::kNameConflict,
                  "Bulwark did not write this report (no app.kubernetes.io/managed-by: bulwark) "
                  "but it holds the name of " +
                      subject.kind + " " + subject.name +
                      "'s report: Bulwark leaves it alone and reports nothing for that workload; "
                      "delete or rename it");
}

const kube::ResourceType& PolicyReportKeeper::resource() const {
  return format_ == policy_reports::Format::kOpenReports ? kube::resources::kReports
                                                         : kube::resources::kPolicyReports;
}

void PolicyReportKeeper::apply(const policy_reports::Subject& subject, const std::string& name,
                               const std::string& over, const Value& report) {
  const std::string key = subject.namespace_name + "/" + name;
  expectations_.begin(key, over);
  Expectations::Held held = Expectations::Held::kNone;
  try {
    const Value answer =
        writer_.apply(resource(), subject.namespace_name, name, report, kBulwarkName, true);
    const Value* produced = answer.find({"metadata", "resourceVersion"});
    held = expectations_.expect(key, over, produced != nullptr ? std::string(produced->str()) : "",
                                {});
  } catch (...) {
    if (expectations_.abandon(key) == Expectations::Held::kRoute && router_) router_(key);
    throw;
  }
  ++writes_;
  if (held == Expectations::Held::kRoute && router_) router_(key);
  if (held == Expectations::Held::kEcho && on_echo_) on_echo_();
}

void PolicyReportKeeper::keep(const policy_reports::Subject& subject, const WorkloadJudgement& j,
                              bool held) {
  if (held || !served_) return;
  const std::string name = policy_reports::report_name(subject.kind, subject.name);
  const auto cached = reports_.get(subject.namespace_name + "/" + name);
  const Value* managed = cached ? cached->find({"metadata", "labels", kManagedByLabel}) : nullptr;
  const bool taken = cached != nullptr && (managed == nullptr || managed->str() != kBulwarkName);
  // Someone else's report of this name is never touched; where a verdict needs the name, the
  // workload is not reported and that is said (docs/api.md, Reports).
  conflict(subject, taken && !j.judged.empty() ? cached.get() : nullptr);
  if (taken) return;
  try {
    if (j.judged.empty()) {
      if (cached == nullptr) return;
      writer_.remove(resource(), subject.namespace_name, name, {});
      ++writes_;
      return;
    }
    std::vector<policy_reports::PolicyVerdict> verdicts;
    for (std::size_t i = 0; i < j.judged.size(); ++i) {
      const auto& p = *j.judged[i].policy;
      const bool unquarantined = j.quarantine_not_enforced &&
                                 enforces(p.policy.spec, crds::EnforcementAction::kQuarantine);
      verdicts.push_back({p.policy.name, p.evaluator->controls(), &j.verdicts[i],
                          p.policy.spec.pod_security.version.str(),
                          unquarantined ? j.quarantine_not_enforced->text() : "", j.workload,
                          j.pods_judged, &j.pod_controls});
    }
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.wall_now().time_since_epoch())
            .count();
    Value report = policy_reports::open_report(subject, verdicts, now, format_, passes_);
    const std::string hash = report_hash(report);
    // What the report in the cluster says, not what its annotation claims: a report edited to
    // say pass is rewritten, once.
    const Value* says = cached ? cached->find(kReportContentField) : nullptr;
    if (says != nullptr && says->str() == hash) return;  // unchanged: no write
    const Value* over = cached ? cached->find({"metadata", "resourceVersion"}) : nullptr;
    apply(subject, name, over != nullptr ? std::string(over->str()) : "", report);
  } catch (const kube::ApiError& e) {
    // The CRD went away after start: say so and go on; the verdict itself is written already.
    // Anything else fails the reconcile, which the controller retries with backoff (the
    // workload's own writes are idempotent, so a retry repeats only the report).
    if (e.error_class() != kube::ErrorClass::kNotFound) throw;
    logging::warn("report " + subject.namespace_name + "/" + name + ": " + e.what());
  }
}

}  // namespace bulwark::reconcilers
