// The default-deny reconciler's pure parts: what it applies, and when it leaves things alone.
#include "reconcilers/default_deny.h"

#include <gtest/gtest.h>

#include <sstream>

#include "document/reader.h"
#include "reconcilers/policy_set.h"

namespace bulwark::reconcilers {
namespace {

document::Value parse(const std::string& json) {
  std::istringstream in(json);
  document::Value v;
  document::make_json_reader(in)->next(v);
  return v;
}

const std::vector<std::pair<std::string, std::string>> kOwners = {{"prod", "uid-1"}};

TEST(DefaultDeny, DesiredIsUpToDateWithItself) {
  for (bool dns : {true, false}) {
    const auto v = parse(DefaultDenyReconciler::desired("shop", dns, kOwners));
    EXPECT_TRUE(DefaultDenyReconciler::up_to_date(v, dns, kOwners)) << dns;
    EXPECT_FALSE(DefaultDenyReconciler::up_to_date(v, !dns, kOwners)) << dns;
    EXPECT_EQ(v.find({"metadata", "namespace"})->str(), "shop");
    EXPECT_EQ(v.find({"metadata", "ownerReferences"})->items[0].find("uid")->str(), "uid-1");
  }
}

TEST(DefaultDeny, AnyDriftIsNotUpToDate) {
  const std::string base = DefaultDenyReconciler::desired("shop", true, kOwners);
  auto drifted = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), to);
    return !DefaultDenyReconciler::up_to_date(parse(s), true, kOwners);
  };
  EXPECT_TRUE(drifted(R"("podSelector":{})", R"("podSelector":{"matchLabels":{"a":"b"}})"));
  EXPECT_TRUE(drifted(R"("ingress":[])", R"("ingress":[{}])"));
  EXPECT_TRUE(drifted(R"(["Ingress","Egress"])", R"(["Ingress"])"));
  EXPECT_TRUE(drifted(R"("port":53},{"protocol":"TCP")", R"("port":54},{"protocol":"TCP")"));
  EXPECT_TRUE(drifted(R"("app.kubernetes.io/managed-by":"bulwark")", R"("team":"x")"));
  EXPECT_TRUE(drifted(R"("uid":"uid-1")", R"("uid":"other")"));
  // Server defaults and field order do not count as drift.
  EXPECT_FALSE(
      drifted(R"("policyTypes":["Ingress","Egress"])", R"("policyTypes":["Egress","Ingress"])"));
}

TEST(DefaultDeny, NamespaceSelection) {
  crds::SecurityPolicySpec spec;
  spec.match.namespace_selector.match_labels = {{"env", "prod"}};
  EXPECT_TRUE(selects_namespace(spec, "shop", {{"env", "prod"}}));
  EXPECT_FALSE(selects_namespace(spec, "shop", {{"env", "dev"}}));
  EXPECT_FALSE(selects_namespace(spec, "kube-system", {{"env", "prod"}}));
}

}  // namespace
}  // namespace bulwark::reconcilers

#include "reconcilers/policy_status.h"

namespace bulwark::reconcilers {
namespace {

TEST(PolicyStatus, ReadyConditionNamesEveryFieldAtFault) {
  auto ok = PolicyStatusReconciler::ready_condition({});
  EXPECT_EQ(ok.status, "True");
  EXPECT_EQ(ok.reason, "Reconciled");
  EXPECT_EQ(ok.message, "");
  auto bad =
      PolicyStatusReconciler::ready_condition({{"spec.a", "is wrong"}, {"spec.b", "is worse"}});
  EXPECT_EQ(bad.status, "False");
  EXPECT_EQ(bad.reason, "InvalidSpec");
  EXPECT_EQ(bad.message, "spec.a: is wrong; spec.b: is worse");
}

}  // namespace
}  // namespace bulwark::reconcilers
