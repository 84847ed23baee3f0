#include "operator/kube/conditions.h"

#include <algorithm>

namespace bulwark::kube {

using document::Value;

std::string_view to_string(ConditionStatus status) {
  switch (status) {
    case ConditionStatus::kTrue:
      return "True";
    case ConditionStatus::kFalse:
      return "False";
    case ConditionStatus::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

std::optional<ConditionStatus> parse_condition_status(std::string_view text) {
  for (auto s : {ConditionStatus::kTrue, ConditionStatus::kFalse, ConditionStatus::kUnknown}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

bool Condition::same_as(const Condition& other) const {
  return type == other.type && status == other.status && reason == other.reason &&
         message == other.message && observed_generation == other.observed_generation;
}

void set_status_condition(std::vector<Condition>& conditions, Condition condition,
                          std::string_view now) {
  auto it = std::find_if(conditions.begin(), conditions.end(),
                         [&](const Condition& c) { return c.type == condition.type; });
  if (it == conditions.end()) {
    if (condition.last_transition_time.empty()) condition.last_transition_time = now;
    conditions.push_back(std::move(condition));
    return;
  }
  if (it->status != condition.status || it->last_transition_time.empty()) {
    it->status = condition.status;
    it->last_transition_time =
        condition.last_transition_time.empty() ? std::string(now) : condition.last_transition_time;
  }
  it->reason = std::move(condition.reason);
  it->message = std::move(condition.message);
  it->observed_generation = condition.observed_generation;
}

void remove_status_condition(std::vector<Condition>& conditions, std::string_view type) {
  std::erase_if(conditions, [&](const Condition& c) { return c.type == type; });
}

std::vector<Condition> conditions_from(const Value* list) {
  std::vector<Condition> out;
  auto text = [](const Value& v, std::string_view key) {
    const Value* f = v.find(key);
    return f != nullptr ? std::string(f->str()) : std::string();
  };
  for (const auto& item : document::items_of(list)) {
    const Value* status = item.find("status");
    const auto parsed = parse_condition_status(status != nullptr ? status->str() : "");
    if (text(item, "type").empty() || !parsed) continue;
    const Value* generation = item.find("observedGeneration");
    out.push_back({text(item, "type"), *parsed, text(item, "reason"), text(item, "message"),
                   generation != nullptr ? generation->as_int().value_or(0) : 0,
                   text(item, "lastTransitionTime")});
  }
  return out;
}

Value to_value(const std::vector<Condition>& conditions) {
  Value list = Value::array();
  for (const auto& c : conditions) {
    list.push(Value::object()
                  .set("type", Value::string(c.type))
                  .set("status", Value::string(to_string(c.status)))
                  .set("reason", Value::string(c.reason))
                  .set("message", Value::string(c.message))
                  .set("observedGeneration", Value::integer(c.observed_generation))
                  .set("lastTransitionTime", Value::string(c.last_transition_time)));
  }
  return list;
}

bool same_conditions(const std::vector<Condition>& a, const std::vector<Condition>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const Condition& x, const Condition& y) { return x.same_as(y); });
}

}  // namespace bulwark::kube
