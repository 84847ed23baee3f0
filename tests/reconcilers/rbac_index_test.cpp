// The RBAC index as the caches feed it: an object applied as the cache holds it (present: put,
// gone: removed), the accounts each change affects, and computed permissions forgotten exactly
// for those accounts.
#include "reconcilers/rbac_index.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_cache.h"

namespace bulwark::reconcilers {
namespace {

TEST(RbacIndex, ABindingAddedAndRemovedChangesExactlyTheAccountsItNames) {
  testing::FakeCache roles, bindings;
  RbacIndex index;
  roles.put_json(R"({"metadata":{"name":"secret-reader"},
      "rules":[{"verbs":["get"],"apiGroups":[""],"resources":["secrets"]}]})");
  EXPECT_TRUE(index.apply("clusterroles", "secret-reader", roles).empty());

  const auto web_before = index.permissions_of({"shop", "web"});
  const auto api_before = index.permissions_of({"shop", "api"});
  EXPECT_TRUE(web_before->grants.empty());

  bindings.put_json(R"({"metadata":{"name":"read","namespace":"shop"},
      "roleRef":{"kind":"ClusterRole","name":"secret-reader"},
      "subjects":[{"kind":"ServiceAccount","name":"web"}]})");
  auto affected = index.apply("rolebindings", "shop/read", bindings);
  EXPECT_EQ(affected.accounts, (std::set<rbac::Account>{{"shop", "web"}}));
  const auto web_after = index.permissions_of({"shop", "web"});
  ASSERT_EQ(web_after->grants.size(), 1u);
  EXPECT_EQ(web_after->grants[0].chain, "RoleBinding/shop/read -> ClusterRole/secret-reader");
  // An account the change did not name keeps what was computed for it.
  EXPECT_EQ(index.permissions_of({"shop", "api"}), api_before);

  // The role's rules change: the accounts bound to it.
  roles.put_json(R"({"metadata":{"name":"secret-reader"},"rules":[]})");
  affected = index.apply("clusterroles", "secret-reader", roles);
  EXPECT_TRUE(affected.contains({"shop", "web"}));
  EXPECT_TRUE(index.permissions_of({"shop", "web"})->grants.at(0).rule().verbs.empty());

  bindings.erase("shop/read");
  affected = index.apply("rolebindings", "shop/read", bindings);
  EXPECT_TRUE(affected.contains({"shop", "web"}));
  EXPECT_TRUE(index.permissions_of({"shop", "web"})->grants.empty());
  EXPECT_EQ(index.size().bindings, 0u);
  EXPECT_EQ(index.size().roles, 1u);
}

// Only a change to automountServiceAccountToken affects an account: its token Secrets and labels
// change far more often and re-judge nothing.
TEST(RbacIndex, AServiceAccountAffectsItsWorkloadsOnlyWhenItsAutomountSettingChanges) {
  testing::FakeCache accounts;
  RbacIndex index;
  accounts.put_json(R"({"metadata":{"name":"web","namespace":"shop"}})");
  EXPECT_TRUE(index.apply("serviceaccounts", "shop/web", accounts).empty());
  EXPECT_EQ(index.automount_token_of({"shop", "web"}), std::nullopt);

  accounts.put_json(
      R"({"metadata":{"name":"web","namespace":"shop"},"automountServiceAccountToken":false})");
  auto affected = index.apply("serviceaccounts", "shop/web", accounts);
  EXPECT_EQ(affected.accounts, (std::set<rbac::Account>{{"shop", "web"}}));
  EXPECT_EQ(index.automount_token_of({"shop", "web"}), false);
  EXPECT_EQ(index.automount_token_of({"shop", "api"}), std::nullopt);

  accounts.put_json(R"({"metadata":{"name":"web","namespace":"shop","labels":{"a":"b"}},
      "automountServiceAccountToken":false,"secrets":[{"name":"t"}]})");
  EXPECT_TRUE(index.apply("serviceaccounts", "shop/web", accounts).empty());

  accounts.put_json(
      R"({"metadata":{"name":"web","namespace":"shop"},"automountServiceAccountToken":true})");
  EXPECT_FALSE(index.apply("serviceaccounts", "shop/web", accounts).empty());
  EXPECT_EQ(index.automount_token_of({"shop", "web"}), true);

  accounts.erase("shop/web");
  EXPECT_FALSE(index.apply("serviceaccounts", "shop/web", accounts).empty());
  EXPECT_EQ(index.automount_token_of({"shop", "web"}), std::nullopt);
  EXPECT_EQ(index.size().automount_settings, 0u);
}

}  // namespace
}  // namespace bulwark::reconcilers
