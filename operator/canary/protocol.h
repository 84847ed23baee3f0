#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark::canary {

// The enforcement canary's wire format (docs/architecture.md, The enforcement canary): one line of
// printable ASCII per message, at most kMaxLine bytes with its newline, fields separated by one
// space, the first field the version "BWC1". Over TCP one request and one answer per connection;
// over UDP one datagram each. The operator asks, the canary answers:
//   BWC1 PING <nonce>                  ->  BWC1 PONG <nonce>
//   BWC1 DIAL <tcp|udp> <port> <nonce> ->  BWC1 DIALED <nonce> <ok|refused|timeout>
// DIAL asks the canary to reach back the address that asked (never another) at <port>, one of the
// ports it was started with, and say whether it got through: "BWC1 HELLO <nonce>" answered with
// "BWC1 ACK <nonce>", over a TCP connection or as datagrams. A nonce is 1 to 32 letters,
// digits or '-'.
inline constexpr std::size_t kMaxLine = 96;

enum class MessageType { kPing, kPong, kDial, kDialed, kHello, kAck };
enum class Transport { kTcp, kUdp };
enum class DialResult { kOk, kRefused, kTimeout };

struct Message {
  MessageType type = MessageType::kPing;
  std::string nonce;
  Transport transport = Transport::kTcp;  // kDial
  std::uint16_t port = 0;                 // kDial: 1 to 65535
  DialResult result = DialResult::kOk;    // kDialed
};

// The message of one line (its newline, if any, stripped first); nullopt for anything else:
// another version, an unknown word, a field too many or too few, a bad nonce or port, bytes
// outside printable ASCII, or a line longer than kMaxLine.
std::optional<Message> parse_message(std::string_view line);
// The line of a message, newline included; a message parse_message would refuse (a bad nonce, a
// DIAL to port 0) gives "" (never sent).
std::string to_line(const Message& message);

// A fresh nonce for one probe: 128 bits from the kernel's random source as 32 hex digits, so no
// pod can guess the HELLO the operator expects.
std::string new_nonce();

}  // namespace bulwark::canary
