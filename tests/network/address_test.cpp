#include "operator/network/address.h"

#include <gtest/gtest.h>

namespace bulwark::network {
namespace {

TEST(NetworkAddress, ReadsIpv4AndIpv6) {
  EXPECT_EQ(Address::parse("198.18.0.7")->str(), "198.18.0.7");
  EXPECT_EQ(Address::parse("010.001.0.1")->str(), "10.1.0.1");  // Go's legacy parser: decimal
  EXPECT_EQ(Address::parse("fd00::1")->str(), "fd00:0:0:0:0:0:0:1");
  EXPECT_EQ(Address::parse("::")->str(), "0:0:0:0:0:0:0:0");
  EXPECT_EQ(Address::parse("1::")->str(), "1:0:0:0:0:0:0:0");
  EXPECT_EQ(Address::parse("::ffff:1.2.3.4")->str(), "0:0:0:0:0:ffff:102:304");
  EXPECT_TRUE(Address::parse("::ffff:1.2.3.4")->v6);  // never the IPv4 address
  EXPECT_EQ(Address::parse("1:2:3:4:5:6:7:8")->str(), "1:2:3:4:5:6:7:8");
  // Go's legacy parser: any number of leading zeros.
  EXPECT_EQ(Address::parse("0010.0.0.1")->str(), "10.0.0.1");
  EXPECT_EQ(Address::parse("00001::1")->str(), "1:0:0:0:0:0:0:1");
  // Go's legacy parser: any number of leading zeros.
  EXPECT_EQ(Address::parse("0010.0.0.1")->str(), "10.0.0.1");
  EXPECT_EQ(Address::parse("00001::1")->str(), "1:0:0:0:0:0:0:1");
}

TEST(NetworkAddress, RefusesWhatIsNoAddress) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1..2.3", "1.2.3.4 ", "::1::",
                          "1:2:3:4:5:6:7:8:9", "1:2", ":1", "1:", "12345::", "g::", "1.2.3.-4"}) {
    EXPECT_FALSE(Address::parse(bad).has_value()) << bad;
  }
}

TEST(NetworkCidr, ClearsHostBitsAndContains) {
  const auto block = Cidr::parse("10.0.0.1/8");
  ASSERT_TRUE(block);
  EXPECT_EQ(block->str(), "10.0.0.0/8");
  EXPECT_TRUE(block->contains(*Address::parse("10.255.0.1")));
  EXPECT_FALSE(block->contains(*Address::parse("11.0.0.1")));
  EXPECT_FALSE(block->contains(*Address::parse("::ffff:10.0.0.1")));
  EXPECT_EQ(block->last().str(), "10.255.255.255");
  EXPECT_TRUE(Cidr::parse("0.0.0.0/0")->contains(*Address::parse("255.255.255.255")));
  EXPECT_TRUE(Cidr::parse("::/0")->contains(*Address::parse("fe80::1")));
  EXPECT_TRUE(Cidr::parse("198.18.0.5/32")->contains(*Address::parse("198.18.0.5")));
  EXPECT_TRUE(Cidr::parse("10.0.0.0/8")->contains(*Cidr::parse("10.1.0.0/16")));
  EXPECT_FALSE(Cidr::parse("10.1.0.0/16")->contains(*Cidr::parse("10.0.0.0/8")));
  // IPv4-mapped blocks are IPv4: ::ffff:0.0.0.0/96 is the whole IPv4 space.
  EXPECT_EQ(Cidr::parse("::ffff:0.0.0.0/96")->str(), "0.0.0.0/0");
  EXPECT_EQ(Cidr::parse("::ffff:10.1.0.0/112")->str(), "10.1.0.0/16");
  EXPECT_TRUE(Cidr::parse("::ffff:0.0.0.0/96")->contains(*Address::parse("8.8.8.8")));
  EXPECT_TRUE(Cidr::parse("::ffff:0.0.0.0/95")->base.v6);        // no longer a mapped block
  EXPECT_EQ(Cidr::parse("10.0.0.0/0008")->str(), "10.0.0.0/8");  // leading zeros, as Go reads
  EXPECT_EQ(Cidr::parse("00000000000000000010.0.0.0/8")->str(), "10.0.0.0/8");
  for (const char* bad :
       {"10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "::/129", "10.0.0.0/8/8", "x/8",
        "0.0.0.0/-0", "0.0.0.0/+0", "1.2.3.4/ 8", "256.0.0.0/8", "1::10000/64"}) {
    EXPECT_FALSE(Cidr::parse(bad).has_value()) << bad;
  }
}

// What the API server's strict validation refuses in a new object, in its words (validation/ip.go);
// a stored object keeps what it was written with (Cidr::parse reads that).
TEST(NetworkCidr, StrictValidationOfNewObjects) {
  const std::string zeros = "must not have leading 0s in IP or prefix length";
  const std::string mapped = "must not have an IPv4-mapped IPv6 address";
  const std::string host = "must not have bits set beyond the prefix length";
  EXPECT_EQ(strict_cidr_problem("198.18.0.0/16"), "");
  EXPECT_EQ(strict_cidr_problem("0.0.0.0/0"), "");
  EXPECT_EQ(strict_cidr_problem("2001:DB8::/32"), "");  // not canonical, but taken
  EXPECT_EQ(strict_cidr_problem("::/0"), "");
  EXPECT_EQ(strict_cidr_problem("198.018.0.0/16"), zeros);
  EXPECT_EQ(strict_cidr_problem("0198.18.0.0/16"), zeros);
  EXPECT_EQ(strict_cidr_problem("198.18.0.0/016"), zeros);
  EXPECT_EQ(strict_cidr_problem("::ffff:198.018.0.0/112"), zeros);
  EXPECT_EQ(strict_cidr_problem("::ffff:198.18.0.0/112"), mapped);
  EXPECT_EQ(strict_cidr_problem("::ffff:198.18.0.0/95"), mapped);
  EXPECT_EQ(strict_cidr_problem("198.18.0.5/16"), host);
  EXPECT_EQ(strict_cidr_problem("2001:db8::1/64"), host);
}

}  // namespace
}  // namespace bulwark::network
