// The posture reconciler's quarantine: pods labelled and released, counted only while the label
// isolates them (bulwark-quarantine Bulwark's, no other NetworkPolicy reopening them, a node that
// enforces), never for host-network pods.
#include "tests/reconcilers/posture_fixture.h"

namespace bulwark::reconcilers {
namespace {

using document::parse_json;
using testing::WriteCall;

TEST_F(PostureTest, EnforceQuarantineLabelsPodsAndReleasesThem) {
  policy("enforce", R"({"podSecurity":{"level":"baseline"},"images":{"forbidLatestTag":false},)"
                    R"("enforcement":{"mode":"Enforce","actions":["Annotate","Quarantine"]}})");
  deployment("cart", kInsecurePodSpec, 2);
  auto requests = reconcile("Deployment/shop/cart");
  ASSERT_EQ(requests.size(), 3u);  // two pods, then the Deployment
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(requests[i].target(), "pods/shop/cart-rs-" + std::to_string(i));
    EXPECT_EQ(requests[i].body.find({"metadata", "labels", "bulwark.dev/quarantine"})->str(),
              "true");
  }
  EXPECT_EQ(book_.summarize("enforce", 100).quarantined, 1);
  EXPECT_TRUE(reconcile("Deployment/shop/cart").empty());  // the cache is behind: no relabelling
  EXPECT_EQ(events_.briefs(), (std::vector<std::string>{"Deployment/cart:PolicyViolation",
                                                        "Deployment/cart:Quarantined"}));

  // The pods carry the label now (versions past the fake writer's); the policy goes back to
  // Audit: release.
  for (const char* name : {"cart-rs-0", "cart-rs-1"}) {
    pods_.put(parse_json(
        R"({"kind":"Pod","metadata":{"name":")" + std::string(name) +
        R"(","namespace":"shop","uid":"p","resourceVersion":"200",)"
        R"("labels":{"bulwark.dev/quarantine":"true"},"ownerReferences":[{"kind":"ReplicaSet",)"
        R"("name":"cart-rs","uid":"rs-cart","controller":true}]},"spec":{"containers":[]}})"));
  }
  policy("enforce",
         R"({"podSecurity":{"level":"baseline"},"images":{"forbidLatestTag":false},)"
         R"("enforcement":{"mode":"Audit"}})",
         "2");
  events_.clear();
  requests = reconcile("Deployment/shop/cart");
  ASSERT_GE(requests.size(), 2u);
  // Each conditional on the version judged (Expectations::begin).
  EXPECT_EQ(requests[0].json(),
            R"({"metadata":{"labels":{"bulwark.dev/quarantine":null},"resourceVersion":"200"}})");
  EXPECT_EQ(requests[1].json(),
            R"({"metadata":{"labels":{"bulwark.dev/quarantine":null},"resourceVersion":"200"}})");
  EXPECT_EQ(events_.briefs().back(), "Deployment/cart:Released");
}

// NetworkPolicy does not isolate host-network pods (their traffic is the node's): they are never
// labelled or counted as quarantined, a pod labelled before is released, and the workload gets a
// Warning Event QuarantineNotEnforced saying why (issue 34: the demo's host-network DaemonSet was
// listed as quarantined).
TEST_F(PostureTest, HostNetworkPodsAreNeverCalledQuarantined) {
  policy("enforce", R"({"podSecurity":{"level":"baseline"},"images":{"forbidLatestTag":false},)"
                    R"("enforcement":{"mode":"Enforce","actions":["Annotate","Quarantine"]}})");
  const std::string host_spec =
      R"({"hostNetwork":true,"containers":[{"name":"app","image":"nginx:1.27"}]})";
  deployment("agent", host_spec, 1);
  pods_.put(
      parse_json(R"({"kind":"Pod","metadata":{"name":"agent-rs-0","namespace":"shop","uid":"p",)"
                 R"("resourceVersion":"1","labels":{"bulwark.dev/quarantine":"true"},)"
                 R"("ownerReferences":[{"kind":"ReplicaSet","name":"agent-rs","uid":"rs-agent",)"
                 R"("controller":true}]},"spec":)" +
                 host_spec + "}"));
  auto requests = reconcile("Deployment/shop/agent");
  ASSERT_EQ(requests.size(), 2u);  // the pod's old label goes, then the Deployment's annotations
  EXPECT_EQ(requests[0].json(),
            R"({"metadata":{"labels":{"bulwark.dev/quarantine":null},"resourceVersion":"1"}})");
  EXPECT_EQ(requests[1].body.find({"metadata", "annotations", "bulwark.dev/posture"})->str(),
            "violating");
  EXPECT_EQ(book_.summarize("enforce", 100).quarantined, 0);
  EXPECT_EQ(book_.summarize("enforce", 100).violating, 1);
  EXPECT_EQ(events_.briefs(), (std::vector<std::string>{"Deployment/agent:PolicyViolation",
                                                        "Deployment/agent:QuarantineNotEnforced",
                                                        "Deployment/agent:Released"}));
  EXPECT_EQ(events_.events()[1].message.rfind("HostNetwork: ", 0), 0u);

  pod("debug", host_spec);  // a bare host-network pod
  events_.clear();
  requests = reconcile("Pod/shop/debug");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body.find({"metadata", "labels", "bulwark.dev/quarantine"}), nullptr);
  EXPECT_EQ(events_.briefs(), (std::vector<std::string>{"Pod/debug:PolicyViolation",
                                                        "Pod/debug:QuarantineNotEnforced"}));
}

