// The operator's side of a probe against a canary, both listeners on loopback: the operator's
// listener hears what the canary's DIAL brings, so the proof is the operator's own.
#include "operator/canary/probe.h"

#include <gtest/gtest.h>

#include <memory>

#include "operator/canary/listener.h"

namespace bulwark::canary {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Listener> listening(std::vector<std::uint16_t> dial_ports) {
  Listener::Options o;
  o.bind_address = "127.0.0.1";
  o.listen_ports = {0};
  o.dial_ports = std::move(dial_ports);
  o.read_timeout = 500ms;
  o.dial_timeout = 500ms;
  auto l = std::make_unique<Listener>(o);
  std::string error;
  EXPECT_TRUE(l->start(error)) << error;
  return l;
}

TEST(CanaryProbe, PingOverTcpAndUdp) {
  auto canary = listening({});
  const auto port = canary->ports().at(0);
  EXPECT_TRUE(ping("127.0.0.1", port, Transport::kTcp, "p1", 1s));
  EXPECT_TRUE(ping("127.0.0.1", port, Transport::kUdp, "p2", 1s));
  EXPECT_FALSE(ping("not-an-address", port, Transport::kTcp, "p3", 1s));
  canary->stop();
  EXPECT_FALSE(ping("127.0.0.1", port, Transport::kTcp, "p4", 1s));  // refused
  EXPECT_FALSE(ping("127.0.0.1", port, Transport::kUdp, "p5", 1s));  // refused
}

TEST(CanaryProbe, ADialReachesTheOperatorsListenerWhichHearsIt) {
  auto operator_side = listening({});
  const auto back = operator_side->ports().at(0);
  auto canary = listening({back});
  const auto port = canary->ports().at(0);
  EXPECT_EQ(ask_dial("127.0.0.1", port, Transport::kTcp, back, "d-tcp", 2s), DialResult::kOk);
  EXPECT_EQ(ask_dial("127.0.0.1", port, Transport::kUdp, back, "d-udp", 2s), DialResult::kOk);
  EXPECT_TRUE(operator_side->heard("d-tcp"));
  EXPECT_TRUE(operator_side->heard("d-udp"));
  EXPECT_FALSE(operator_side->heard("never-sent"));
  // A port the canary was not given: no answer at all.
  EXPECT_EQ(ask_dial("127.0.0.1", port, Transport::kTcp, port, "d-other", 2s), std::nullopt);
  operator_side->stop();
  EXPECT_EQ(ask_dial("127.0.0.1", port, Transport::kTcp, back, "d-gone", 2s), DialResult::kRefused);
  EXPECT_EQ(ask_dial("127.0.0.1", port, Transport::kUdp, back, "d-gone2", 2s),
            DialResult::kRefused);
  canary->stop();
  EXPECT_EQ(ask_dial("127.0.0.1", port, Transport::kTcp, back, "d-down", 2s), std::nullopt);
}

TEST(CanaryProbe, TheListenerRemembersTheLastHellosOnly) {
  auto operator_side = listening({});
  const auto back = operator_side->ports().at(0);
  auto canary = listening({back});
  const auto port = canary->ports().at(0);
  for (std::size_t i = 0; i <= Listener::kRemembered; ++i) {
    ASSERT_EQ(ask_dial("127.0.0.1", port, Transport::kUdp, back, "h" + std::to_string(i), 2s),
              DialResult::kOk);
  }
  EXPECT_FALSE(operator_side->heard("h0"));  // the oldest went
  EXPECT_TRUE(operator_side->heard("h1"));
  EXPECT_TRUE(operator_side->heard("h" + std::to_string(Listener::kRemembered)));
}

}  // namespace
}  // namespace bulwark::canary
