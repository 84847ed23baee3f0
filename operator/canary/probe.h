#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "operator/canary/protocol.h"
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

}  // namespace bulwark::canary
