// REST paths of resource types, and query encoding.
#include "operator/kube/resource_type.h"

#include <gtest/gtest.h>

#include "operator/kube/client.h"

namespace bulwark::kube {
namespace {

TEST(ResourceType, Paths) {
  EXPECT_EQ(resources::kPods.path(), "/api/v1/pods");
  EXPECT_EQ(resources::kPods.path("ns", "p"), "/api/v1/namespaces/ns/pods/p");
  EXPECT_EQ(resources::kNamespaces.path("ignored", "shop"), "/api/v1/namespaces/shop");
  EXPECT_EQ(resources::kDeployments.path("ns"), "/apis/apps/v1/namespaces/ns/deployments");
  EXPECT_EQ(url_encode("app in (a,b)"), "app%20in%20%28a%2Cb%29");
}

TEST(ResourceType, ClusterScopedAndGroupedPaths) {
  EXPECT_EQ(resources::kSecurityPolicies.path("", "p"),
            "/apis/bulwark.dev/v1alpha1/securitypolicies/p");
  EXPECT_EQ(resources::kNetworkPolicies.path("shop", "x"),
            "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/x");
}

}  // namespace
}  // namespace bulwark::kube
