// Time as text: RFC 3339 as Kubernetes writes it, read strictly and saturating at the clock's ends.
#include "operator/base/time_text.h"

#include <gtest/gtest.h>

namespace bulwark::base {
namespace {

TEST(Rfc3339, ParsesZuluAndOffsets) {
  auto z = parse_rfc3339("2027-03-01T00:00:00Z");
  auto o = parse_rfc3339("2027-03-01T01:30:00.5+01:30");
  ASSERT_TRUE(z && o);
  EXPECT_EQ(*z, *o);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*z), 1803859200);
  EXPECT_FALSE(parse_rfc3339("2027-03-01"));
  EXPECT_FALSE(parse_rfc3339("2027-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2027-03-01T00:00:00"));
  EXPECT_FALSE(parse_rfc3339("2027-02-30T00:00:00Z"));
}

// Item 3 of the evasion issue: the nanosecond clock ends in April 2262; later times must not wrap
// into the past (which expired the exemption and lifted what the policy held).
TEST(Rfc3339, TimesAfter2262SaturateInsteadOfWrapping) {
  const auto now = parse_rfc3339("2026-11-28T00:00:00Z");
  const auto before_end = parse_rfc3339("2262-04-11T00:00:00Z");
  const auto after_end = parse_rfc3339("2262-04-12T00:00:00Z");
  const auto far = parse_rfc3339("9999-12-31T23:59:59Z");
  ASSERT_TRUE(now && before_end && after_end && far);
  EXPECT_LT(*now, *before_end);
  EXPECT_LT(*before_end, *after_end);
  EXPECT_EQ(*after_end, std::chrono::system_clock::time_point::max());
  EXPECT_EQ(*far, std::chrono::system_clock::time_point::max());
  EXPECT_EQ(*parse_rfc3339("1000-01-01T00:00:00Z"), std::chrono::system_clock::time_point::min());
}

TEST(Rfc3339, ParsesTheEpochWithFractionsAndNegativeOffsets) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:01:00Z"), std::chrono::system_clock::from_time_t(60));
  EXPECT_EQ(parse_rfc3339("1970-01-01T01:01:00.123+01:00"),
            std::chrono::system_clock::from_time_t(60));
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00-00:01"), std::chrono::system_clock::from_time_t(60));
  EXPECT_FALSE(parse_rfc3339("1970-01-01 00:01:00"));
  EXPECT_FALSE(parse_rfc3339("1970-01-01T00:01:00"));
  EXPECT_FALSE(parse_rfc3339("1970-01-01T00:01:00Zjunk"));
}

TEST(Rfc3339, FormatsToTheSecondInUtc) {
  EXPECT_EQ(format_rfc3339(std::chrono::system_clock::from_time_t(1803859200)),
            "2027-03-01T00:00:00Z");
  const auto t = parse_rfc3339("2027-03-01T01:30:00.5+01:30");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc3339(*t), "2027-03-01T00:00:00Z");
}

}  // namespace
}  // namespace bulwark::base
