// compare_resource_versions: KEP-5504's order, and opaque strings left uncompared.
#include "operator/kube/resource_version.h"

#include <gtest/gtest.h>

namespace bulwark::kube {
namespace {

TEST(ResourceVersion, WellFormedVersionsCompareAsIntegers) {
  EXPECT_EQ(compare_resource_versions("9", "10"), std::strong_ordering::less);
  EXPECT_EQ(compare_resource_versions("10", "9"), std::strong_ordering::greater);
  EXPECT_EQ(compare_resource_versions("123", "123"), std::strong_ordering::equal);
  EXPECT_EQ(compare_resource_versions("124", "123"), std::strong_ordering::greater);
  // Past 64 bits still in order: the rule is on text, not a parsed number.
  EXPECT_EQ(compare_resource_versions("99999999999999999999", "100000000000000000000"),
            std::strong_ordering::less);
}

TEST(ResourceVersion, AnythingElseIsOpaque) {
  for (const char* odd : {"", "0", "012", "12a", "-1", "+1", " 1", "1.5", "abc"}) {
    EXPECT_EQ(compare_resource_versions(odd, "5"), std::nullopt) << odd;
    EXPECT_EQ(compare_resource_versions("5", odd), std::nullopt) << odd;
  }
}

}  // namespace
}  // namespace bulwark::kube
