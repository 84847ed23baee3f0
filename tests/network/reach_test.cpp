#include "operator/network/reach.h"

#include <gtest/gtest.h>

#include "tests/network/model_helpers.h"

namespace bulwark::network {
namespace {

using testing::pod;
using testing::policy;
constexpr Protocol kTcp = Protocol::kTcp;

// The documentation's first example (concepts/services-networking/network-policies).
NetworkModel documentation_example() {
  NetworkModel m;
  m.add_policy(policy("default", "test-network-policy", R"(
  podSelector: {matchLabels: {role: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - ipBlock: {cidr: 172.17.0.0/16, except: [172.17.1.0/24]}
    - namespaceSelector: {matchLabels: {project: myproject}}
    - podSelector: {matchLabels: {role: frontend}}
    ports: [{protocol: TCP, port: 6379}]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/24}}]
    ports: [{protocol: TCP, port: 5978}]
)"));
  m.add_namespace("default", {});
  m.add_namespace("team", {{"project", "myproject"}});
  m.add_namespace("other", {});
  return m;
}

TEST(NetworkModel, DocumentationExampleIngress) {
  const auto m = documentation_example();
  const auto db = pod("default", "db", {{"role", "db"}}, "198.18.0.10");
  const auto frontend = pod("default", "fe", {{"role", "frontend"}}, "198.18.0.11");
  const auto team = pod("team", "any", {}, "198.18.0.12");
  const auto stranger = pod("other", "fe", {{"role", "frontend"}}, "198.18.0.13");
  EXPECT_EQ(m.ingress({&frontend, frontend.address}, db, kTcp, 6379).reach, Reach::kAllowed);
  EXPECT_EQ(m.ingress({&team, team.address}, db, kTcp, 6379).reach, Reach::kAllowed);
  // A podSelector alone means the policy's own namespace.
  EXPECT_EQ(m.ingress({&stranger, stranger.address}, db, kTcp, 6379).reach, Reach::kDenied);
  EXPECT_EQ(m.ingress({&frontend, frontend.address}, db, kTcp, 6380).reach, Reach::kDenied);
  EXPECT_EQ(m.ingress({&frontend, frontend.address}, db, Protocol::kUdp, 6379).reach,
            Reach::kDenied);
  const auto inside = *Address::parse("172.17.0.9");
  const auto excepted = *Address::parse("172.17.1.9");
  EXPECT_EQ(m.ingress({nullptr, inside}, db, kTcp, 6379).reach, Reach::kAllowed);
  EXPECT_EQ(m.ingress({nullptr, excepted}, db, kTcp, 6379).reach, Reach::kDenied);
  const auto decided = m.ingress({&frontend, frontend.address}, db, kTcp, 6379);
  EXPECT_EQ(decided.reason, "ingress rule 1 of NetworkPolicy default/test-network-policy");
  // A pod the policy does not select is open.
  EXPECT_EQ(m.ingress({&stranger, stranger.address}, frontend, kTcp, 1).reach, Reach::kAllowed);
  EXPECT_EQ(m.ingress({&stranger, stranger.address}, frontend, kTcp, 1).reason,
            "no NetworkPolicy selects default/fe for Ingress");
}

TEST(NetworkModel, DocumentationExampleEgress) {
  const auto m = documentation_example();
  const auto db = pod("default", "db", {{"role", "db"}}, "198.18.0.10");
  const auto fe = pod("default", "fe", {{"role", "frontend"}}, "198.18.0.11");
  EXPECT_EQ(m.egress(db, {nullptr, *Address::parse("10.0.0.7")}, kTcp, 5978).reach,
            Reach::kAllowed);
  EXPECT_EQ(m.egress(db, {nullptr, *Address::parse("10.0.1.7")}, kTcp, 5978).reach, Reach::kDenied);
  EXPECT_EQ(m.egress(db, {&fe, fe.address}, kTcp, 5978).reach, Reach::kDenied);
  // Both ends: fe may send (nothing selects it for Egress) but db's egress answers nothing of
  // its own; the connection fe -> db needs only fe's egress and db's ingress.
  EXPECT_EQ(m.connect(fe, db, kTcp, 6379).reach, Reach::kAllowed);
  EXPECT_EQ(m.connect(db, fe, kTcp, 80).reach, Reach::kDenied);
  EXPECT_EQ(m.connect(db, fe, kTcp, 80).reason.rfind("egress: isolated for Egress by", 0), 0u);
}

TEST(NetworkModel, DefaultDenyAndAllowAll) {
  NetworkModel m;
  m.add_policy(
      policy("a", "default-deny-ingress", "  podSelector: {}\n  policyTypes: [Ingress]\n"));
  const auto x = pod("a", "x", {}, "198.18.0.20");
  const auto y = pod("a", "y", {}, "198.18.0.21");
  EXPECT_EQ(m.connect(x, y, kTcp, 80).reach, Reach::kDenied);
  EXPECT_EQ(m.egress(x, {nullptr, *Address::parse("8.8.8.8")}, kTcp, 53).reach, Reach::kAllowed);
  // NetworkPolicies add up: an allow-all beside the deny-all reopens every pod.
  m.add_policy(policy("a", "allow-all-ingress",
                      "  podSelector: {}\n  ingress: [{}]\n  policyTypes: [Ingress]\n"));
  EXPECT_EQ(m.connect(x, y, kTcp, 80).reach, Reach::kAllowed);
  EXPECT_EQ(m.connect(x, y, kTcp, 80).reason,
            "egress: no NetworkPolicy selects a/x for Egress; ingress: ingress rule 1 of "
            "NetworkPolicy a/allow-all-ingress");
  m.add_policy(policy("a", "default-deny-egress", "  podSelector: {}\n  policyTypes: [Egress]\n"));
  EXPECT_EQ(m.connect(x, y, kTcp, 80).reach, Reach::kDenied);
  m.add_policy(policy("a", "allow-all-egress",
                      "  podSelector: {}\n  egress: [{}]\n  policyTypes: [Egress]\n"));
  EXPECT_EQ(m.connect(x, y, Protocol::kSctp, 9).reach, Reach::kAllowed);
}

TEST(NetworkModel, PolicyTypesDefaulting) {
  NetworkModel m;
  // No policyTypes and egress rules: Ingress and Egress, so ingress is isolated with no rule.
  m.add_policy(policy("a", "egress-only", "  podSelector: {}\n  egress: [{}]\n"));
  const auto x = pod("a", "x", {}, "198.18.0.20");
  const auto y = pod("a", "y", {}, "198.18.0.21");
  EXPECT_EQ(m.connect(x, y, kTcp, 80).reach, Reach::kDenied);
  EXPECT_EQ(m.connect(x, y, kTcp, 80).reason.rfind("ingress: isolated for Ingress", 0), 0u);
  // An empty egress list is no egress rule: Ingress only.
  NetworkModel n;
  n.add_policy(policy("a", "empty-egress", "  podSelector: {}\n  egress: []\n  ingress: [{}]\n"));
  EXPECT_EQ(n.selecting(x, Direction::kEgress).size(), 0u);
  EXPECT_EQ(n.connect(x, y, kTcp, 80).reach, Reach::kAllowed);
  // policyTypes [Egress] ignores ingress rules.
  NetworkModel e;
  e.add_policy(
      policy("a", "only-egress", "  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{}]\n"));
  EXPECT_EQ(e.selecting(x, Direction::kIngress).size(), 0u);
  EXPECT_EQ(e.connect(x, y, kTcp, 80).reach, Reach::kDenied);
}

TEST(NetworkModel, NamespaceAndPodSelectorInOnePeerOrTwo) {
  // The documentation's "and" versus "or": one peer with both selectors admits the client pods of
  // the user=alice namespaces; two peers admit every pod there and the client pods here.
  NetworkModel both, either;
  both.add_policy(policy("a", "p", R"(
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {user: alice}}
      podSelector: {matchLabels: {role: client}}
)"));
  either.add_policy(policy("a", "p", R"(
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {user: alice}}
    - podSelector: {matchLabels: {role: client}}
)"));
  for (auto* m : {&both, &either}) {
    m->add_namespace("a", {});
    m->add_namespace("alice", {{"user", "alice"}});
  }
  const auto target = pod("a", "t", {}, "198.18.0.30");
  const auto alice_client = pod("alice", "c", {{"role", "client"}}, "198.18.0.31");
  const auto alice_other = pod("alice", "o", {}, "198.18.0.32");
  const auto local_client = pod("a", "c", {{"role", "client"}}, "198.18.0.33");
  auto in = [&](const NetworkModel& m, const Pod& from) {
    return m.ingress({&from, from.address}, target, kTcp, 80).reach;
  };
  EXPECT_EQ(in(both, alice_client), Reach::kAllowed);
  EXPECT_EQ(in(both, alice_other), Reach::kDenied);
  EXPECT_EQ(in(both, local_client), Reach::kDenied);
  EXPECT_EQ(in(either, alice_client), Reach::kAllowed);
  EXPECT_EQ(in(either, alice_other), Reach::kAllowed);
  EXPECT_EQ(in(either, local_client), Reach::kAllowed);
}

TEST(NetworkModel, EndPortAndNamedPorts) {
  NetworkModel m;
  m.add_policy(policy("a", "range", R"(
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 198.18.0.0/25}}]
    ports: [{protocol: TCP, port: 32000, endPort: 32768}]
  - to: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: http}]
  - to: [{ipBlock: {cidr: 198.18.0.0/25}}]
    ports: [{port: metrics}]
)"));
  const auto client = pod("a", "c", {{"app", "client"}}, "198.18.0.40");
  const auto web = pod("a", "w", {{"app", "web"}}, "198.18.0.41", "198.18.0.1",
                       {{"http", 8080, kTcp}, {"metrics", 9090, kTcp}});
  const Remote web_end{&web, web.address};
  EXPECT_EQ(m.egress(client, web_end, kTcp, 32000).reach, Reach::kAllowed);
  EXPECT_EQ(m.egress(client, web_end, kTcp, 32768).reach, Reach::kAllowed);
  EXPECT_EQ(m.egress(client, web_end, kTcp, 32769).reach, Reach::kDenied);
  EXPECT_EQ(m.egress(client, web_end, kTcp, 31999).reach, Reach::kDenied);
  // "http" is the destination's 8080, through the podSelector peer.
  EXPECT_EQ(m.egress(client, web_end, kTcp, 8080).reach, Reach::kAllowed);
  EXPECT_EQ(m.egress(client, web_end, kTcp, 80).reach, Reach::kDenied);
  EXPECT_EQ(m.egress(client, web_end, Protocol::kUdp, 8080).reach, Reach::kDenied);
  // "metrics" toward an ipBlock matches nothing, even where the address is a pod's that names it.
  EXPECT_EQ(m.egress(client, web_end, kTcp, 9090).reach, Reach::kDenied);
}

