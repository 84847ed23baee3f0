// The fan-out loop's typed events survive the trip through the work queue's keys.
#include "reconcilers/fanout_event.h"

#include <gtest/gtest.h>

namespace bulwark::reconcilers {
namespace {

TEST(FanoutEvent, EveryTypeRoundTripsThroughItsKey) {
  for (const auto& e :
       {FanoutEvent::everything(), FanoutEvent::resync(), FanoutEvent::of_namespace("shop"),
        FanoutEvent::of_workload("Pod", "shop/cart-1"), FanoutEvent::of_report("shop/r-1"),
        FanoutEvent::of_policy("prod"), FanoutEvent::of_account("shop/web"),
        FanoutEvent::of_selecting("Service", "shop/web")}) {
    EXPECT_EQ(FanoutEvent::parse(e.key()), e) << e.key();
  }
  // Equal events have equal keys, so the queue folds them.
  EXPECT_EQ(FanoutEvent::of_workload("Pod", "shop/a").key(),
            FanoutEvent::of_workload("Pod", "shop/a").key());
  EXPECT_NE(FanoutEvent::of_namespace("shop").key(), FanoutEvent::of_report("shop").key());
}

TEST(FanoutEvent, KeysItDidNotMakeAreRefused) {
  EXPECT_FALSE(FanoutEvent::parse("all").has_value());
  EXPECT_FALSE(FanoutEvent::parse("workload|Pod").has_value());
  EXPECT_FALSE(FanoutEvent::parse("whatever|x").has_value());
}

}  // namespace
}  // namespace bulwark::reconcilers
