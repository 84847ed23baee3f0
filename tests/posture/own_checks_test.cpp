// Bulwark's own manifest controls: image registry, tag, digest, resources, service-account token.
#include <gtest/gtest.h>

#include "operator/posture/check.h"
#include "tests/posture/eval_helpers.h"

namespace bulwark::testing {
namespace {

std::vector<posture::Violation> eval_with(const std::string& spec,
                                          const crds::SecurityPolicySpec& policy,
                                          const posture::EvaluationContext& context = {}) {
  const auto doc = parse_yaml("kind: Pod\nmetadata: {name: p}\nspec: " + spec);
  auto workload = posture::workload_from(doc);
  return posture::PolicyEvaluator(policy).evaluate(*workload, context).violations;
}

// A policy with no Pod Security checks, so only the control under test can fire.
crds::SecurityPolicySpec own_only() {
  crds::SecurityPolicySpec p;
  p.pod_security.level = crds::PssLevel::kPrivileged;
  p.images.forbid_latest_tag = false;
  return p;
}

TEST(ParseImage, SplitsRegistryTagAndDigest) {
  using images::parse_image;
  auto a = parse_image("registry.example.com:5000/team/app:1.2@sha256:abc");
  EXPECT_EQ(a.registry, "registry.example.com:5000");
  EXPECT_EQ(a.tag, "1.2");
  EXPECT_EQ(a.digest, "sha256:abc");
  auto b = parse_image("nginx");
  EXPECT_EQ(b.registry, "");
  EXPECT_EQ(b.tag, "");
  EXPECT_EQ(b.normalized, "docker.io/library/nginx");
  EXPECT_EQ(parse_image("bitnami/redis:7").normalized, "docker.io/bitnami/redis:7");
  auto d = parse_image("localhost:5000/app");
  EXPECT_EQ(d.registry, "localhost:5000");
  EXPECT_EQ(d.tag, "");
}

TEST(ImageRegistry, PrefixesMatchWrittenOrNormalizedReference) {
  auto p = own_only();
  p.images.allowed_registries = {"registry.example.com/", "docker.io/library/"};
  EXPECT_TRUE(eval_with("{containers: [{name: a, image: registry.example.com/x:1}, {name: b, "
                        "image: 'nginx:1.25'}]}",
                        p)
                  .empty());
  auto vs = eval_with(
      "{initContainers: [{name: i, image: evil.io/x:1}], containers: [{name: a, "
      "image: bitnami/redis:7}]}",
      p);
  ASSERT_EQ(vs.size(), 2u);
  EXPECT_EQ(vs[0].control, "imageRegistry");
  EXPECT_EQ(vs[0].path, "spec.initContainers[0].image");
  EXPECT_NE(vs[1].message.find("bitnami/redis:7"), std::string::npos);
}

// Item 5 of the evasion issue: an entry matches the registry name, never a string prefix.
TEST(ImageRegistry, EntriesMatchWholeRegistryAndPathComponents) {
  auto p = own_only();
  p.images.allowed_registries = {"registry.example.com", "ghcr.io/acme/", "bitnami",
                                 "localhost:5000"};
  auto violations = [&](const std::string& image) {
    return eval_with("{containers: [{name: a, image: '" + image + "'}]}", p).size();
  };
  EXPECT_EQ(violations("registry.example.com/app:1"), 0u);
  EXPECT_EQ(violations("registry.example.com/team/app@sha256:" + std::string(64, 'a')), 0u);
  EXPECT_EQ(violations("ghcr.io/acme/app:1"), 0u);
  EXPECT_EQ(violations("bitnami/redis:7"), 0u);  // Docker Hub's bitnami
  EXPECT_EQ(violations("docker.io/bitnami/redis:7"), 0u);
  EXPECT_EQ(violations("localhost:5000/app"), 0u);
  EXPECT_EQ(violations("registry.example.com.evil.io/miner"), 1u);
  EXPECT_EQ(violations("registry.example.com:5000/app"), 1u);  // another registry
  EXPECT_EQ(violations("ghcr.io/acmecorp/app:1"), 1u);
  EXPECT_EQ(violations("ghcr.io/acme"), 1u);
  EXPECT_EQ(violations("bitnamievil/redis"), 1u);
  EXPECT_EQ(violations("localhost:50000/app"), 1u);
}

TEST(ImageRegistry, EmptyAllowListAllowsAny) {
  EXPECT_TRUE(eval_with("{containers: [{name: a, image: evil.io/x:1}]}", own_only()).empty());
}

TEST(ImageLatestTag, LatestOrNoTagViolatesDigestPinnedDoesNot) {
  auto p = own_only();
  p.images.forbid_latest_tag = true;
  auto vs = eval_with(
      "{containers: [{name: a, image: 'app:latest'}, {name: b, image: app}, "
      "{name: c, image: 'app:1.0'}, {name: d, image: 'app@sha256:" +
          std::string(64, 'a') + "'}, {name: e, image: 'localhost:5000/app'}]}",
      p);
  ASSERT_EQ(vs.size(), 3u);
  EXPECT_EQ(vs[0].path, "spec.containers[0].image");
  EXPECT_NE(vs[0].message.find(":latest tag"), std::string::npos);
  EXPECT_EQ(vs[1].path, "spec.containers[1].image");
  EXPECT_NE(vs[1].message.find("no tag"), std::string::npos);
  EXPECT_EQ(vs[2].path, "spec.containers[4].image");
}

TEST(ImageDigest, RequiresAFullSha256Digest) {
  auto p = own_only();
  p.images.require_digest = true;
  auto vs = eval_with("{containers: [{name: a, image: 'app:1@sha256:" + std::string(64, 'f') +
                          "'}, {name: b, image: 'app:1'}, {name: c, image: 'app@sha256:short'}]}",
                      p);
  ASSERT_EQ(vs.size(), 2u);
  EXPECT_EQ(vs[0].control, "imageDigest");
  EXPECT_EQ(vs[0].path, "spec.containers[1].image");
  EXPECT_EQ(vs[1].path, "spec.containers[2].image");
}

TEST(Resources, LimitsAndRequestsNeedCpuAndMemory) {
  auto p = own_only();
  p.resources.require_limits = true;
  p.resources.require_requests = true;
  auto vs = eval_with(
      "{containers: [{name: a, resources: {limits: {cpu: 1}, requests: {cpu: 100m, memory: 1Gi}}}],"
      " ephemeralContainers: [{name: dbg}]}",
      p);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].control, "resourceLimits");
  EXPECT_EQ(vs[0].path, "spec.containers[0].resources.limits.memory");
  auto init = eval_with("{initContainers: [{name: i}], containers: []}", p);
  EXPECT_EQ(controls(init), (std::set<std::string>{"resourceLimits", "resourceRequests"}));
  EXPECT_EQ(init.size(), 4u);
}