// Where bulwark-quarantine is someone else's object (ownership.h), a label would claim an
// isolation Bulwark does not hold: nothing is labelled or counted, and the Event says why.
TEST_F(PostureTest, NothingIsQuarantinedWhereTheQuarantineNameIsTaken) {
  policy("enforce", R"({"podSecurity":{"level":"baseline"},"images":{"forbidLatestTag":false},)"
                    R"("enforcement":{"mode":"Enforce","actions":["Annotate","Quarantine"]}})");
  ownership_.set_conflict("shop", kQuarantinePolicyName, true);
  deployment("cart", kInsecurePodSpec, 1);
  auto requests = reconcile("Deployment/shop/cart");
  ASSERT_EQ(requests.size(), 1u);  // the Deployment's annotations only
  EXPECT_EQ(requests[0].target(), "deployments/shop/cart");
  EXPECT_EQ(book_.summarize("enforce", 100).quarantined, 0);
  EXPECT_EQ(events_.briefs(), (std::vector<std::string>{"Deployment/cart:PolicyViolation",
                                                        "Deployment/cart:QuarantineNotEnforced"}));
  EXPECT_EQ(events_.events()[1].message.rfind("NameConflict: ", 0), 0u);
}

// A label isolates only while Bulwark's bulwark-quarantine holds and nothing else opens the pod:
// before that (being created, or someone else's) pods are labelled but not counted; another
// NetworkPolicy that selects them and allows traffic makes it QuarantineNotEnforced.
TEST_F(PostureTest, QuarantinedCountsOnlyWhileTheQuarantineHolds) {
  policy("enforce", R"({"podSecurity":{"level":"baseline"},"images":{"forbidLatestTag":false},)"
                    R"("enforcement":{"mode":"Enforce","actions":["Annotate","Quarantine"]}})");
  network_policies_.erase("shop/bulwark-quarantine");
  deployment("cart", kInsecurePodSpec, 1);
  auto requests = reconcile("Deployment/shop/cart");
  ASSERT_EQ(requests.size(), 2u);  // the pod's label, the Deployment's annotations
  EXPECT_EQ(requests[0].body.find({"metadata", "labels", "bulwark.dev/quarantine"})->str(), "true");
  EXPECT_EQ(book_.summarize("enforce", 100).quarantined, 0);
  EXPECT_EQ(events_.briefs(), (std::vector<std::string>{"Deployment/cart:PolicyViolation",
                                                        "Deployment/cart:Quarantined"}));
  hold_quarantine();
  reconcile("Deployment/shop/cart");
  EXPECT_EQ(book_.summarize("enforce", 100).quarantined, 1);
  // A user's allow-all NetworkPolicy selecting every pod: NetworkPolicies add up.
  network_policies_.put_json(R"({"metadata":{"name":"allow-all","namespace":"shop","uid":"a"},)"
                             R"("spec":{"podSelector":{},"ingress":[{}],"egress":[{}]}})");
  events_.clear();
  reconcile("Deployment/shop/cart");
  EXPECT_EQ(book_.summarize("enforce", 100).quarantined, 0);
  ASSERT_EQ(events_.briefs(),
            std::vector<std::string>{"Deployment/cart:QuarantineNotEnforced"});  // said, once
  EXPECT_EQ(events_.events()[0].message.rfind(
                "ReopenedBy ingress rule 1 of NetworkPolicy shop/allow-all: that rule selects", 0),
            0u);
  reconcile("Deployment/shop/cart");
  EXPECT_EQ(events_.events().size(), 1u);
  // One that selects other pods changes nothing.
  network_policies_.put_json(
      R"({"metadata":{"name":"allow-all","namespace":"shop","uid":"a"},)"
      R"("spec":{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{}]}})");
  reconcile("Deployment/shop/cart");
  EXPECT_EQ(book_.summarize("enforce", 100).quarantined, 1);
  // A pod labelled by hand, which its template does not show, is what a policy selects.
  pod("cart-rs-0", kInsecurePodSpec,
      R"("ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"cart-rs",)"
      R"("uid":"rs-cart","controller":true}])",
      R"({"app":"cart","open":"1","bulwark.dev/quarantine":"true"})");
  network_policies_.put_json(
      R"({"metadata":{"name":"allow-all","namespace":"shop","uid":"a"},)"
      R"("spec":{"podSelector":{"matchLabels":{"open":"1"}},"ingress":[{}]}})");
  reconcile("Deployment/shop/cart");
  EXPECT_EQ(book_.summarize("enforce", 100).quarantined, 0);
}

