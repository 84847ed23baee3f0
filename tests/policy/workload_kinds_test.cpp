// The one table of workload kinds: what the rest of Bulwark asks of it.
#include "operator/policy/workload_kinds.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bulwark::posture {
namespace {

// docs/api.md: ScaleToZero applies to Deployments and StatefulSets; every other kind is left at
// its replica count (a DaemonSet has none, a ReplicaSet's belongs to its Deployment).
TEST(WorkloadKinds, ScaleToZeroScalesDeploymentsAndStatefulSetsOnly) {
  std::vector<std::string> scaling;
  for (const auto& k : kWorkloadKinds) {
    if (kind_scales(k.kind)) scaling.emplace_back(k.kind);
  }
  EXPECT_EQ(scaling, (std::vector<std::string>{"Deployment", "StatefulSet"}));
  EXPECT_FALSE(kind_scales("Service"));  // not a kind of the table
}

TEST(WorkloadKinds, EveryKindIsFoundByItsName) {
  for (const auto& k : kWorkloadKinds) {
    ASSERT_NE(find_workload_kind(k.kind), nullptr) << k.kind;
    EXPECT_EQ(find_workload_kind(k.kind)->resource, k.resource);
  }
  EXPECT_EQ(find_workload_kind("deployment"), nullptr);  // kinds are case-sensitive
}

}  // namespace
}  // namespace bulwark::posture
