// Which inputs of controls Bulwark may still read: asked per verb and resource, changed only by an
// answer (never by a failure to ask), with the reason the controls then carry.
#include "reconcilers/input_access.h"

#include <gtest/gtest.h>

#include <set>

namespace bulwark::reconcilers {
namespace {

TEST(InputAccess, AnInputItMayNotListOrWatchIsUnreadableUntilItMayAgain) {
  std::set<std::string> refused;  // "verb resource"
  bool answering = true;
  InputAccess access({{"rolebindings", kube::resources::kRoleBindings},
                      {"clusterroles", kube::resources::kClusterRoles}},
                     [&](const std::string& verb, const kube::ResourceType& type) {
                       if (!answering) return std::optional<bool>();
                       return std::optional<bool>(refused.count(verb + " " + type.resource) == 0);
                     });
  EXPECT_FALSE(access.refresh());
  EXPECT_FALSE(access.unreadable("rolebindings"));
  refused.insert("watch rolebindings");
  EXPECT_TRUE(access.refresh());
  EXPECT_EQ(access.unreadable("rolebindings"),
            "Bulwark's ServiceAccount may not watch rolebindings in every namespace");
  EXPECT_FALSE(access.unreadable("clusterroles"));
  EXPECT_EQ(access.unreadable_any({"clusterroles", "rolebindings"}),
            access.unreadable("rolebindings"));
  EXPECT_FALSE(access.refresh());  // nothing changed
  // No answer (the API server unreachable): what was known stands.
  answering = false;
  refused.clear();
  EXPECT_FALSE(access.refresh());
  EXPECT_TRUE(access.unreadable("rolebindings"));
  answering = true;
  EXPECT_TRUE(access.refresh());
  EXPECT_FALSE(access.unreadable_any({"clusterroles", "rolebindings"}));
  refused.insert("list clusterroles");
  EXPECT_TRUE(access.refresh());
  EXPECT_EQ(access.unreadable("clusterroles"),
            "Bulwark's ServiceAccount may not list clusterroles");
}

}  // namespace
}  // namespace bulwark::reconcilers