// A node whose network plugin does not enforce NetworkPolicy holds no quarantine: the pods are
// labelled but not counted, and the Event says why; with unenforcedQuarantine: ScaleToZero the
// Deployment goes to zero, and comes back once no node is NotEnforced. Unknown changes nothing.
TEST_F(PostureTest, AQuarantineOnANodeThatDoesNotEnforceIsNotCounted) {
  const std::string on_n1 = R"({"nodeName":"n1","containers":[{"name":"app","image":"nginx:1.27",)"
                            R"("securityContext":{"privileged":true}}]})";
  policy("enforce", R"({"podSecurity":{"level":"baseline"},"images":{"forbidLatestTag":false},)"
                    R"("enforcement":{"mode":"Enforce","actions":["Annotate","Quarantine"]}})");
  deployment("cart", on_n1, 1);
  node_n1(canary::Enforcement::kEnforced);
  reconcile("Deployment/shop/cart");
  EXPECT_EQ(book_.summarize("enforce", 100).quarantined, 1);
  node_n1(canary::Enforcement::kUnknown);
  reconcile("Deployment/shop/cart");
  EXPECT_EQ(book_.summarize("enforce", 100).quarantined, 1);

  node_n1(canary::Enforcement::kNotEnforced);
  events_.clear();
  reconcile("Deployment/shop/cart");
  EXPECT_EQ(book_.summarize("enforce", 100).quarantined, 0);
  ASSERT_EQ(events_.briefs(), std::vector<std::string>{"Deployment/cart:QuarantineNotEnforced"});
  EXPECT_EQ(events_.events()[0].message.rfind("NodeNotEnforcing: ", 0), 0u);

  policy("enforce",
         R"({"podSecurity":{"level":"baseline"},"images":{"forbidLatestTag":false},)"
         R"("enforcement":{"mode":"Enforce","actions":["Annotate","Quarantine"],)"
         R"("unenforcedQuarantine":"ScaleToZero"}})",
         "2");
  events_.clear();
  auto requests = reconcile("Deployment/shop/cart");
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(events_.briefs(), (std::vector<std::string>{"Deployment/cart:QuarantineNotEnforced",
                                                        "Deployment/cart:Quarantined"}));
  EXPECT_NE(events_.events()[0].message.find("scaled to zero instead"), std::string::npos);
  auto body = requests.back().body;
  ASSERT_NE(body.find({"spec", "replicas"}), nullptr) << requests.back().json();
  EXPECT_EQ(body.find({"spec", "replicas"})->str(), "0");
  EXPECT_EQ(body.find({"metadata", "annotations", "bulwark.dev/recorded-replicas"})->str(), "2");

  // At zero, with no pod: held while any node does not enforce, given back once none.
  pods_.erase("shop/cart-rs-0");
  deployment("cart", on_n1, 0,
             R"("bulwark.dev/posture":"violating","bulwark.dev/violations":"privileged",)"
             R"("bulwark.dev/policies":"enforce","bulwark.dev/recorded-replicas":"2",)"
             R"("bulwark.dev/scaled-by":"d-cart:uid-enforce")",
             "0", "2");
  EXPECT_TRUE(reconcile("Deployment/shop/cart").empty());
  node_n1(canary::Enforcement::kEnforced);
  requests = reconcile("Deployment/shop/cart");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body.find({"spec", "replicas"})->str(), "2");
}

}  // namespace
}  // namespace bulwark::reconcilers