// The API server defaults a request to its limit, for a container and for the pod.
TEST(Resources, ALimitIsAlsoTheRequest) {
  auto p = own_only();
  p.resources.require_requests = true;
  EXPECT_TRUE(eval_with("{containers: [{name: a, resources: {limits: {cpu: 1, memory: 1Gi}}}]}", p)
                  .empty());
  auto vs = eval_with("{containers: [{name: a, resources: {limits: {cpu: 1}}}]}", p);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].path, "spec.containers[0].resources.requests.memory");
}

// Kubernetes 1.34+: spec.resources bounds the pod cgroup whatever its containers set.
TEST(Resources, PodLevelResourcesBoundThePod) {
  auto p = own_only();
  p.resources.require_limits = true;
  p.resources.require_requests = true;
  EXPECT_TRUE(eval_with("{resources: {limits: {cpu: 1, memory: 1Gi}}, containers: [{name: a}, "
                        "{name: b}], initContainers: [{name: i}]}",
                        p)
                  .empty());
  auto vs = eval_with(
      "{resources: {limits: {memory: 1Gi}, requests: {cpu: 1}}, containers: [{name: a}, "
      "{name: b, resources: {limits: {cpu: 1}}}]}",
      p);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].control, "resourceLimits");
  EXPECT_EQ(vs[0].path, "spec.containers[0].resources.limits.cpu");
  EXPECT_NE(vs[0].message.find("or the pod spec.resources.limits.cpu"), std::string::npos);
  // Any pod-level resource makes the pod's requests its containers' sum (1.37's defaulting): cpu
  // is reserved for the pod although container a requests none; without one it is not.
  p.resources.require_limits = false;
  EXPECT_TRUE(eval_with("{resources: {requests: {memory: 1Gi}}, containers: [{name: a}, "
                        "{name: b, resources: {requests: {cpu: 1}}}]}",
                        p)
                  .empty());
  vs = eval_with(
      "{containers: [{name: a, resources: {requests: {memory: 1Gi}}}, "
      "{name: b, resources: {requests: {cpu: 1, memory: 1Gi}}}]}",
      p);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].path, "spec.containers[0].resources.requests.cpu");
}

