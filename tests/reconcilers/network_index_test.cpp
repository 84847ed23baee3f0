// The network index: a NetworkPolicy or Service change re-judges only the workloads whose pods it
// selects now or selected before (docs/api.md, Network controls).
#include "reconcilers/network_index.h"

#include <gtest/gtest.h>

#include "operator/document/reader.h"
#include "reconcilers/workload_owners.h"
#include "tests/fakes/fake_cache.h"

namespace bulwark::reconcilers {
namespace {

using document::parse_json;

class NetworkIndexTest : public ::testing::Test {
 protected:
  void np(const std::string& name, const std::string& pod_selector) {
    network_policies_.put_json(R"({"metadata":{"name":")" + name +
                               R"(","namespace":"shop"},"spec":{"podSelector":)" + pod_selector +
                               R"(,"ingress":[{}]}})");
    index_.apply(SelectingKind::kNetworkPolicy, "shop/" + name, network_policies_);
  }
  // The workloads the pending change of NetworkPolicy `name` re-judges.
  std::vector<std::string> routed(const std::string& name,
                                  SelectingKind kind = SelectingKind::kNetworkPolicy) {
    return workloads_selected(caches(), "shop", index_.take(kind, "shop/" + name));
  }
  void deployment(const std::string& name, const std::string& labels) {
    deployments_.put_json(R"({"metadata":{"name":")" + name + R"(","namespace":"shop","uid":"d-)" +
                          name + R"("},"spec":{"template":{"metadata":{"labels":)" + labels +
                          R"(},"spec":{"containers":[{"name":"c","image":"i"}]}}}})");
  }
  WorkloadCaches caches() {
    return WorkloadCaches(
        std::map<std::string_view, const runtime::CacheReader*>{{"pods", &pods_},
                                                                {"deployments", &deployments_},
                                                                {"statefulsets", &none_},
                                                                {"daemonsets", &none_},
                                                                {"replicasets", &none_},
                                                                {"replicationcontrollers", &none_},
                                                                {"jobs", &none_},
                                                                {"cronjobs", &none_}});
  }
  void SetUp() override {
    deployment("cart", R"({"app":"cart"})");
    deployment("web", R"({"app":"web","tier":"front"})");
    pods_.put_json(
        R"({"metadata":{"name":"debug","namespace":"shop","uid":"p-debug",)"
        R"("labels":{"app":"debug"}},"spec":{"containers":[{"name":"c","image":"i"}]}})");
  }
  testing::FakeCache pods_, deployments_, none_, network_policies_, services_;
  NetworkIndex index_;
};

TEST_F(NetworkIndexTest, AChangeRejudgesWhatItSelectsNowAndSelectedBefore) {
  np("p", R"({"matchLabels":{"app":"cart"}})");
  EXPECT_EQ(routed("p"), std::vector<std::string>{"Deployment/shop/cart"});
  EXPECT_TRUE(routed("p").empty());  // taken
  np("p", R"({"matchLabels":{"app":"web"}})");
  EXPECT_EQ(routed("p"), (std::vector<std::string>{"Deployment/shop/cart", "Deployment/shop/web"}));
  // Changes before the fan-out loop routes the first add up.
  np("p", R"({"matchLabels":{"tier":"front"}})");
  np("p", R"({"matchLabels":{"app":"debug"}})");
  EXPECT_EQ(routed("p"), (std::vector<std::string>{"Deployment/shop/web", "Pod/shop/debug"}));
  network_policies_.erase("shop/p");
  index_.apply(SelectingKind::kNetworkPolicy, "shop/p", network_policies_);
  EXPECT_EQ(routed("p"), std::vector<std::string>{"Pod/shop/debug"});
  EXPECT_EQ(index_.size(), 0u);
  np("all", "{}");
  EXPECT_EQ(routed("all").size(), 3u);
}

TEST_F(NetworkIndexTest, WhatCannotBeToldReJudgesMore) {
  // Unreadable: the namespace's network controls are all not evaluated.
  np("newer", R"({"matchExpressions":[{"key":"app","operator":"Gt","values":["1"]}]})");
  EXPECT_EQ(routed("newer").size(), 3u);
  // A Deployment's pods carry pod-template-hash; a bare pod's labels are all known.
  np("hash", R"({"matchLabels":{"pod-template-hash":"7d9f"}})");
  EXPECT_EQ(routed("hash"),
            (std::vector<std::string>{"Deployment/shop/cart", "Deployment/shop/web"}));
  // The quarantine label: the quarantine hold reads it.
  np("q", R"({"matchLabels":{"bulwark.dev/quarantine":"true","app":"cart"}})");
  EXPECT_EQ(routed("q"), std::vector<std::string>{"Deployment/shop/cart"});
}

TEST_F(NetworkIndexTest, PendingSelectorsAreDistinctAndBounded) {
  // Nothing takes them on a standby replica, while a user may rewrite a selector in a loop.
  for (int round = 0; round < 3; ++round) {
    np("p", R"({"matchLabels":{"app":"cart"}})");
    np("p", R"({"matchLabels":{"app":"web"}})");
  }
  EXPECT_EQ(routed("p"), (std::vector<std::string>{"Deployment/shop/cart", "Deployment/shop/web"}));
  for (int i = 0; i < 10; ++i) np("p", R"({"matchLabels":{"app":"v)" + std::to_string(i) + "\"}}");
  EXPECT_EQ(routed("p").size(), 3u);  // past eight: the whole namespace
  EXPECT_TRUE(routed("p").empty());
}

TEST_F(NetworkIndexTest, ATemplatesOwnValueOfTheQuarantineLabelIsMatchedAsWritten) {
  deployment("odd", R"({"app":"odd","bulwark.dev/quarantine":"false"})");
  np("q", R"({"matchLabels":{"bulwark.dev/quarantine":"false"}})");
  EXPECT_EQ(routed("q"), std::vector<std::string>{"Deployment/shop/odd"});
}

TEST_F(NetworkIndexTest, ServicesBySelectorAndThoseWithoutSelectNothing) {
  services_.put_json(R"({"metadata":{"name":"web","namespace":"shop"},)"
                     R"("spec":{"type":"NodePort","selector":{"app":"web"}}})");
  index_.apply(SelectingKind::kService, "shop/web", services_);
  EXPECT_EQ(routed("web", SelectingKind::kService),
            std::vector<std::string>{"Deployment/shop/web"});
  services_.put_json(
      R"({"metadata":{"name":"web","namespace":"shop"},"spec":{"type":"NodePort"}})");
  index_.apply(SelectingKind::kService, "shop/web", services_);
  EXPECT_EQ(routed("web", SelectingKind::kService),
            std::vector<std::string>{"Deployment/shop/web"});  // the one it selected before
  index_.apply(SelectingKind::kService, "shop/web", services_);
  EXPECT_TRUE(routed("web", SelectingKind::kService).empty());
}

}  // namespace
}  // namespace bulwark::reconcilers
