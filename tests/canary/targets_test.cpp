// Where the canary is probed: only pod-network addresses, only inside the nodes' podCIDRs, and
// the operator's own address never a node's.
#include "operator/canary/targets.h"

#include <gtest/gtest.h>

namespace bulwark::canary {
namespace {

TEST(CanaryTargets, PortsFlipEveryRound) {
  const RoundPorts a = round_ports(0), b = round_ports(1);
  EXPECT_EQ(a.in_allowed, b.in_denied);
  EXPECT_EQ(a.in_denied, b.in_allowed);
  EXPECT_EQ(a.out_allowed, b.out_denied);
  EXPECT_NE(a.in_allowed, a.in_denied);
  EXPECT_EQ(round_ports(2).in_allowed, a.in_allowed);
}

TEST(CanaryTargets, CidrMembership) {
  EXPECT_TRUE(ipv4_in_cidr("198.18.0.7", "198.18.0.0/25"));
  EXPECT_FALSE(ipv4_in_cidr("198.18.0.129", "198.18.0.0/25"));
  EXPECT_TRUE(ipv4_in_cidr("1.2.3.4", "0.0.0.0/0"));
  EXPECT_TRUE(ipv4_in_cidr("198.18.0.1", "198.18.0.1/32"));
  for (const char* bad : {"198.18.0.0", "198.18.0.0/33", "198.18.0.0/", "198.18.0.0/x",
                          "198.18.0.0/24x", "fd00::/8", "/24"}) {
    EXPECT_FALSE(ipv4_in_cidr("198.18.0.7", bad)) << bad;
  }
  EXPECT_FALSE(ipv4_in_cidr("fd00::1", "198.18.0.0/25"));
  EXPECT_FALSE(ipv4_in_cidr("", "198.18.0.0/25"));
}

std::vector<NodeNetwork> nodes() {
  return {{"n1", {"198.18.0.0/25"}, {"198.18.0.1"}, false},
          {"n2", {"198.18.1.0/25"}, {"198.18.1.1"}, false},
          {"kwok-0", {"198.19.0.0/22"}, {"198.19.255.1"}, true},
          {"bare", {}, {"198.18.2.1"}, false}};
}

TEST(CanaryTargets, TheOperatorMustBeInThePodNetwork) {
  EXPECT_NE(plan_targets(nodes(), {}, "").probe_from_node.find("no POD_IP"), std::string::npos);
  EXPECT_NE(plan_targets(nodes(), {}, "198.18.1.1").probe_from_node.find("host network"),
            std::string::npos);
  EXPECT_NE(plan_targets(nodes(), {}, "198.20.0.5").probe_from_node.find("in no node's podCIDR"),
            std::string::npos);
  // A simulated node's range is no pod network.
  EXPECT_FALSE(plan_targets(nodes(), {}, "198.19.0.5").probe_from_node.empty());
  EXPECT_EQ(plan_targets(nodes(), {}, "198.18.0.5").probe_from_node, "");
}

TEST(CanaryTargets, EachRealNodeAtItsReadyCanaryInsideItsPodCidr) {
  const std::vector<CanaryPod> pods = {
      {"c-a", "n1", "198.18.0.9", false, {}},  // not ready
      {"c-b", "n1", "198.18.0.10", true, {}},  // the one probed
      {"c-c", "n2", "198.18.0.11", true, {}},  // outside n2's podCIDR
      {"c-d", "kwok-0", "198.19.0.3", true, {}}};
  const TargetPlan plan = plan_targets(nodes(), pods, "198.18.0.5");
  ASSERT_EQ(plan.targets.size(), 3u);  // the simulated node is not counted
  EXPECT_EQ(plan.targets[0].node, "bare");
  EXPECT_EQ(plan.targets[0].unavailable, "node bare has no podCIDR");
  EXPECT_EQ(plan.targets[1].node, "n1");
  EXPECT_EQ(plan.targets[1].ip, "198.18.0.10");
  EXPECT_EQ(plan.targets[1].unavailable, "");
  EXPECT_EQ(plan.targets[2].ip, "");
  EXPECT_EQ(plan.targets[2].unavailable,
            "canary pod c-c's address 198.18.0.11 is outside node n2's podCIDRs");

  const TargetPlan none =
      plan_targets(nodes(), {{"c-a", "n1", "198.18.0.9", false, {}}}, "198.18.0.5");
  EXPECT_EQ(none.targets[1].unavailable, "canary pod c-a on node n1 is not ready");
  EXPECT_EQ(none.targets[2].unavailable, "no canary pod is scheduled on node n2");
}

}  // namespace
}  // namespace bulwark::canary
