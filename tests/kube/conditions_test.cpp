// Conditions with the semantics of apimachinery's meta.SetStatusCondition.
#include "operator/kube/conditions.h"

#include <gtest/gtest.h>

#include "operator/document/json_writer.h"
#include "operator/document/reader.h"

namespace bulwark::kube {
namespace {

Condition ready(ConditionStatus status, std::string reason, std::int64_t generation = 1) {
  return {"Ready", status, std::move(reason), "", generation, ""};
}

TEST(Conditions, ANewConditionGetsTheTimeItWasSet) {
  std::vector<Condition> list;
  set_status_condition(list, ready(ConditionStatus::kTrue, "Reconciled"), "T1");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].last_transition_time, "T1");
}

TEST(Conditions, TheTimeMovesOnlyWhenTheStatusFlips) {
  std::vector<Condition> list;
  set_status_condition(list, ready(ConditionStatus::kTrue, "Reconciled"), "T1");
  set_status_condition(list, ready(ConditionStatus::kTrue, "StillFine", 2), "T2");
  EXPECT_EQ(list[0].last_transition_time, "T1");
  EXPECT_EQ(list[0].reason, "StillFine");  // reason, message and generation always follow
  EXPECT_EQ(list[0].observed_generation, 2);
  set_status_condition(list, ready(ConditionStatus::kFalse, "InvalidSpec", 3), "T3");
  EXPECT_EQ(list[0].last_transition_time, "T3");
  EXPECT_EQ(list[0].status, ConditionStatus::kFalse);
}

TEST(Conditions, KeyedByTypeAndRemovable) {
  std::vector<Condition> list;
  set_status_condition(list, ready(ConditionStatus::kTrue, "Reconciled"), "T1");
  set_status_condition(list, {"Compliant", ConditionStatus::kFalse, "ViolationsFound", "2", 1, ""},
                       "T1");
  EXPECT_EQ(list.size(), 2u);
  remove_status_condition(list, "Ready");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].type, "Compliant");
  remove_status_condition(list, "Absent");
  EXPECT_EQ(list.size(), 1u);
}

TEST(Conditions, RoundTripThroughTheObjectAndCompareWithoutTimes) {
  std::vector<Condition> list;
  set_status_condition(list, ready(ConditionStatus::kUnknown, "Pending", 4), "T1");
  const auto back = conditions_from(&static_cast<const document::Value&>(to_value(list)));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].status, ConditionStatus::kUnknown);
  EXPECT_EQ(back[0].observed_generation, 4);
  EXPECT_TRUE(same_conditions(list, back));
  auto later = back;
  later[0].last_transition_time = "T9";
  EXPECT_TRUE(same_conditions(list, later));  // times alone do not need a write
  later[0].message = "changed";
  EXPECT_FALSE(same_conditions(list, later));
}

TEST(Conditions, WhatCannotBeReadIsSkipped) {
  const auto v = document::parse_json(
      R"([{"type":"Ready","status":"Maybe"},{"status":"True"},{"type":"Ok","status":"True"}])");
  const auto list = conditions_from(&v);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].type, "Ok");
  EXPECT_EQ(parse_condition_status("True"), ConditionStatus::kTrue);
  EXPECT_EQ(parse_condition_status("true"), std::nullopt);
}

}  // namespace
}  // namespace bulwark::kube
