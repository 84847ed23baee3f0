#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/document/value.h"

namespace bulwark::kube {

enum class ConditionStatus { kTrue, kFalse, kUnknown };
std::string_view to_string(ConditionStatus status);
std::optional<ConditionStatus> parse_condition_status(std::string_view text);

// A metav1.Condition, typed. Reasons are named constants of their owners (CamelCase).
struct Condition {
  std::string type;
  ConditionStatus status = ConditionStatus::kUnknown;
  std::string reason;
  std::string message;
  std::int64_t observed_generation = 0;
  std::string last_transition_time;  // RFC 3339; set by set_status_condition

  // Equal in all but the transition time: what decides whether a status needs writing.
  bool same_as(const Condition& other) const;
};

// Adds or updates the condition of `condition.type`, with the semantics of apimachinery's
// meta.SetStatusCondition: lastTransitionTime becomes `now` for a new condition or when the status
// flips, and is kept otherwise; reason, message and observedGeneration always follow `condition`.
void set_status_condition(std::vector<Condition>& conditions, Condition condition,
                          std::string_view now);
// Removes the condition of that type, if there is one (meta.RemoveStatusCondition).
void remove_status_condition(std::vector<Condition>& conditions, std::string_view type);

// Reads status.conditions; entries without a type or with an unknown status are skipped.
std::vector<Condition> conditions_from(const document::Value* list);
document::Value to_value(const std::vector<Condition>& conditions);

// Equal pairwise by same_as, in order.
bool same_conditions(const std::vector<Condition>& a, const std::vector<Condition>& b);

}  // namespace bulwark::kube