TEST(NetworkModel, IngressNamedPortIsTheSelectedPods) {
  NetworkModel m;
  m.add_policy(policy("a", "web", R"(
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: http}, {port: dns, protocol: UDP}]}]
)"));
  const auto web = pod("a", "w", {{"app", "web"}}, "198.18.0.41", "198.18.0.1",
                       {{"http", 8080, kTcp}, {"dns", 5353, Protocol::kUdp}});
  const Remote world{nullptr, *Address::parse("8.8.8.8")};
  EXPECT_EQ(m.ingress(world, web, kTcp, 8080).reach, Reach::kAllowed);
  EXPECT_EQ(m.ingress(world, web, Protocol::kUdp, 5353).reach, Reach::kAllowed);
  EXPECT_EQ(m.ingress(world, web, kTcp, 5353).reach, Reach::kDenied);
}

TEST(NetworkModel, OwnNodeAndHostNetwork) {
  NetworkModel m;
  m.add_policy(policy("a", "deny", "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"));
  m.add_policy(policy("a", "from-range", R"(
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{ipBlock: {cidr: 198.18.0.0/24}}]}, {from: [{podSelector: {}}]}]
)"));
  const auto db = pod("a", "db", {{"app", "db"}}, "198.18.0.50", "198.18.0.1");
  const auto x = pod("a", "x", {}, "198.18.0.51", "198.18.0.1");
  // Its node reaches it and it reaches its node, whatever the policies say.
  EXPECT_EQ(m.ingress({nullptr, *Address::parse("198.18.0.1")}, x, kTcp, 80).reason,
            "its own node");
  EXPECT_EQ(m.egress(x, {nullptr, *Address::parse("198.18.0.1")}, kTcp, 10250).reach,
            Reach::kAllowed);
  // A host-network pod has its node's address: only ipBlock matches it, and nothing isolates it.
  auto host = pod("b", "h", {}, "198.18.0.3", "198.18.0.3");
  host.host_network = true;
  EXPECT_EQ(m.ingress({&host, host.address}, db, kTcp, 80).reason,
            "ingress rule 1 of NetworkPolicy a/from-range");
  auto host_local = pod("a", "hl", {}, "198.18.0.3", "198.18.0.3");
  host_local.host_network = true;
  const auto far = pod("a", "far", {}, "198.18.0.52", "198.18.0.7");
  // The podSelector: {} rule would admit any pod of a, but not a host-network one.
  EXPECT_EQ(m.ingress({&host_local, *Address::parse("198.18.1.3")}, db, kTcp, 80).reach,
            Reach::kDenied);
  EXPECT_EQ(m.connect(x, host_local, kTcp, 80).reach, Reach::kDenied);  // x's egress is denied
  EXPECT_EQ(m.ingress({&far, far.address}, host_local, kTcp, 80).reach, Reach::kAllowed);
}

