// EventFolding: past the budget of a window, Events are told by namespace, and none is lost.
#include "reconcilers/event_folding.h"

#include <gtest/gtest.h>

namespace bulwark::reconcilers {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

EventFolding::Told violation(const std::string& ns, const std::string& name) {
  return {{"v1", "Pod", ns, name, "u-" + name, "1"},
          EventType::kWarning,
          "PolicyViolation",
          name + " violates privileged",
          std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 57)};
}

TEST(EventFolding, PastTheBudgetEventsAreFoldedByNamespaceAndReasonAndToldWhenTheWindowEnds) {
  EventFolding folding({3, minutes(1), 2});
  const auto t0 = std::chrono::steady_clock::time_point{} + minutes(10);
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(folding.tell_alone(violation("a", "p" + std::to_string(i)), true, t0));
  for (int i = 3; i < 8; ++i)
    EXPECT_FALSE(folding.tell_alone(violation("a", "p" + std::to_string(i)), true, t0));
  EXPECT_FALSE(folding.tell_alone(violation("b", "q"), true, t0 + seconds(10)));
  auto quarantined = violation("a", "p9");
  quarantined.reason = "Quarantined";
  quarantined.type = EventType::kNormal;
  EXPECT_FALSE(folding.tell_alone(quarantined, true, t0 + seconds(20)));
  EXPECT_TRUE(folding.tell_alone(violation("", "cluster-scoped"), true, t0));  // never folded
  EXPECT_TRUE(folding.due(t0 + seconds(59), 100).empty());  // the window has not ended
  const auto told = folding.due(t0 + minutes(1), 100);
  ASSERT_EQ(told.size(), 3u);
  EXPECT_FALSE(folding.folding());
  // By namespace, reason and type; about the Namespace, in it.
  EXPECT_EQ(told[0].about.kind, "Namespace");
  EXPECT_EQ(told[0].about.name, "a");
  EXPECT_EQ(told[0].about.namespace_name, "a");
  EXPECT_EQ(told[0].reason, "PolicyViolation");
  EXPECT_EQ(told[0].type, EventType::kWarning);
  EXPECT_NE(told[0].message.find("5 PolicyViolation Events about objects of this namespace"),
            std::string::npos)
      << told[0].message;
  EXPECT_NE(told[0].message.find(": Pod/p3, Pod/p4 and 3 more."), std::string::npos)
      << told[0].message;
  EXPECT_EQ(told[1].reason, "Quarantined");
  EXPECT_EQ(told[2].about.name, "b");
  EXPECT_NE(told[2].message.find("1 PolicyViolation Events"), std::string::npos);
  EXPECT_NE(told[2].message.find(": Pod/q."), std::string::npos) << told[2].message;
  // A new window has a new budget.
  EXPECT_TRUE(folding.tell_alone(violation("a", "r"), true, t0 + minutes(1)));
}

TEST(EventFolding, AFullQueueFoldsAndWhatFindsNoRoomKeepsCounting) {
  EventFolding folding({100, minutes(1), 10});
  const auto t0 = std::chrono::steady_clock::time_point{} + minutes(10);
  EXPECT_FALSE(folding.tell_alone(violation("a", "p"), false, t0));  // no room: folded
  EXPECT_FALSE(folding.tell_alone(violation("b", "q"), false, t0));
  auto told = folding.due(t0 + minutes(1), 1);  // room for one
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].about.name, "a");
  EXPECT_FALSE(folding.tell_alone(violation("b", "q2"), false, t0 + minutes(1)));
  told = folding.due(t0 + minutes(1), 5);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_NE(told[0].message.find("2 PolicyViolation Events"), std::string::npos);
  EXPECT_NE(told[0].message.find(": Pod/q, Pod/q2."), std::string::npos) << told[0].message;
}

}  // namespace
}  // namespace bulwark::reconcilers
