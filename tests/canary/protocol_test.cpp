// The canary's wire format: every message round-trips, and nothing but a well-formed line parses.
#include "operator/canary/protocol.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bulwark::canary {
namespace {

TEST(CanaryProtocol, EveryMessageRoundTrips) {
  std::vector<Message> messages = {
      {MessageType::kPing, "n-1", Transport::kTcp, 0, DialResult::kOk},
      {MessageType::kPong, "n-1", Transport::kTcp, 0, DialResult::kOk},
      {MessageType::kDial, "abc", Transport::kUdp, 65535, DialResult::kOk},
      {MessageType::kDial, "abc", Transport::kTcp, 1, DialResult::kOk},
      {MessageType::kDialed, "Z9", Transport::kTcp, 0, DialResult::kRefused},
      {MessageType::kDialed, "Z9", Transport::kTcp, 0, DialResult::kTimeout},
      {MessageType::kHello, "x", Transport::kTcp, 0, DialResult::kOk},
      {MessageType::kAck, std::string(32, 'a'), Transport::kTcp, 0, DialResult::kOk},
  };
  for (const auto& m : messages) {
    const std::string line = to_line(m);
    ASSERT_FALSE(line.empty());
    EXPECT_LE(line.size(), kMaxLine) << line;
    const auto back = parse_message(line);
    ASSERT_TRUE(back) << line;
    EXPECT_EQ(to_line(*back), line);
  }
  EXPECT_EQ(to_line(messages[2]), "BWC1 DIAL udp 65535 abc\n");
  EXPECT_EQ(to_line(messages[4]), "BWC1 DIALED Z9 refused\n");
}

TEST(CanaryProtocol, AnythingElseIsRefused) {
  for (std::string_view bad : {"",
                               "\n",
                               "BWC1",
                               "BWC1 PING",
                               "BWC2 PING n",
                               "bwc1 PING n",
                               "BWC1 ping n",
                               "BWC1 PING n extra",
                               "BWC1  PING n",
                               " BWC1 PING n",
                               "BWC1 PING n ",
                               "BWC1 PING n\n\n",
                               "BWC1 PING n\r\n",
                               "BWC1 PING n_1",
                               "BWC1 PING n.1",
                               "BWC1 DIAL tcp 0 n",
                               "BWC1 DIAL tcp 65536 n",
                               "BWC1 DIAL tcp 080 n",
                               "BWC1 DIAL tcp -1 n",
                               "BWC1 DIAL tcp +1 n",
                               "BWC1 DIAL sctp 80 n",
                               "BWC1 DIAL tcp 80",
                               "BWC1 DIALED n maybe",
                               "BWC1 NOPE n",
                               "BWC1 PING \x7f",
                               "BWC1 PING \xc3\xa9"}) {
    EXPECT_FALSE(parse_message(bad)) << bad;
  }
  EXPECT_FALSE(parse_message("BWC1 PING " + std::string(33, 'a')));        // nonce too long
  EXPECT_FALSE(parse_message("BWC1 PING " + std::string(kMaxLine, 'a')));  // line too long
  EXPECT_EQ(to_line({MessageType::kPing, "bad nonce"}), "");
  EXPECT_EQ(to_line({MessageType::kDial, "n", Transport::kTcp, 0}), "");
}

}  // namespace
}  // namespace bulwark::canary