// A zero limit is no limit to the kubelet (no cgroup bound), and a zero request reserves nothing,
// in every spelling of zero; a container's zero limit is no request for it either.
TEST(Resources, ZeroIsNotSet) {
  auto p = own_only();
  p.resources.require_limits = true;
  for (const char* zero : {"0", "'0'", "0.0", "-0", "0Mi", "0e3", "0m", ".0"}) {
    auto vs =
        eval_with(std::string("{containers: [{name: a, resources: {limits: {cpu: 1, memory: ") +
                      zero + "}}}]}",
                  p);
    ASSERT_EQ(vs.size(), 1u) << zero;
    EXPECT_EQ(vs[0].path, "spec.containers[0].resources.limits.memory") << zero;
    vs = eval_with(std::string("{resources: {limits: {cpu: 1, memory: ") + zero +
                       "}}, containers: [{name: a}]}",
                   p);
    EXPECT_EQ(vs.size(), 1u) << zero;  // the pod-level zero bounds nothing either
  }
  EXPECT_TRUE(
      eval_with("{containers: [{name: a, resources: {limits: {cpu: 10m, memory: 0.5Gi}}}]}", p)
          .empty());
  p.resources.require_limits = false;
  p.resources.require_requests = true;
  auto vs = eval_with("{containers: [{name: a, resources: {limits: {cpu: 0, memory: 1Gi}}}]}", p);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].path, "spec.containers[0].resources.requests.cpu");
}

// Kubernetes 1.37 defaults a pod limit the pod lacks, where it has a request and every container
// a limit (zero included), to the larger of the two: measured on the real node, the pod cgroup is
// then bounded at the request. And a pod request the pod lacks is its containers' where any has
// one, before its own limit: zero there reserves nothing.
TEST(Resources, PodLevelDefaultingOfKubernetes137) {
  auto p = own_only();
  p.resources.require_limits = true;
  EXPECT_TRUE(eval_with("{resources: {limits: {cpu: 300m}, requests: {memory: 64Mi}}, "
                        "containers: [{name: a, resources: {limits: {memory: 0Mi}}}]}",
                        p)
                  .empty());
  // Without the pod's memory request there is nothing to default the limit from.
  EXPECT_EQ(eval_with("{resources: {limits: {cpu: 300m}}, "
                      "containers: [{name: a, resources: {limits: {memory: 0Mi}}}]}",
                      p)
                .size(),
            1u);
  p.resources.require_limits = false;
  p.resources.require_requests = true;
  auto vs = eval_with(
      "{resources: {limits: {cpu: 300m, memory: 1Gi}}, "
      "containers: [{name: a, resources: {limits: {cpu: 0}}}]}",
      p);
  ASSERT_EQ(vs.size(), 1u);  // cpu: the container's zero, not the pod's 300m limit
  EXPECT_EQ(vs[0].path, "spec.containers[0].resources.requests.cpu");
}

