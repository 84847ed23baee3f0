// The CRD's schema and the C++ model say the same thing: control IDs, kinds, and defaults.
#include <gtest/gtest.h>

#include <fstream>

#include "operator/document/reader.h"
#include "operator/policy/control_ids.h"
#include "operator/policy/security_policy.h"
#include "tests/support/paths.h"

namespace bulwark::crds {
namespace {

using document::Value;

class CrdSchema : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(std::string(test::source_dir()) + "/crds/securitypolicy.yaml");
    ASSERT_TRUE(document::make_yaml_reader(in)->next(crd_));
    const Value& version = crd_.find({"spec", "versions"})->items[0];
    spec_ = version.find({"schema", "openAPIV3Schema", "properties", "spec", "properties"});
    ASSERT_NE(spec_, nullptr);
  }
  const Value* field(std::initializer_list<std::string_view> path) const {
    const Value* cur = spec_;
    bool first = true;
    for (auto key : path) {
      cur = first ? cur->find(key) : cur->find({"properties", key});
      first = false;
      if (cur == nullptr) return nullptr;
    }
    return cur;
  }
  static std::vector<std::string> strings(const Value* list) {
    std::vector<std::string> out;
    for (const auto& v : document::items_of(list)) out.emplace_back(v.str());
    return out;
  }

  Value crd_;
  const Value* spec_ = nullptr;
};

TEST_F(CrdSchema, ExemptionControlsAreExactlyTheKnownControlIds) {
  const Value* controls = field({"exemptions"});
  ASSERT_NE(controls, nullptr);
  const auto ids = strings(controls->find({"items", "properties", "controls", "items", "enum"}));
  EXPECT_EQ(ids, std::vector<std::string>(kControlIds.begin(), kControlIds.end()));
}

TEST_F(CrdSchema, PermissionControlsAreExactlyTheRbacControlIdsAndNoneByDefault) {
  const Value* forbid = field({"permissions", "forbid"});
  ASSERT_NE(forbid, nullptr);
  std::vector<std::string> rbac;
  for (auto id : kControlIds) {
    if (id.rfind("rbac", 0) == 0) rbac.emplace_back(id);
  }
  EXPECT_EQ(rbac.size(), 10u);
  EXPECT_EQ(strings(forbid->find({"items", "enum"})), rbac);
  EXPECT_TRUE(forbid->find("default")->items.empty());
  EXPECT_TRUE(field({"permissions"})->find("default")->members.empty());
  EXPECT_TRUE(SecurityPolicySpec{}.permissions.forbid.empty());
}

TEST_F(CrdSchema, KindsAreExactlyTheWorkloadKindsTable) {
  std::vector<std::string> table;
  for (const auto& k : posture::kWorkloadKinds) table.emplace_back(k.kind);
  EXPECT_EQ(strings(field({"match", "kinds"})->find({"items", "enum"})), table);
  EXPECT_EQ(strings(field({"match", "kinds"})->find("default")), table);
}

TEST_F(CrdSchema, DefaultsMatchTheModel) {
  const SecurityPolicySpec d;
  EXPECT_EQ(field({"podSecurity", "level"})->find("default")->str(),
            to_string(d.pod_security.level));
  EXPECT_EQ(field({"podSecurity", "version"})->find("default")->str(),
            d.pod_security.version.str());
  EXPECT_EQ(strings(field({"match", "kinds"})->find("default")), d.match.kinds);
  EXPECT_EQ(strings(field({"match", "excludeNamespaces"})->find("default")),
            d.match.exclude_namespaces);
  EXPECT_EQ(field({"images", "forbidLatestTag"})->find("default")->as_bool(),
            d.images.forbid_latest_tag);
  EXPECT_EQ(field({"images", "requireDigest"})->find("default")->as_bool(),
            d.images.require_digest);
  EXPECT_EQ(field({"network", "defaultDeny"})->find("default")->as_bool(), d.network.default_deny);
  EXPECT_EQ(field({"network", "allowDNSEgress"})->find("default")->as_bool(),
            d.network.allow_dns_egress);
  EXPECT_EQ(field({"enforcement", "mode"})->find("default")->str(), "Audit");
  EXPECT_EQ(strings(field({"enforcement", "actions"})->find("default")),
            std::vector<std::string>{"Annotate"});
}

TEST_F(CrdSchema, NamesAndScope) {
  EXPECT_EQ(crd_.find({"spec", "group"})->str(), "bulwark.dev");
  EXPECT_EQ(crd_.find({"spec", "scope"})->str(), "Cluster");
  EXPECT_EQ(crd_.find({"spec", "names", "plural"})->str(), "securitypolicies");
  EXPECT_EQ(strings(crd_.find({"spec", "names", "shortNames"})),
            std::vector<std::string>{"secpol"});
}

}  // namespace
}  // namespace bulwark::crds
