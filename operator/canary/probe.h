#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "operator/canary/protocol.h"
#include "operator/canary/targets.h"
#include "operator/canary/verdict.h"

namespace bulwark::canary {

// The operator's side of one probe, blocking for at most `timeout`. `ip` is an IPv4 address
// ("198.18.0.7"); an address that does not parse gets no answer.

// PING at ip:port over TCP or UDP: Through when its PONG came back; Blocked when the connection
// was refused (an ICMP unreachable, as kube-router answers what a policy blocks) or, over TCP,
// not answered at all in time; Unknown when nothing can be told (a TCP connection made but not
// answered with the PONG, a UDP datagram not answered).
Reach ping(const std::string& ip, std::uint16_t port, Transport transport, const std::string& nonce,
           std::chrono::milliseconds timeout);

// Asks the canary at ip:port (over TCP) to reach back at `dial_port` over `transport`: its
// answer, or nullopt when none came (the canary unreachable or down). What the canary says is its
// claim; the operator's own Listener::heard(nonce) is the proof.
std::optional<DialResult> ask_dial(const std::string& ip, std::uint16_t port, Transport transport,
                                   std::uint16_t dial_port, const std::string& nonce,
                                   std::chrono::milliseconds timeout);

// What a DIAL found of the canary's way out: Through when the operator heard its HELLO
// (Listener::heard), Blocked when the canary says refused or timeout and nothing was heard,
// Unknown otherwise (no answer, or an "ok" the operator never heard).
Reach egress_reach(std::optional<DialResult> claimed, bool heard);

// What a probe sends and hears, behind one interface: SocketProbes (the functions above and the
// operator's Listener), or a fake in tests.
class ProbeTransport {
 public:
  virtual ~ProbeTransport() = default;
  virtual Reach ping(const std::string& ip, std::uint16_t port, Transport transport,
                     const std::string& nonce) = 0;
  virtual std::optional<DialResult> ask_dial(const std::string& ip, std::uint16_t port,
                                             Transport transport, std::uint16_t dial_port,
                                             const std::string& nonce) = 0;
  // Listener::expect and Listener::heard of the operator's own listener.
  virtual void expect(const std::string& nonce, const std::string& from) = 0;
  virtual bool heard(const std::string& nonce) = 0;
  virtual std::string nonce() { return new_nonce(); }
};

class Listener;

// The real probes: the functions above, with these timeouts, and the operator's own listener (on
// kOperatorPorts) as the proof of a DIAL.
class SocketProbes : public ProbeTransport {
 public:
  SocketProbes(Listener& own, std::chrono::milliseconds ping_timeout,
               std::chrono::milliseconds dial_timeout)
      : own_(own), ping_timeout_(ping_timeout), dial_timeout_(dial_timeout) {}
  Reach ping(const std::string& ip, std::uint16_t port, Transport transport,
             const std::string& nonce) override;
  std::optional<DialResult> ask_dial(const std::string& ip, std::uint16_t port, Transport transport,
                                     std::uint16_t dial_port, const std::string& nonce) override;
  void expect(const std::string& nonce, const std::string& from) override;
  bool heard(const std::string& nonce) override;

 private:
  Listener& own_;
  std::chrono::milliseconds ping_timeout_, dial_timeout_;
};

// One probe of the way into the canary at `ip` after its policy changed to `ports`: over TCP,
// classify() of its allowed and denied port; over UDP only the denied port answering counts
// (NotEnforced), since a silent datagram proves nothing either way.
Enforcement probe_ingress(ProbeTransport& probes, const std::string& ip, const RoundPorts& ports);
// The same of the way out of the canary to the operator: the canary asked (through whichever of
// its ports answers) to reach the operator's allowed and denied port; what the operator heard is
// the proof.
Enforcement probe_egress(ProbeTransport& probes, const std::string& ip, const RoundPorts& ports);

}  // namespace bulwark::canary
