// The network controls through the engine: which findings, naming which rule, and not evaluated
// without a model.
#include <gtest/gtest.h>

#include "operator/network/reach.h"
#include "tests/network/model_helpers.h"
#include "tests/posture/eval_helpers.h"

namespace bulwark::testing {
namespace {

crds::SecurityPolicySpec forbidding(std::vector<std::string> controls) {
  crds::SecurityPolicySpec spec;
  spec.pod_security.level = crds::PssLevel::kPrivileged;
  spec.images.forbid_latest_tag = false;
  spec.network.forbid = std::move(controls);
  return spec;
}

// The messages of `control`'s findings for a Deployment in `ns` with template labels
// app: web and a container port http/8080.
std::vector<std::string> findings(const crds::SecurityPolicySpec& spec,
                                  const network::NetworkModel* model, std::string_view control,
                                  const std::string& pod_spec_extra = "") {
  const auto doc = parse_yaml(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
      "spec:\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n" +
      pod_spec_extra +
      "      containers: [{name: a, image: i:1, ports: [{name: http, containerPort: 8080}]}]\n");
  const auto workload = posture::workload_from(doc);
  posture::EvaluationContext context;
  context.network = model;
  const auto verdict = posture::PolicyEvaluator(spec).evaluate(*workload, context);
  std::vector<std::string> out;
  for (const auto& v : verdict.violations) {
    if (v.control == control) out.push_back(v.message);
  }
  for (const auto& n : verdict.not_evaluated) {
    if (n.control == control) out.push_back("not evaluated: " + n.reason);
  }
  return out;
}

TEST(NetworkControls, UnselectedPodIsOneFindingWhenUnrestrictedIsForbidden) {
  network::NetworkModel empty;
  const auto all =
      forbidding({"networkIngressUnrestricted", "networkIngressAllNamespaces",
                  "networkIngressFromWorld", "networkEgressUnrestricted", "networkEgressToWorld"});
  EXPECT_EQ(findings(all, &empty, "networkIngressUnrestricted"),
            std::vector<std::string>{"no NetworkPolicy selects this pod for Ingress: every pod "
                                     "of the cluster, and any address that routes to it, may "
                                     "connect to it"});
  EXPECT_TRUE(findings(all, &empty, "networkIngressAllNamespaces").empty());
  EXPECT_TRUE(findings(all, &empty, "networkIngressFromWorld").empty());
  EXPECT_TRUE(findings(all, &empty, "networkEgressToWorld").empty());
  EXPECT_EQ(findings(all, &empty, "networkEgressUnrestricted").size(), 1u);
  // Forbidden alone, a rule-based control still reports the unselected pod.
  EXPECT_EQ(findings(forbidding({"networkIngressFromWorld"}), &empty, "networkIngressFromWorld"),
            std::vector<std::string>{"no NetworkPolicy selects this pod for Ingress, so any "
                                     "address that routes to it may connect to it"});
}

TEST(NetworkControls, FindingsNameThePolicyAndRule) {
  network::NetworkModel m;
  m.add_policy(policy("shop", "web", R"(
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{namespaceSelector: {}}]
  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ports: [{port: http}]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]
)"));
  const auto all = forbidding({"networkIngressUnrestricted", "networkIngressAllNamespaces",
                               "networkIngressFromWorld", "networkEgressToWorld"});
  EXPECT_TRUE(findings(all, &m, "networkIngressUnrestricted").empty());
  EXPECT_EQ(findings(all, &m, "networkIngressAllNamespaces"),
            std::vector<std::string>{"ingress rule 1 of NetworkPolicy shop/web admits every pod "
                                     "of every namespace"});
  EXPECT_EQ(findings(all, &m, "networkIngressFromWorld"),
            std::vector<std::string>{"ingress rule 2 of NetworkPolicy shop/web admits 0.0.0.0/0"});
  EXPECT_EQ(findings(all, &m, "networkEgressToWorld"),
            std::vector<std::string>{"egress rule 1 of NetworkPolicy shop/web admits 0.0.0.0/0 "
                                     "except 169.254.169.254/32"});
}

TEST(NetworkControls, ExposedServiceOnItsTargetPorts) {
  network::NetworkModel m;
  // A Service web in shop selecting app: web, port 80 to `target`; `policy` its
  // externalTrafficPolicy.
  const auto svc = [](const std::string& type, const std::string& target,
                      const std::string& policy = "Local") {
    return network::read_service(
        network_yaml("apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
                     "spec: {type: " +
                     type + ", externalTrafficPolicy: " + policy +
                     ", selector: {app: web}, ports: [{port: 80, targetPort: " + target + "}]}\n"),
        "default");
  };
  m.add_service(svc("ClusterIP", "http"));
  const auto exposed = forbidding({"networkExposedService"});
  EXPECT_TRUE(findings(exposed, &m, "networkExposedService").empty());  // not reached from outside
  m.add_service(svc("LoadBalancer", "http"));
  EXPECT_EQ(findings(exposed, &m, "networkExposedService"),
            std::vector<std::string>{"Service shop/web (LoadBalancer) exposes this pod's port "
                                     "8080/TCP outside the cluster, and no NetworkPolicy selects "
                                     "this pod for Ingress"});
  // Ingress from the cluster only: not exposed. From the world on 8080: exposed, naming the rule.
  m.add_policy(policy("shop", "web", R"(
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {}}]}, {from: [{ipBlock: {cidr: '::/0'}}], ports: [{port: 9090}]}]
)"));
  EXPECT_TRUE(findings(exposed, &m, "networkExposedService").empty());
  m.add_policy(policy("shop", "world", R"(
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}], ports: [{port: 8080}]}]
)"));
  EXPECT_EQ(findings(exposed, &m, "networkExposedService"),
            std::vector<std::string>{"Service shop/web (LoadBalancer) exposes this pod's port "
                                     "8080/TCP outside the cluster, and ingress rule 1 of "
                                     "NetworkPolicy shop/world admits 0.0.0.0/0 except "
                                     "10.0.0.0/8"});
  // With externalTrafficPolicy: Cluster (the default) the traffic comes from a node's address:
  // no NetworkPolicy keeps it out.
  network::NetworkModel cluster;
  cluster.add_policy(policy("shop", "web", R"(
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {}}]}]
)"));
  cluster.add_service(svc("NodePort", "8080", "Cluster"));
  EXPECT_EQ(findings(exposed, &cluster, "networkExposedService"),
            std::vector<std::string>{"Service shop/web (NodePort) exposes this pod's port 8080/TCP "
                                     "outside the cluster, and with externalTrafficPolicy: Cluster "
                                     "its traffic arrives from a node's address, which "
                                     "NetworkPolicy does not stop (a pod's own node always "
                                     "reaches it)"});
  // A target port the pod does not name reaches nothing of it.
  network::NetworkModel other;
  other.add_service(svc("NodePort", "grpc", "Cluster"));
  EXPECT_TRUE(findings(exposed, &other, "networkExposedService").empty());
}

