#include "operator/canary/protocol.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <vector>

namespace bulwark::canary {

namespace {

constexpr std::string_view kVersion = "BWC1";

struct Word {
  MessageType type;
  std::string_view text;
  std::size_t fields;  // with the version and the word
};
constexpr std::array<Word, 6> kWords = {{{MessageType::kPing, "PING", 3},
                                         {MessageType::kPong, "PONG", 3},
                                         {MessageType::kDial, "DIAL", 5},
                                         {MessageType::kDialed, "DIALED", 4},
                                         {MessageType::kHello, "HELLO", 3},
                                         {MessageType::kAck, "ACK", 3}}};

bool valid_nonce(std::string_view n) {
  if (n.empty() || n.size() > 32) return false;
  for (char c : n) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The fields of a line split at single spaces; an empty field (two spaces, a leading or trailing
// one) makes the line invalid.
std::optional<std::vector<std::string_view>> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  while (true) {
    const auto space = line.find(' ');
    const auto field = line.substr(0, space);
    if (field.empty() || fields.size() == 6) return std::nullopt;
    fields.push_back(field);
    if (space == std::string_view::npos) return fields;
    line.remove_prefix(space + 1);
  }
}

std::optional<std::uint16_t> port_of(std::string_view text) {
  unsigned value = 0;
  if (text.size() > 5 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::optional<DialResult> result_of(std::string_view text) {
  if (text == "ok") return DialResult::kOk;
  if (text == "refused") return DialResult::kRefused;
  if (text == "timeout") return DialResult::kTimeout;
  return std::nullopt;
}

std::string_view text_of(DialResult r) {
  switch (r) {
    case DialResult::kOk:
      return "ok";
    case DialResult::kRefused:
      return "refused";
    case DialResult::kTimeout:
      return "timeout";
  }
  return "timeout";
}

}  // namespace

std::optional<Message> parse_message(std::string_view line) {
  if (line.size() > kMaxLine) return std::nullopt;
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  for (char c : line) {
    if (c < 0x20 || c > 0x7e) return std::nullopt;
  }
  const auto fields = fields_of(line);
  if (!fields || (*fields)[0] != kVersion || fields->size() < 3) return std::nullopt;
  const std::vector<std::string_view>& f = *fields;
  for (const auto& w : kWords) {
    if (f[1] != w.text) continue;
    if (f.size() != w.fields) return std::nullopt;
    Message m;
    m.type = w.type;
    if (w.type == MessageType::kDial) {
      if (f[2] != "tcp" && f[2] != "udp") return std::nullopt;
      m.transport = f[2] == "tcp" ? Transport::kTcp : Transport::kUdp;
      const auto port = port_of(f[3]);
      if (!port) return std::nullopt;
      m.port = *port;
      m.nonce = std::string(f[4]);
    } else if (w.type == MessageType::kDialed) {
      const auto result = result_of(f[3]);
      if (!result) return std::nullopt;
      m.result = *result;
      m.nonce = std::string(f[2]);
    } else {
      m.nonce = std::string(f[2]);
    }
    if (!valid_nonce(m.nonce)) return std::nullopt;
    return m;
  }
  return std::nullopt;
}

std::string to_line(const Message& m) {
  if (!valid_nonce(m.nonce) || (m.type == MessageType::kDial && m.port == 0)) return "";
  std::string line(kVersion);
  for (const auto& w : kWords) {
    if (w.type == m.type) line += " " + std::string(w.text);
  }
  switch (m.type) {
    case MessageType::kDial:
      line += m.transport == Transport::kTcp ? " tcp " : " udp ";
      line += std::to_string(m.port) + " " + m.nonce;
      break;
    case MessageType::kDialed:
      line += " " + m.nonce + " " + std::string(text_of(m.result));
      break;
    default:
      line += " " + m.nonce;
  }
  return line + "\n";
}

std::string new_nonce() {
  unsigned char bytes[16];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno != EINTR) std::abort();  // no randomness: never a guessable nonce
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string nonce;
  for (unsigned char b : bytes) {
    nonce += kHex[b >> 4];
    nonce += kHex[b & 15];
  }
  return nonce;
}

}  // namespace bulwark::canary
