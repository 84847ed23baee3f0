#include "operator/network/exposure.h"

#include <gtest/gtest.h>

#include "tests/network/model_helpers.h"

namespace bulwark::network {
namespace {

using testing::pod;
using testing::policy;

IpBlock block(const char* cidr, std::vector<const char*> except = {}) {
  IpBlock b{*Cidr::parse(cidr), {}};
  for (auto e : except) b.except.push_back(*Cidr::parse(e));
  return b;
}

bool world(std::vector<IpBlock> blocks) {
  std::vector<const IpBlock*> pointers;
  for (const auto& b : blocks) pointers.push_back(&b);
  return admits_world(pointers);
}

TEST(NetworkExposure, WorldIsAsManyPublicAddressesAsASlashEight) {
  EXPECT_TRUE(world({block("0.0.0.0/0")}));
  EXPECT_TRUE(world({block("::/0")}));
  // Excepting the private ranges still admits the world; excepting the metadata address too.
  EXPECT_TRUE(world({block("0.0.0.0/0", {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"})}));
  EXPECT_TRUE(world({block("0.0.0.0/0", {"169.254.169.254/32"})}));
  // Half the space, or two halves in two blocks, is the world; one public /8 is the bar.
  EXPECT_TRUE(world({block("128.0.0.0/1")}));
  EXPECT_TRUE(world({block("0.0.0.0/1"), block("128.0.0.0/1")}));
  EXPECT_TRUE(world({block("11.0.0.0/8")}));
  EXPECT_FALSE(world({block("11.0.0.0/9")}));
  // The private ranges never count: 10.0.0.0/8 is no world, 8.0.0.0/6 with it excepted is.
  EXPECT_FALSE(world({block("10.0.0.0/8")}));
  EXPECT_FALSE(world({block("0.0.0.0/0", {"0.0.0.0/1", "128.0.0.0/1"})}));
  EXPECT_FALSE(
      world({block("0.0.0.0/0", {"0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4",
                                 "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1"})}));
  EXPECT_TRUE(world({block("8.0.0.0/6", {"10.0.0.0/8"})}));
  // The test networks are the world's addresses, but far too few to be it.
  EXPECT_FALSE(world({block("198.18.0.0/15")}));
  EXPECT_FALSE(world({block("8.8.8.8/32")}));
  EXPECT_FALSE(world({block("::/0", {"::/1", "8000::/1"})}));
  EXPECT_TRUE(world({block("2001:db8::/32")}));
  EXPECT_FALSE(world({block("fd00::/8")}));
  // What no host of the world has is not counted: multicast, reserved, shared, link-local.
  EXPECT_FALSE(world({block("224.0.0.0/4"), block("240.0.0.0/4"), block("100.64.0.0/10")}));
  EXPECT_FALSE(world({block("ff00::/8"), block("fe80::/10")}));
  // NAT64's prefix is the IPv4 internet in an IPv6 cluster: a /8's worth of it is the world.
  EXPECT_TRUE(world({block("64:ff9b::/96")}));
  EXPECT_TRUE(world({block("64:ff9b::/104")}));
  EXPECT_FALSE(world({block("64:ff9b::/105")}));
  EXPECT_TRUE(is_private(*Cidr::parse("10.1.0.0/16")));
  EXPECT_FALSE(is_private(*Cidr::parse("198.18.0.0/15")));
}

// A policy of 1.5 MB may hold 100,000 excepts: counting what the block admits is a sort and a
// sweep, not a rescan per except (which took minutes and stalled the reconciler).
TEST(NetworkExposure, ManyExceptsAreCountedInOneSweep) {
  IpBlock b{*Cidr::parse("0.0.0.0/0"), {}};
  for (std::uint32_t i = 0; i < 100000; ++i) {
    b.except.push_back(Cidr{Address{false, Address::Bits{0x0b000000u + i * 64}}, 32});
  }
  EXPECT_TRUE(world({b}));  // 100,000 addresses out of the world leave it the world
  IpBlock small{*Cidr::parse("11.0.0.0/8"), {}};
  for (std::uint32_t i = 0; i < 65536; ++i) {
    small.except.push_back(Cidr{Address{false, Address::Bits{0x0b000000u + i * 256}}, 32});
  }
  EXPECT_FALSE(world({small}));  // a /8 less 65,536 addresses is just under the bar
}

TEST(NetworkExposure, RulesThatAdmitTheWorldOnlyTogetherAreNamedTogether) {
  NetworkModel m;
  m.add_policy(policy("a", "halves", R"(
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 11.0.0.0/9}}]}, {from: [{ipBlock: {cidr: 11.128.0.0/9}}]}]
)"));
  const auto any = pod("a", "x", {});
  const auto open = world_openings(m, any, Direction::kIngress);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].rule + " " + open[0].what,
            "ingress rule 1 of NetworkPolicy a/halves (11.0.0.0/9) and ingress rule 2 of "
            "NetworkPolicy a/halves (11.128.0.0/9) admit the world together");
}

TEST(NetworkExposure, OpeningsNameTheRule) {
  NetworkModel m;
  m.add_policy(policy("a", "open", R"(
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{podSelector: {}}]
  - from: [{namespaceSelector: {}}]
    ports: [{port: 8080}]
  - from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
    ports: [{port: http}]
  egress:
  - to: [{ipBlock: {cidr: 198.18.0.0/15}}]
  - ports: [{port: 53, protocol: UDP}]
)"));
  const auto web = pod("a", "w", {{"app", "web"}}, "", "", {{"http", 80, Protocol::kTcp}});
  const auto all = all_namespaces_openings(m, web);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].rule, "ingress rule 2 of NetworkPolicy a/open");
  EXPECT_EQ(all[0].what, "admits every pod of every namespace");
  const auto world_in = world_openings(m, web, Direction::kIngress);
  ASSERT_EQ(world_in.size(), 1u);
  EXPECT_EQ(world_in[0].rule, "ingress rule 3 of NetworkPolicy a/open");
  EXPECT_EQ(world_in[0].what, "admits 0.0.0.0/0 except 10.0.0.0/8");
  // On the pod's port 80 ("http") the world gets in; on 8080 only pods do.
  EXPECT_EQ(world_openings(m, web, Direction::kIngress, PortOf{Protocol::kTcp, 80}).size(), 1u);
  EXPECT_EQ(world_openings(m, web, Direction::kIngress, PortOf{Protocol::kTcp, 8080}).size(), 0u);
  const auto world_out = world_openings(m, web, Direction::kEgress);
  ASSERT_EQ(world_out.size(), 1u);
  EXPECT_EQ(world_out[0].rule, "egress rule 2 of NetworkPolicy a/open");
  EXPECT_EQ(world_out[0].what, "admits every destination");
  // An unselected pod has no openings: the Unrestricted controls speak for it.
  const auto other = pod("a", "o", {});
  EXPECT_TRUE(all_namespaces_openings(m, other).empty());
  EXPECT_TRUE(m.selecting(other, Direction::kIngress).empty());
}

