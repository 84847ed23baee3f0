// Which inputs of controls Bulwark may still read: asked per verb and resource, changed only by an
// answer (never by a failure to ask), with the reason the controls then carry.
#include "reconcilers/input_access.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/fakes/fake_cache.h"

namespace bulwark::reconcilers {
namespace {

TEST(InputAccess, AnInputItMayNotListOrWatchIsUnreadableUntilItMayAgain) {
  std::set<std::string> refused;  // "verb resource"
  bool answering = true;
  InputAccess access(
      {{ControlInput::kRoleBindings, nullptr}, {ControlInput::kClusterRoles, nullptr}},
      [&](const std::string& verb, const kube::ResourceType& type) {
        if (!answering) return std::optional<bool>();
        return std::optional<bool>(refused.count(verb + " " + type.resource) == 0);
      });
  EXPECT_FALSE(access.refresh());
  EXPECT_FALSE(access.unreadable(ControlInput::kRoleBindings));
  refused.insert("watch rolebindings");
  EXPECT_TRUE(access.refresh());
  EXPECT_EQ(access.unreadable(ControlInput::kRoleBindings),
            "Bulwark's ServiceAccount may not watch rolebindings in every namespace");
  EXPECT_FALSE(access.unreadable(ControlInput::kClusterRoles));
  EXPECT_EQ(access.unreadable_any({ControlInput::kClusterRoles, ControlInput::kRoleBindings}),
            access.unreadable(ControlInput::kRoleBindings));
  EXPECT_FALSE(access.refresh());  // nothing changed
  // No answer (the API server unreachable): what was known stands.
  answering = false;
  refused.clear();
  EXPECT_FALSE(access.refresh());
  EXPECT_TRUE(access.unreadable(ControlInput::kRoleBindings));
  answering = true;
  EXPECT_TRUE(access.refresh());
  EXPECT_FALSE(access.unreadable_any({ControlInput::kClusterRoles, ControlInput::kRoleBindings}));
  refused.insert("list clusterroles");
  EXPECT_TRUE(access.refresh());
  EXPECT_EQ(access.unreadable(ControlInput::kClusterRoles),
            "Bulwark's ServiceAccount may not list clusterroles");
}

// Readable again is not enough when the cache's lists or watches were refused meanwhile: it holds
// what it held then until its reflector has heard from the API server again.
TEST(InputAccess, AnInputReadableAgainWaitsForItsCacheToBeCurrent) {
  bool refused = true, current = false;
  testing::FakeCache network_policies;
  InputAccess access(
      {{ControlInput::kNetworkPolicies, &network_policies}},
      [&](const std::string&, const kube::ResourceType&) { return std::optional<bool>(!refused); },
      [&](const runtime::CacheReader& cache) {
        EXPECT_EQ(&cache, &network_policies);  // asked about the input's own cache
        return std::optional<bool>(current);
      });
  EXPECT_TRUE(access.refresh());
  refused = false;
  EXPECT_TRUE(access.refresh());  // the reason changes: readable, but the cache is not current
  EXPECT_EQ(access.unreadable(ControlInput::kNetworkPolicies),
            "Bulwark may read networkpolicies again, but its cache has not heard from the API "
            "server since it could not");
  EXPECT_FALSE(access.refresh());  // still waiting: nothing changed
  current = true;                  // its reflector listed again
  EXPECT_TRUE(access.refresh());
  EXPECT_FALSE(access.unreadable(ControlInput::kNetworkPolicies));
  // A readable input whose cache failed for another reason (a broken connection) stays readable:
  // only an input coming back waits.
  current = false;
  EXPECT_FALSE(access.refresh());
  EXPECT_FALSE(access.unreadable(ControlInput::kNetworkPolicies));
}

}  // namespace
}  // namespace bulwark::reconcilers