// A live Pod is read as the API server stored it: a pod created before 1.37 (or a static pod) has
// no defaulted pod limit, and the kubelet bounds nothing; the same spec as a manifest is defaulted.
TEST(Resources, AStoredPodIsReadAsStored) {
  auto p = own_only();
  p.resources.require_limits = true;
  const std::string spec =
      "{resources: {requests: {memory: 64Mi}, limits: {cpu: 300m}}, "
      "containers: [{name: a, resources: {limits: {memory: 0}}}]}";
  EXPECT_TRUE(eval_with(spec, p).empty());
  posture::EvaluationContext stored;
  stored.pods_as_stored = true;
  const auto vs = eval_with(spec, p, stored);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].path, "spec.containers[0].resources.limits.memory");
}

// Zero in every spelling ParseQuantity reads as zero, a null (which keeps its key, so the request
// is not defaulted from the limit), and what the API server would refuse: none is a quantity.
TEST(Resources, ZeroNullAndInvalidAreNoQuantity) {
  auto p = own_only();
  p.resources.require_limits = true;
  for (const char* q : {"m", "Mi", "'.'", "E", "'.e3'", "' 0 '", "'+'", "0e0", "'1x'", "'1e'"}) {
    EXPECT_EQ(eval_with(std::string("{containers: [{name: a, resources: {limits: {cpu: 1, "
                                    "memory: ") +
                            q + "}}}]}",
                        p)
                  .size(),
              1u)
        << q;
  }
  for (const char* q : {"1e-3", "'0.0001'", "1m", "'1E3'", "1e+2", "'2Gi'"}) {
    EXPECT_TRUE(eval_with(std::string("{containers: [{name: a, resources: {limits: {cpu: 1, "
                                      "memory: ") +
                              q + "}}}]}",
                          p)
                    .empty())
        << q;
  }
  p.resources.require_limits = false;
  p.resources.require_requests = true;
  EXPECT_EQ(eval_with("{containers: [{name: a, resources: {limits: {cpu: 1, memory: 1Gi}, "
                      "requests: {cpu: null}}}]}",
                      p)
                .size(),
            1u);
}

TEST(AutomountToken, MustBeExplicitlyFalse) {
  auto p = own_only();
  p.service_account.forbid_automount_token = true;
  auto vs = eval_with("{containers: [{name: a}]}", p);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].control, "automountServiceAccountToken");
  EXPECT_EQ(vs[0].path, "spec.automountServiceAccountToken");
  EXPECT_TRUE(
      eval_with("{automountServiceAccountToken: false, containers: [{name: a}]}", p).empty());
  EXPECT_FALSE(
      eval_with("{automountServiceAccountToken: true, containers: [{name: a}]}", p).empty());
}

// The API server mounts the token unless the pod says false, or leaves it unset and its
// ServiceAccount says false: the pod's own setting wins either way.
TEST(AutomountToken, APodThatLeavesItUnsetInheritsItsAccountsSetting) {
  auto p = own_only();
  p.service_account.forbid_automount_token = true;
  posture::EvaluationContext account_false, account_true;
  account_false.account_automount_token = false;
  account_true.account_automount_token = true;
  EXPECT_TRUE(eval_with("{containers: [{name: a}]}", p, account_false).empty());

  auto vs = eval_with("{containers: [{name: a}]}", p, account_true);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].path, "spec.automountServiceAccountToken");
  EXPECT_NE(vs[0].message.find("its ServiceAccount sets automountServiceAccountToken=true"),
            std::string::npos);
  vs = eval_with("{containers: [{name: a}]}", p);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_NE(vs[0].message.find("or its ServiceAccount must"), std::string::npos);

  // The pod's own true overrides its account's false, and its false its account's true.
  EXPECT_EQ(
      eval_with("{automountServiceAccountToken: true, containers: [{name: a}]}", p, account_false)
          .size(),
      1u);
  EXPECT_TRUE(
      eval_with("{automountServiceAccountToken: false, containers: [{name: a}]}", p, account_true)
          .empty());
}

}  // namespace
}  // namespace bulwark::testing
