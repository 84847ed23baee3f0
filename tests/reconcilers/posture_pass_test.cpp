// A pass of every workload: its keys' own lines are quiet, and its end is one summary line.
#include "reconcilers/posture_pass.h"

#include <gtest/gtest.h>

#include "tests/base/fake_clock.h"

namespace bulwark::reconcilers {
namespace {

using namespace std::chrono_literals;

TEST(PosturePass, EndsWithOneLineCountingWhatItJudgedAndChanged) {
  testing::FakeClock clock;
  PosturePass pass(clock);
  EXPECT_FALSE(pass.in_pass("Deployment/shop/web"));
  EXPECT_EQ(pass.done("Deployment/shop/web"), "");  // not in a pass: nothing to say

  pass.begin("resync", {"Deployment/shop/web", "Deployment/shop/api", "Pod/shop/debug"});
  EXPECT_TRUE(pass.in_pass("Deployment/shop/web"));
  pass.changed("Deployment/shop/web");
  EXPECT_EQ(pass.done("Deployment/shop/web"), "");
  EXPECT_FALSE(pass.in_pass("Deployment/shop/web"));
  clock.advance(1500ms);
  // A pass that begins meanwhile merges into this one.
  pass.begin("policy prod", {"Pod/shop/debug", "StatefulSet/shop/cache"});
  EXPECT_EQ(pass.done("Deployment/shop/api"), "");
  EXPECT_EQ(pass.done("Pod/shop/debug"), "");
  pass.changed("StatefulSet/shop/cache");
  EXPECT_TRUE(pass.under_way());  // a resync now would judge again what this pass judges
  EXPECT_TRUE(pass.under_way_for(1500ms));
  EXPECT_FALSE(pass.under_way_for(1501ms));
  EXPECT_EQ(pass.done("StatefulSet/shop/cache"),
            "posture pass (resync, policy prod): 4 workloads judged, 2 changed, in 1.5 s");
  EXPECT_FALSE(pass.under_way());
  // The next pass starts its counts afresh.
  pass.begin("resync", {"Deployment/shop/web"});
  EXPECT_EQ(pass.done("Deployment/shop/web"),
            "posture pass (resync): 1 workload judged, 0 changed, in 0.0 s");
}

}  // namespace
}  // namespace bulwark::reconcilers