TEST(NetworkModel, UnknownNamespaceLabelsDecideNothing) {
  NetworkModel m;
  m.add_policy(policy("a", "by-label", R"(
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: x}}}]}]
)"));
  const auto target = pod("a", "t", {}, "198.18.0.60");
  const auto from = pod("b", "f", {}, "198.18.0.61");
  EXPECT_EQ(m.ingress({&from, from.address}, target, kTcp, 80).reach, Reach::kUnknown);
  m.add_namespace("b", {{"team", "y"}});
  EXPECT_EQ(m.ingress({&from, from.address}, target, kTcp, 80).reach, Reach::kDenied);
  // A selector on the name label alone is decided without the namespace.
  NetworkModel by_name;
  by_name.add_policy(policy("a", "by-name", R"(
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: b}}}]}]
)"));
  EXPECT_EQ(by_name.ingress({&from, from.address}, target, kTcp, 80).reach, Reach::kAllowed);
  // A pod's address unknown (a template) leaves an ipBlock undecided.
  NetworkModel block;
  block.add_policy(policy("a", "block", R"(
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 198.18.0.0/25}}]}]
)"));
  const auto unplaced = pod("b", "u", {});
  EXPECT_EQ(block.ingress({&unplaced, std::nullopt}, target, kTcp, 80).reach, Reach::kUnknown);
  // Every namespace known: the implicit name label is all an unknown one has.
  by_name.set_namespaces_complete(true);
  m.set_namespaces_complete(true);
  const auto ghost = pod("ghost", "g", {}, "198.18.0.62");
  EXPECT_EQ(m.ingress({&ghost, ghost.address}, target, kTcp, 80).reach, Reach::kDenied);
}

}  // namespace
}  // namespace bulwark::network
