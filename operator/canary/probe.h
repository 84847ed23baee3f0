#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "operator/canary/protocol.h"

namespace bulwark::canary {

// The operator's side of one probe, blocking for at most `timeout`. `ip` is an IPv4 address
// ("198.18.0.7"); an address that does not parse gets no answer.

// PING at ip:port over TCP or UDP: true when its PONG came back.
bool ping(const std::string& ip, std::uint16_t port, Transport transport, const std::string& nonce,
          std::chrono::milliseconds timeout);

// Asks the canary at ip:port (over TCP) to reach back at `dial_port` over `transport`: its
// answer, or nullopt when none came (the canary unreachable or down). What the canary says is its
// claim; the operator's own Listener::heard(nonce) is the proof.
std::optional<DialResult> ask_dial(const std::string& ip, std::uint16_t port, Transport transport,
                                   std::uint16_t dial_port, const std::string& nonce,
                                   std::chrono::milliseconds timeout);

}  // namespace bulwark::canary
