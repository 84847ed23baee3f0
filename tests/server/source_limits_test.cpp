// Address ranges and the count of connections by source, without sockets.
#include "operator/server/source_limits.h"

#include <gtest/gtest.h>

namespace bulwark::server {
namespace {

TEST(AddressRange, MatchesByPrefix) {
  const AddressRange r("198.18.0.0/15");
  EXPECT_TRUE(r.contains("198.18.0.1"));
  EXPECT_TRUE(r.contains("198.19.255.255"));
  EXPECT_FALSE(r.contains("198.20.0.1"));
  EXPECT_TRUE(r.contains("::ffff:198.19.0.7"));  // IPv4 seen on an IPv6 socket
  EXPECT_FALSE(r.contains("fd00::1"));
  EXPECT_FALSE(r.contains("not an address"));
  EXPECT_TRUE(AddressRange("127.0.0.1").contains("127.0.0.1"));
  EXPECT_FALSE(AddressRange("127.0.0.1").contains("127.0.0.2"));
  EXPECT_TRUE(AddressRange("fd00::/8").contains("fd12::3"));
  EXPECT_TRUE(AddressRange("0.0.0.0/0").contains("203.0.113.9"));
  EXPECT_TRUE(AddressRange("127.0.0.0/12").contains("127.15.0.1"));
  EXPECT_FALSE(AddressRange("127.0.0.0/12").contains("127.16.0.1"));
}

TEST(AddressRange, RefusesWhatIsNotOne) {
  for (const char* bad : {"", "10.0.0", "198.18.0.0/33", "198.18.0.0/", "198.18.0.0/x",
                          "fd00::/129", "198.18.0.0/-1", "host.example"}) {
    EXPECT_THROW(AddressRange{bad}, std::invalid_argument) << bad;
  }
}

TEST(SourceLimits, CapsEachSourceAndTheTotal) {
  SourceLimits limits({5, 2, {}, 0});
  EXPECT_EQ(limits.open("a"), Refusal::kNone);
  EXPECT_EQ(limits.open("a"), Refusal::kNone);
  EXPECT_EQ(limits.open("a"), Refusal::kSourceFull);
  EXPECT_EQ(limits.open_from("a"), 2);
  EXPECT_EQ(limits.open("b"), Refusal::kNone);
  EXPECT_EQ(limits.open("b"), Refusal::kNone);
  EXPECT_EQ(limits.open("c"), Refusal::kNone);
  EXPECT_EQ(limits.open("d"), Refusal::kServerFull);
  limits.close("a");
  EXPECT_EQ(limits.open_from("a"), 1);
  EXPECT_EQ(limits.open("d"), Refusal::kNone);
}

TEST(SourceLimits, TheReserveIsOnlyForTrustedSources) {
  SourceLimits limits({4, 0, {"198.18.0.1"}, 2});
  EXPECT_EQ(limits.open("198.18.0.2"), Refusal::kNone);
  EXPECT_EQ(limits.open("198.18.0.3"), Refusal::kNone);
  EXPECT_EQ(limits.open("198.18.0.4"), Refusal::kServerFull);  // the reserve stays free
  EXPECT_EQ(limits.open("198.18.0.1"), Refusal::kNone);
  EXPECT_EQ(limits.open("198.18.0.1"), Refusal::kNone);
  EXPECT_EQ(limits.open("198.18.0.1"), Refusal::kServerFull);  // the total holds for it too
  limits.close("198.18.0.1");
  // A trusted connection that closed frees reserve, not room for others.
  EXPECT_EQ(limits.open("198.18.0.4"), Refusal::kServerFull);
  EXPECT_EQ(limits.open("198.18.0.1"), Refusal::kNone);
}

TEST(SourceLimits, TrustedSourcesUseFreeSlotsBeyondTheReserve) {
  SourceLimits limits({4, 1, {"127.0.0.1/32"}, 1});
  for (int i = 0; i < 4; ++i) EXPECT_EQ(limits.open("127.0.0.1"), Refusal::kNone) << i;
  EXPECT_EQ(limits.open("127.0.0.2"), Refusal::kServerFull);
}

TEST(SourceLimits, RefusesAReserveAboveTheTotalOrABadRange) {
  EXPECT_THROW(SourceLimits({4, 0, {}, 5}), std::invalid_argument);
  EXPECT_THROW(SourceLimits({4, 0, {"nope"}, 0}), std::invalid_argument);
}

}  // namespace
}  // namespace bulwark::server

namespace bulwark::server {
namespace {

TEST(SourceLimits, BodyBytesHaveTheirOwnShares) {
  SourceLimitOptions o;
  o.trusted = {"127.0.0.1"};
  o.max_body_bytes = 100;
  o.max_body_bytes_per_source = 40;
  o.reserved_body_bytes = 30;
  SourceLimits limits(o);
  EXPECT_EQ(limits.reserve("127.0.0.2", 40), Refusal::kNone);
  EXPECT_EQ(limits.reserve("127.0.0.2", 1), Refusal::kMemory);  // its share
  EXPECT_EQ(limits.reserve("127.0.0.3", 30), Refusal::kNone);
  EXPECT_EQ(limits.reserve("127.0.0.4", 1), Refusal::kMemory);  // 70 + the reserve of 30
  EXPECT_EQ(limits.reserve("127.0.0.1", 30), Refusal::kNone);   // the API server's reserve
  EXPECT_EQ(limits.reserve("127.0.0.1", 1), Refusal::kMemory);  // the total holds
  limits.release("127.0.0.2", 40);
  EXPECT_EQ(limits.reserve("127.0.0.1", 40), Refusal::kNone);  // no share of its own
  EXPECT_EQ(limits.open("127.0.0.2"), Refusal::kNone);         // connections are apart
}

}  // namespace
}  // namespace bulwark::server
