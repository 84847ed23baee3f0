// `bulwark canary`'s flags: defaults, ports as lists, and a clear error for anything else.
#include <gtest/gtest.h>

#include <sstream>

#include "app/cli/canary.h"

namespace bulwark::cli {
namespace {

TEST(CanaryFlags, DefaultsAndPortLists) {
  std::ostringstream err;
  auto d = parse_canary_args({}, err);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->bind_address, "0.0.0.0");
  EXPECT_EQ(d->listen_ports, (std::vector<std::uint16_t>{9771, 9772}));
  EXPECT_EQ(d->dial_ports, (std::vector<std::uint16_t>{9773, 9774}));
  auto f = parse_canary_args(
      {"--listen-ports", "9000", "--dial-ports", "1,65535", "--bind-address", "198.18.0.2"}, err);
  ASSERT_TRUE(f) << err.str();
  EXPECT_EQ(f->listen_ports, (std::vector<std::uint16_t>{9000}));
  EXPECT_EQ(f->dial_ports, (std::vector<std::uint16_t>{1, 65535}));
  EXPECT_EQ(f->bind_address, "198.18.0.2");
  // --flag=value, as the chart's DaemonSet writes them.
  auto g = parse_canary_args({"--listen-ports=9771,9772", "--bind-address=198.18.0.3"}, err);
  ASSERT_TRUE(g) << err.str();
  EXPECT_EQ(g->listen_ports, (std::vector<std::uint16_t>{9771, 9772}));
  EXPECT_EQ(g->bind_address, "198.18.0.3");
  EXPECT_FALSE(parse_canary_args({"--listen-ports="}, err));
  EXPECT_FALSE(parse_canary_args({"--other=1"}, err));
}

TEST(CanaryFlags, BadPortsAndUnknownFlagsAreRefused) {
  for (const char* ports : {"", "0", "65536", "80,", ",80", "80,,81", "eighty", "-1", "80 81"}) {
    std::ostringstream err;
    EXPECT_FALSE(parse_canary_args({"--listen-ports", ports}, err)) << ports;
    EXPECT_NE(err.str().find("needs ports 1 to 65535"), std::string::npos) << err.str();
  }
  std::ostringstream err;
  EXPECT_FALSE(parse_canary_args({"--port", "80"}, err));
  EXPECT_FALSE(parse_canary_args({"--listen-ports"}, err));  // no value
  EXPECT_NE(err.str().find("missing value"), std::string::npos);
}

}  // namespace
}  // namespace bulwark::cli
