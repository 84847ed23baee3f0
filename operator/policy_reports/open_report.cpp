#include "operator/policy_reports/open_report.h"

#include <algorithm>
#include <cctype>
#include <functional>

#include "operator/base/time_text.h"
#include "operator/document/json_writer.h"
#include "operator/policy/written_names.h"

namespace bulwark::policy_reports {

using document::Value;

namespace {

enum class Status { kPass, kFail, kSkip, kError };

struct Result {
  Status status;
  Value value;
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A failing result's fix (docs/api.md, Fixes): `patch`, the RFC 6902 patch of the control's
// findings that have one, as JSON text (properties are strings), and `fix`, whether it repairs
// them all or what is left for a person to decide.
void add_fix(const PolicyVerdict& p, std::string_view control, Value& props) {
  const posture::FixRule* rule = posture::fix_rule(control);
  if (rule == nullptr) return;
  const auto plan = posture::plan_fixes(*p.workload, *p.verdict, {}, control);
  if (!plan.ops.empty()) {
    props.set("patch", Value::string(document::to_json(posture::patch_document(plan.ops))));
  }
  const std::string why(rule->fixable ? rule->unless : rule->what);
  // Findings beyond the 64 listed per control were counted, not kept: nobody looked for their fix.
  const bool unlisted = std::any_of(
      p.verdict->violations.begin(), p.verdict->violations.end(),
      [&](const posture::Violation& v) { return v.control == control && v.path.empty(); });
  if (unlisted && plan.fixed > 0) {
    props.set("fix", Value::string("patch for " + std::to_string(plan.fixed) +
                                   " listed findings; those beyond the list were not looked at"));
    return;
  }
  props.set("fix",
            Value::string(plan.left == 0    ? std::string("patch")
                          : plan.fixed == 0 ? "decision: " + why
                                            : "patch for " + std::to_string(plan.fixed) + " of " +
                                                  std::to_string(plan.fixed + plan.left) +
                                                  " findings; the others need a decision: " + why));
}

// The result of one (policy, control) pair: fail with every finding's message and path, skip
// naming the exemption, or pass.
Result result_of(const PolicyVerdict& p, std::string_view control, std::int64_t timestamp) {
  Value r = Value::object();
  r.set("source", Value::string(kBulwarkName))
      .set("policy", Value::string(p.policy))
      .set("rule", Value::string(control))
      .set("category", Value::string(posture::category_of(control)))
      .set("severity", Value::string(lower(crds::to_string(posture::severity_of(control)))));
  std::string messages, paths;
  auto add = [&](const posture::Violation& v) {
    messages += (messages.empty() ? "" : "; ") + v.message;
    if (!v.path.empty()) paths += (paths.empty() ? "" : ", ") + v.path;
  };
  Status status = Status::kPass;
  for (const auto& v : p.verdict->violations) {
    if (v.control == control) {
      add(v);
      status = Status::kFail;
    }
  }
  Value props = Value::object();
  for (const auto& n : p.verdict->not_evaluated) {
    // OpenReports' "error": the policy could not be evaluated (docs/api.md, Not evaluated).
    if (n.control != control || status != Status::kPass) continue;
    status = Status::kError;
    messages = "not evaluated: " + n.reason;
    props.set("reason", Value::string(n.reason));
  }
  if (status == Status::kPass) {
    for (std::size_t i = 0; i < p.verdict->exempted.size(); ++i) {
      if (p.verdict->exempted[i].control != control) continue;
      add(p.verdict->exempted[i]);
      status = Status::kSkip;
      if (const auto* ex = p.verdict->exempted_by.at(i)) {
        props.set("exemption", Value::string(ex->name));
        if (ex->expires) props.set("expires", Value::string(base::format_rfc3339(*ex->expires)));
      }
    }
  }
  r.set("result", Value::string(status == Status::kPass    ? "pass"
                                : status == Status::kFail  ? "fail"
                                : status == Status::kError ? "error"
                                                           : "skip"));
  if (!messages.empty()) r.set("message", Value::string(messages));
  if (!paths.empty()) props.set("paths", Value::string(paths));
  if (status == Status::kFail && p.workload != nullptr) add_fix(p, control, props);
  if (status == Status::kFail && p.pods > 0 && p.pod_controls != nullptr &&
      p.pod_controls->count(std::string(control)) == 0) {
    props.set("pods", Value::string("pass: its " + std::to_string(p.pods) +
                                    (p.pods == 1 ? " pod does" : " pods do") +
                                    " not violate it (changed at admission, by Harden or another "
                                    "mutating admission, or made from an earlier template); the "
                                    "template still violates"));
  }
  if (status == Status::kFail && !p.quarantine_not_enforced.empty()) {
    props.set("quarantine", Value::string("NotEnforced: " + p.quarantine_not_enforced));
  }
  if (posture::category_of(control).rfind("Pod Security", 0) == 0) {
    props.set("pssVersion", Value::string(p.pss_version));
  }
  if (!props.members.empty()) r.set("properties", std::move(props));
  r.set("timestamp",
        Value::object().set("seconds", Value::integer(timestamp)).set("nanos", Value::integer(0)));
  return {status, std::move(r)};
}

}  // namespace

std::string report_name(std::string_view kind, std::string_view name) {
  std::string out = lower(kind) + "-" + std::string(name);
  if (out.size() <= 253) return out;
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(out));
  return out.substr(0, 253 - 17) + "-" + hash;
}

namespace {

// One policy's passing controls as one result.
Result passing(const std::string& policy, int count, std::int64_t timestamp) {
  Value r = Value::object();
  r.set("source", Value::string(kBulwarkName))
      .set("policy", Value::string(policy))
      .set("rule", Value::string(kPassingRule))
      .set("result", Value::string("pass"))
      .set("message", Value::string(std::to_string(count) +
                                    (count == 1 ? " control passes" : " controls pass")))
      .set("timestamp", Value::object()
                            .set("seconds", Value::integer(timestamp))
                            .set("nanos", Value::integer(0)));
  return {Status::kPass, std::move(r)};
}

// Every policy's results; passes summarised into one result per policy when asked. `passed`
// counts the passing controls either way.
std::vector<Result> results_of(const std::vector<PolicyVerdict>& verdicts, std::int64_t timestamp,
                               Passes passes, int& passed) {
  std::vector<Result> results;
  for (const auto& p : verdicts) {
    int policy_passes = 0;
    for (auto control : p.controls) {
      Result r = result_of(p, control, timestamp);
      if (r.status == Status::kPass) ++policy_passes;
      if (r.status != Status::kPass || passes == Passes::kListed) results.push_back(std::move(r));
    }
    passed += policy_passes;
    if (passes == Passes::kSummarised && policy_passes > 0) {
      results.push_back(passing(p.policy, policy_passes, timestamp));
    }
  }
  // Fails and skips before passes, so a cap drops passes first.
  std::stable_sort(results.begin(), results.end(), [](const Result& a, const Result& b) {
    return (a.status == Status::kPass) < (b.status == Status::kPass);
  });
  if (results.size() > kMaxResults) results.resize(kMaxResults);  // summary.pass counts them all
  return results;
}

}  // namespace

Value open_report(const Subject& subject, const std::vector<PolicyVerdict>& verdicts,
                  std::int64_t timestamp, Format format, Passes passes) {
  const bool open = format == Format::kOpenReports;
  int pass = 0, fail = 0, skip = 0, error = 0;
  std::vector<Result> results = results_of(verdicts, timestamp, passes, pass);
  Value list = Value::array();
  for (auto& r : results) {
    if (r.status != Status::kPass)
      (r.status == Status::kFail ? fail : r.status == Status::kError ? error : skip)++;
    list.push(std::move(r.value));
  }
  Value report = Value::object();
  report
      .set("apiVersion",
           Value::string(open ? "openreports.io/v1alpha1" : "wgpolicyk8s.io/v1alpha2"))
      .set("kind", Value::string(open ? "Report" : "PolicyReport"));
  Value& meta = report.child("metadata");
  meta.set("name", Value::string(report_name(subject.kind, subject.name)));
  if (!subject.namespace_name.empty()) {
    meta.set("namespace", Value::string(subject.namespace_name));
  }
  meta.child("labels").set(kManagedByLabel, Value::string(kBulwarkName));
  Value scope = Value::object();
  scope.set("apiVersion", Value::string(subject.api_version))
      .set("kind", Value::string(subject.kind))
      .set("name", Value::string(subject.name));
  if (!subject.namespace_name.empty()) {
    scope.set("namespace", Value::string(subject.namespace_name));
  }
  if (!subject.uid.empty()) {
    scope.set("uid", Value::string(subject.uid));
    meta.set("ownerReferences",
             Value::array().push(Value::object()
                                     .set("apiVersion", Value::string(subject.api_version))
                                     .set("kind", Value::string(subject.kind))
                                     .set("name", Value::string(subject.name))
                                     .set("uid", Value::string(subject.uid))));
  }
  report.set("scope", std::move(scope));
  if (open) report.set("source", Value::string(kBulwarkName));
  report.set("results", std::move(list));
  report.set("summary", Value::object()
                            .set("pass", Value::integer(pass))
                            .set("fail", Value::integer(fail))
                            .set("warn", Value::integer(0))
                            .set("error", Value::integer(error))
                            .set("skip", Value::integer(skip)));
  return report;
}

namespace {

// Members sorted by key at every depth: the API server gives a report's keys in its own order.
void sort_members(Value& v) {
  for (auto& item : v.items) sort_members(item);
  for (auto& member : v.members) sort_members(member.second);
  std::sort(v.members.begin(), v.members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
}

}  // namespace

std::string content_key(const Value& report) {
  // Only the fields Bulwark writes: a field someone adds survives a forced apply, and counting it
  // would make every judgement write the report again.
  Value copy = Value::object();
  for (const char* key : {"scope", "source", "results", "summary"}) {
    if (const Value* value = report.find(key)) copy.set(key, *value);
  }
  if (Value* results = const_cast<Value*>(copy.find("results"))) {
    for (auto& r : results->items) {
      std::erase_if(r.members, [](const auto& m) { return m.first == "timestamp"; });
    }
  }
  sort_members(copy);
  return document::to_json(copy);
}

}  // namespace bulwark::policy_reports
