// The operator's side of a probe against a canary, both listeners on loopback: the operator's
// listener hears what the canary's DIAL brings, so the proof is the operator's own.
#include "operator/canary/probe.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "operator/canary/listener.h"
#include "tests/fakes/fake_probe_transport.h"

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
  EXPECT_EQ(ping("127.0.0.1", port, Transport::kTcp, new_nonce(), 1s), Reach::kThrough);
  EXPECT_EQ(ping("127.0.0.1", port, Transport::kUdp, new_nonce(), 1s), Reach::kThrough);
  EXPECT_EQ(ping("not-an-address", port, Transport::kTcp, new_nonce(), 1s), Reach::kUnknown);
  canary->stop();
  // Nothing listens now: refused (over UDP the ICMP answer is rate-limited: never Through).
  EXPECT_EQ(ping("127.0.0.1", port, Transport::kTcp, new_nonce(), 1s), Reach::kBlocked);
  EXPECT_NE(ping("127.0.0.1", port, Transport::kUdp, new_nonce(), 1s), Reach::kThrough);
}

TEST(CanaryProbe, ADialReachesTheOperatorsListenerWhichHearsIt) {
  auto operator_side = listening({});
  const auto back = operator_side->ports().at(0);
  auto canary = listening({back});
  const auto port = canary->ports().at(0);
  const std::string tcp = new_nonce(), udp = new_nonce();
  EXPECT_EQ(tcp.size(), 32u);
  EXPECT_NE(tcp, udp);
  operator_side->expect(tcp, "127.0.0.1");
  operator_side->expect(udp, "127.0.0.1");
  EXPECT_EQ(ask_dial("127.0.0.1", port, Transport::kTcp, back, tcp, 2s), DialResult::kOk);
  EXPECT_EQ(ask_dial("127.0.0.1", port, Transport::kUdp, back, udp, 2s), DialResult::kOk);
  EXPECT_TRUE(operator_side->heard(tcp));
  EXPECT_TRUE(operator_side->heard(udp));
  EXPECT_FALSE(operator_side->heard(tcp));  // once: the nonce is forgotten
  // A port the canary was not given: no answer at all.
  EXPECT_EQ(ask_dial("127.0.0.1", port, Transport::kTcp, port, new_nonce(), 2s), std::nullopt);
  operator_side->stop();
  EXPECT_EQ(ask_dial("127.0.0.1", port, Transport::kTcp, back, new_nonce(), 2s),
            DialResult::kRefused);
  EXPECT_NE(ask_dial("127.0.0.1", port, Transport::kUdp, back, new_nonce(), 2s), DialResult::kOk);
  canary->stop();
  EXPECT_EQ(ask_dial("127.0.0.1", port, Transport::kTcp, back, new_nonce(), 2s), std::nullopt);
}

// A HELLO the operator did not expect, or from another address than the canary's, gets no ACK
// and proves nothing: a pod cannot make a blocked probe look through, or push out a real one.
TEST(CanaryProbe, OnlyAnExpectedHelloFromTheCanaryCounts) {
  auto operator_side = listening({});
  const auto back = operator_side->ports().at(0);
  auto canary = listening({back});
  const auto port = canary->ports().at(0);
  const std::string unexpected = new_nonce(), elsewhere = new_nonce(), real = new_nonce();
  EXPECT_EQ(ask_dial("127.0.0.1", port, Transport::kUdp, back, unexpected, 1s),
            DialResult::kTimeout);
  EXPECT_FALSE(operator_side->heard(unexpected));
  operator_side->expect(elsewhere, "127.0.0.2");  // the canary is at 127.0.0.1
  // Connected but not acknowledged: the canary claims nothing (no DIALED at all).
  EXPECT_EQ(ask_dial("127.0.0.1", port, Transport::kTcp, back, elsewhere, 1s), std::nullopt);
  EXPECT_FALSE(operator_side->heard(elsewhere));
  operator_side->expect(real, "127.0.0.1");
  // A flood of other HELLOs straight at the operator's port does not push the real one out.
  const int flood = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(back);
  for (int i = 0; i < 2000; ++i) {
    const std::string hello = "BWC1 HELLO " + new_nonce() + "\n";
    sendto(flood, hello.data(), hello.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  close(flood);
  // Over TCP: a datagram could be crowded out of the flooded UDP socket, which reads as Unknown
  // (ask_dial timeout unheard), never as anything proven; the expectation itself must stay.
  EXPECT_EQ(ask_dial("127.0.0.1", port, Transport::kTcp, back, real, 2s), DialResult::kOk);
  EXPECT_TRUE(operator_side->heard(real));
}

// A connection made and closed without the PONG (a listener at its cap, say) proves nothing: it
// is never read as blocked.
TEST(CanaryProbe, AConnectionClosedUnansweredIsUnknownNotBlocked) {
  Listener::Options o;
  o.bind_address = "127.0.0.1";
  o.listen_ports = {0};
  o.max_connections = 0;  // every connection closed at once
  Listener full(o);
  std::string error;
  ASSERT_TRUE(full.start(error)) << error;
  EXPECT_EQ(ping("127.0.0.1", full.ports().at(0), Transport::kTcp, new_nonce(), 1s),
            Reach::kUnknown);
}

TEST(CanaryProbe, WhatADialFoundIsWhatTheOperatorHeard) {
  EXPECT_EQ(egress_reach(DialResult::kOk, true), Reach::kThrough);
  EXPECT_EQ(egress_reach(DialResult::kTimeout, true), Reach::kThrough);  // its ACK lost
  EXPECT_EQ(egress_reach(DialResult::kOk, false), Reach::kUnknown);      // a claim, unproven
  EXPECT_EQ(egress_reach(DialResult::kRefused, false), Reach::kBlocked);
  EXPECT_EQ(egress_reach(DialResult::kTimeout, false), Reach::kBlocked);
  EXPECT_EQ(egress_reach(std::nullopt, false), Reach::kUnknown);
}

}  // namespace
}  // namespace bulwark::canary

