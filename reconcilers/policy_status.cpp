#include "reconcilers/policy_status.h"

#include <algorithm>

#include "reconcilers/ownership.h"

namespace bulwark::reconcilers {

using document::Value;

namespace {

int count_at(const Value* summary, std::string_view key, int fallback = 0) {
  const Value* v = summary != nullptr ? summary->find(key) : nullptr;
  const auto n = v != nullptr ? v->as_int() : std::nullopt;
  return n ? static_cast<int>(std::clamp<std::int64_t>(*n, -1, 1 << 30)) : fallback;
}

bool same_entries(const std::vector<PolicySummary::Entry>& a,
                  const std::vector<PolicySummary::Entry>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.namespace_name == y.namespace_name && x.kind == y.kind && x.name == y.name &&
           x.controls == y.controls && x.details == y.details;
  });
}

}  // namespace

PolicyStatus PolicyStatus::from_value(const Value* status) {
  PolicyStatus out;
  if (status == nullptr) return out;
  if (const Value* g = status->find("observedGeneration")) {
    out.observed_generation = g->as_int().value_or(0);
  }
  out.conditions = kube::conditions_from(status->find("conditions"));
  const Value* s = status->find("summary");
  out.namespaces = count_at(s, "namespaces");
  out.summary.workloads = count_at(s, "workloads");
  out.summary.compliant = count_at(s, "compliant");
  out.summary.violating = count_at(s, "violating");
  out.summary.exempt = count_at(s, "exempt");
  out.summary.not_evaluated = count_at(s, "notEvaluated");
  out.summary.quarantined = count_at(s, "quarantined");
  out.summary.score = count_at(s, "score", -1);  // absent differs from any real score
  for (const auto& v : document::items_of(status->find("violations"))) {
    PolicySummary::Entry e{document::text_at(v, {"namespace"}),
                           document::text_at(v, {"kind"}),
                           document::text_at(v, {"name"}),
                           {},
                           crds::Severity::kLow,
                           {}};
    for (const auto& c : document::items_of(v.find("controls"))) e.controls.emplace_back(c.str());
    for (const auto& d : document::items_of(v.find("details"))) e.details.emplace_back(d.str());
    out.summary.violations.push_back(std::move(e));
  }
  if (const Value* t = status->find("lastEvaluated")) out.last_evaluated = t->str();
  out.network_policy_uids = recorded_uids(status);
  if (const Value* h = status->find("harden"); h != nullptr && h->is_mapping()) {
    Harden harden;
    if (const Value* g = h->find("observedGeneration")) {
      harden.observed_generation = g->as_int().value_or(0);
    }
    for (const auto& [ns, controls] : document::members_of(h->find("namespaces"))) {
      auto& list = harden.namespaces[ns];
      for (const auto& c : document::items_of(&controls)) list.emplace_back(c.str());
    }
    out.harden = std::move(harden);
  }
  return out;
}

Value PolicyStatus::to_value() const {
  Value status = Value::object();
  status.set("observedGeneration", Value::integer(observed_generation))
      .set("conditions", kube::to_value(conditions));
  status.child("summary")
      .set("namespaces", Value::integer(namespaces))
      .set("workloads", Value::integer(summary.workloads))
      .set("compliant", Value::integer(summary.compliant))
      .set("violating", Value::integer(summary.violating))
      .set("exempt", Value::integer(summary.exempt))
      .set("notEvaluated", Value::integer(summary.not_evaluated))
      .set("quarantined", Value::integer(summary.quarantined))
      .set("score", Value::integer(summary.score));
  Value violations = Value::array();
  for (const auto& v : summary.violations) {
    Value entry = Value::object();
    entry.set("namespace", Value::string(v.namespace_name))
        .set("kind", Value::string(v.kind))
        .set("name", Value::string(v.name))
        .set("controls", Value::array(v.controls));
    if (!v.details.empty()) entry.set("details", Value::array(v.details));
    violations.push(std::move(entry));
  }
  status.set("violations", std::move(violations))
      .set("lastEvaluated", Value::string(last_evaluated));
  if (network_policy_uids) status.set(kOwnedUidsField, Value::array(*network_policy_uids));
  if (harden) {
    Value namespaces = Value::object();
    for (const auto& [ns, controls] : harden->namespaces) {
      namespaces.set(ns, Value::array(controls));
    }
    status.child("harden")
        .set("observedGeneration", Value::integer(harden->observed_generation))
        .set("namespaces", std::move(namespaces));
  }
  return status;
}

bool PolicyStatus::same_as(const PolicyStatus& o) const {
  const PolicySummary& a = summary;
  const PolicySummary& b = o.summary;
  return observed_generation == o.observed_generation &&
         kube::same_conditions(conditions, o.conditions) && namespaces == o.namespaces &&
         a.workloads == b.workloads && a.compliant == b.compliant && a.violating == b.violating &&
         a.exempt == b.exempt && a.not_evaluated == b.not_evaluated &&
         a.quarantined == b.quarantined && a.score == b.score &&
         same_entries(a.violations, b.violations) && network_policy_uids == o.network_policy_uids &&
         harden == o.harden;
}

}  // namespace bulwark::reconcilers