TEST(NetworkExposure, NameLabelExistsIsEveryNamespace) {
  Peer peer;
  peer.namespace_selector.emplace();
  peer.namespace_selector->match_expressions.push_back(
      {"kubernetes.io/metadata.name", crds::LabelSelector::Requirement::Operator::kExists, {}});
  EXPECT_TRUE(admits_all_namespaces(peer));
  peer.pod_selector.emplace();
  EXPECT_TRUE(admits_all_namespaces(peer));
  peer.pod_selector->match_labels["app"] = "x";
  EXPECT_FALSE(admits_all_namespaces(peer));
  // Selectors that only leave some out still take in every namespace they do not name.
  Peer all_but;
  all_but.namespace_selector.emplace();
  all_but.namespace_selector->match_expressions.push_back(
      {"kubernetes.io/metadata.name", crds::LabelSelector::Requirement::Operator::kNotIn, {"x"}});
  all_but.pod_selector.emplace();
  all_but.pod_selector->match_expressions.push_back(
      {"nope", crds::LabelSelector::Requirement::Operator::kDoesNotExist, {}});
  EXPECT_TRUE(admits_all_namespaces(all_but));
  all_but.pod_selector->match_expressions.push_back(
      {"app", crds::LabelSelector::Requirement::Operator::kIn, {"x"}});
  EXPECT_FALSE(admits_all_namespaces(all_but));
  // Every namespace carries its name label: DoesNotExist on it selects none.
  Peer none;
  none.namespace_selector.emplace();
  none.namespace_selector->match_expressions.push_back(
      {"kubernetes.io/metadata.name",
       crds::LabelSelector::Requirement::Operator::kDoesNotExist,
       {}});
  EXPECT_FALSE(admits_all_namespaces(none));
}

}  // namespace
}  // namespace bulwark::network