namespace bulwark::canary {
namespace {

using testing::FakeProbeTransport;

// Each way, the probe says Enforced only when the change is in effect: the allowed port through
// and the denied one blocked, over TCP; a denied port through on either transport is NotEnforced.
TEST(CanaryDirections, EnforcedOnlyWhenTheChangeIsInEffect) {
  const RoundPorts p = round_ports(1);
  for (bool drops : {false, true}) {
    FakeProbeTransport net;
    net.drops = drops;
    net.canaries["198.18.0.9"] = {{p.in_allowed}, {p.out_allowed}};
    EXPECT_EQ(probe_ingress(net, "198.18.0.9", p), Enforcement::kEnforced) << drops;
    EXPECT_EQ(probe_egress(net, "198.18.0.9", p), Enforcement::kEnforced) << drops;
  }
  // No enforcer: everything open.
  FakeProbeTransport open;
  open.canaries["198.18.0.9"] = {{p.in_allowed, p.in_denied}, {p.out_allowed, p.out_denied}};
  EXPECT_EQ(probe_ingress(open, "198.18.0.9", p), Enforcement::kNotEnforced);
  EXPECT_EQ(probe_egress(open, "198.18.0.9", p), Enforcement::kNotEnforced);
  // A dead enforcer's last rules: the port allowed before still open, the new one not. The DIAL
  // goes in through the old port, so the way out is judged too.
  FakeProbeTransport stale;
  stale.canaries["198.18.0.9"] = {{p.in_denied}, {p.out_denied}};
  EXPECT_EQ(probe_ingress(stale, "198.18.0.9", p), Enforcement::kNotEnforced);
  EXPECT_EQ(probe_egress(stale, "198.18.0.9", p), Enforcement::kNotEnforced);
}

TEST(CanaryDirections, ACanaryThatAnswersNothingProvesNothing) {
  const RoundPorts p = round_ports(0);
  FakeProbeTransport net;  // refused everywhere: as a canary down
  EXPECT_EQ(probe_ingress(net, "198.18.0.9", p), Enforcement::kUnknown);
  EXPECT_EQ(probe_egress(net, "198.18.0.9", p), Enforcement::kUnknown);
  // In, but every way out closed: the allowed port blocked is no enforcement proven.
  net.canaries["198.18.0.9"] = {{p.in_allowed}, {}};
  EXPECT_EQ(probe_egress(net, "198.18.0.9", p), Enforcement::kUnknown);
}

// The canary's word is not proof: an "ok" the operator never heard proves nothing.
class LyingCanary : public FakeProbeTransport {
 public:
  std::optional<DialResult> ask_dial(const std::string&, std::uint16_t, Transport, std::uint16_t,
                                     const std::string&) override {
    return DialResult::kOk;
  }
};

TEST(CanaryDirections, TheWayOutIsProvenByWhatTheOperatorHears) {
  const RoundPorts p = round_ports(0);
  LyingCanary net;
  net.canaries["198.18.0.9"] = {{p.in_allowed}, {}};
  EXPECT_EQ(probe_egress(net, "198.18.0.9", p), Enforcement::kUnknown);
}

}  // namespace
}  // namespace bulwark::canary
