#pragma once

// Internal to operator/canary: the socket steps the listener and the prober share. IPv4; an
// address is in network byte order.

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "operator/canary/protocol.h"

namespace bulwark::canary::sockets {

using Clock = std::chrono::steady_clock;

sockaddr_in address_of(std::uint32_t ip, std::uint16_t port);
// Milliseconds left until `deadline`, 0 when past: a poll() timeout.
int remaining_ms(Clock::time_point deadline);
// Whether `fd` is ready for `events` by the deadline (a signal does not cut the wait short).
bool ready(int fd, short events, Clock::time_point deadline);
// One line from a connection, whole within the deadline and no longer than kMaxLine; nullopt
// otherwise (a line followed by more is refused too: a message is one line).
std::optional<std::string> read_line(int fd, Clock::time_point deadline);
void send_all(int fd, const std::string& text);
// What a failed connect or send says of the path: refused (an ICMP unreachable, as an enforcer
// answers a blocked port) or, for anything else, timeout.
DialResult result_of_error(int error);
// A TCP connection to ip:port within the timeout, its HELLO <nonce> acknowledged; nullopt when
// nothing can be claimed: no socket, or a connection made but not acknowledged (a crowded
// listener, which proves nothing of the path).
std::optional<DialResult> dial_tcp(std::uint32_t ip, std::uint16_t port, const std::string& nonce,
                                   std::chrono::milliseconds timeout);
// A HELLO <nonce> datagram to ip:port, answered by its ACK within the timeout; nullopt without a
// socket.
std::optional<DialResult> dial_udp(std::uint32_t ip, std::uint16_t port, const std::string& nonce,
                                   std::chrono::milliseconds timeout);

}  // namespace bulwark::canary::sockets