TEST(NetworkControls, HostNetworkIsNeverIsolated) {
  network::NetworkModel m;
  m.add_policy(policy("shop", "deny", "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"));
  const auto spec = forbidding({"networkIngressUnrestricted", "networkEgressUnrestricted"});
  EXPECT_TRUE(findings(spec, &m, "networkIngressUnrestricted").empty());
  EXPECT_EQ(findings(spec, &m, "networkIngressUnrestricted", "      hostNetwork: true\n"),
            std::vector<std::string>{"the pod is on the host network: its traffic is its node's, "
                                     "and no NetworkPolicy isolates it: every pod of the cluster, "
                                     "and any address that routes to it, may connect to it"});
  EXPECT_EQ(findings(spec, &m, "networkEgressUnrestricted", "      hostNetwork: true\n").size(),
            1u);
}

// A Deployment's pods carry pod-template-hash, which its template lacks: a selector on its
// existence is judged (every pod has it), one on its value cannot be.
TEST(NetworkControls, LabelsTheControllerSetsAreThereButTheirValuesUnknown) {
  const auto spec = forbidding({"networkIngressUnrestricted"});
  network::NetworkModel absent;
  absent.add_policy(policy("shop", "deny", R"(
  podSelector: {matchExpressions: [{key: pod-template-hash, operator: DoesNotExist}]}
  policyTypes: [Ingress]
)"));
  EXPECT_EQ(findings(spec, &absent, "networkIngressUnrestricted").size(), 1u);  // selects none
  network::NetworkModel present;
  present.add_policy(policy("shop", "deny", R"(
  podSelector: {matchExpressions: [{key: pod-template-hash, operator: Exists}]}
  policyTypes: [Ingress]
)"));
  EXPECT_TRUE(findings(spec, &present, "networkIngressUnrestricted").empty());
  network::NetworkModel value;
  value.add_policy(policy("shop", "deny", R"(
  podSelector: {matchLabels: {pod-template-hash: 5d9f8c7b6}}
  policyTypes: [Ingress]
)"));
  EXPECT_EQ(findings(spec, &value, "networkIngressUnrestricted"),
            std::vector<std::string>{"not evaluated: NetworkPolicy shop/deny selects pods by the "
                                     "value of pod-template-hash, which the Deployment's "
                                     "controller sets on each pod and its template does not "
                                     "hold"});
}

// A StatefulSet's per-pod Service selects by statefulset.kubernetes.io/pod-name: which pod it
// exposes is not in the template, so the network controls are not evaluated, never clean.
TEST(NetworkControls, AServiceOnALabelTheControllerSetsIsNotJudgedFromTheTemplate) {
  const auto doc = parse_yaml(
      "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: kafka, namespace: shop}\n"
      "spec:\n  template:\n    metadata: {labels: {app: kafka}}\n    spec:\n"
      "      containers: [{name: c, image: i:1, ports: [{containerPort: 9092}]}]\n");
  const auto workload = posture::workload_from(doc);
  network::NetworkModel m;
  m.add_service(network::read_service(
      network_yaml("apiVersion: v1\nkind: Service\nmetadata: {name: kafka-0, namespace: shop}\n"
                   "spec: {type: LoadBalancer, selector: {statefulset.kubernetes.io/pod-name: "
                   "kafka-0}, ports: [{port: 9092}]}\n"),
      "default"));
  posture::EvaluationContext context;
  context.network = &m;
  const auto verdict =
      posture::PolicyEvaluator(forbidding({"networkExposedService"})).evaluate(*workload, context);
  ASSERT_EQ(verdict.not_evaluated.size(), 1u);
  EXPECT_EQ(verdict.not_evaluated[0].reason,
            "Service shop/kafka-0 selects pods by the value of statefulset.kubernetes.io/pod-name, "
            "which the StatefulSet's controller sets on each pod and its template does not hold");
}

TEST(NetworkControls, NotEvaluatedWithoutTheModel) {
  const auto spec = forbidding({"networkIngressUnrestricted"});
  EXPECT_EQ(findings(spec, nullptr, "networkIngressUnrestricted"),
            std::vector<std::string>{"not evaluated: the NetworkPolicies and Services of its "
                                     "namespace could not be read"});
  // Not forbidden: not judged at all, with or without a model.
  EXPECT_TRUE(findings(forbidding({}), nullptr, "networkIngressUnrestricted").empty());
  EXPECT_EQ(posture::PolicyEvaluator(forbidding({})).controls().size(), 0u);
  EXPECT_EQ(posture::PolicyEvaluator(spec).controls(),
            std::vector<std::string_view>{"networkIngressUnrestricted"});
}

}  // namespace
}  // namespace bulwark::testing
