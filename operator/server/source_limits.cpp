#include "operator/server/source_limits.h"

#include <arpa/inet.h>

#include <algorithm>

namespace bulwark::server {

namespace {

// The address's bytes and their count (4 or 16), or 0 when the text is not an address.
int parse_address(std::string_view text, std::array<std::uint8_t, 16>& out) {
  const std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) return 4;
  if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) {
    // An IPv4 address seen on an IPv6 socket (::ffff:a.b.c.d) is that IPv4 address.
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMapped, kMapped + 12, out.begin())) {
      std::copy(out.begin() + 12, out.end(), out.begin());
      return 4;
    }
    return 16;
  }
  return 0;
}

}  // namespace

AddressRange::AddressRange(std::string_view text) {
  const auto slash = text.find('/');
  family_bytes_ = parse_address(text.substr(0, slash), bytes_);
  if (family_bytes_ == 0) {
    throw std::invalid_argument("\"" + std::string(text) + "\" is not an address or CIDR range");
  }
  prefix_bits_ = family_bytes_ * 8;
  if (slash == std::string_view::npos) return;
  const std::string_view bits = text.substr(slash + 1);
  int n = 0;
  for (char c : bits) {
    if (c < '0' || c > '9' || bits.size() > 3) n = -1;
    if (n >= 0) n = n * 10 + (c - '0');
  }
  if (bits.empty() || n < 0 || n > prefix_bits_) {
    throw std::invalid_argument("\"" + std::string(text) + "\" has a bad prefix length");
  }
  prefix_bits_ = n;
}

bool AddressRange::contains(std::string_view address) const {
  std::array<std::uint8_t, 16> bytes{};
  if (parse_address(address, bytes) != family_bytes_) return false;
  const int whole = prefix_bits_ / 8, rest = prefix_bits_ % 8;
  if (!std::equal(bytes.begin(), bytes.begin() + whole, bytes_.begin())) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (bytes[whole] & mask) == (bytes_[whole] & mask);
}

std::string_view to_string(Refusal r) {
  switch (r) {
    case Refusal::kNone:
      return "none";
    case Refusal::kServerFull:
      return "server_full";
    case Refusal::kSourceFull:
      return "source_full";
    case Refusal::kMemory:
      return "memory";
  }
  return "none";
}

SourceLimits::SourceLimits(SourceLimitOptions o) {
  for (const auto& text : o.trusted) trusted_.emplace_back(text);
  if (o.reserved_connections < 0 || o.reserved_connections > o.max_connections ||
      o.max_connections_per_source < 0 || o.reserved_body_bytes > o.max_body_bytes) {
    throw std::invalid_argument("a reserve exceeds its total, or a cap is negative");
  }
  connections_.total = static_cast<std::size_t>(o.max_connections);
  connections_.per_source = static_cast<std::size_t>(o.max_connections_per_source);
  connections_.reserved = static_cast<std::size_t>(o.reserved_connections);
  bytes_.total = o.max_body_bytes;
  bytes_.per_source = o.max_body_bytes_per_source;
  bytes_.reserved = o.reserved_body_bytes;
}

bool SourceLimits::trusted(std::string_view source) const {
  return std::any_of(trusted_.begin(), trusted_.end(),
                     [&](const AddressRange& r) { return r.contains(source); });
}

// Trusted sources take anything free; the others together leave the reserve free, and each keeps
// to its own cap. A total of 0 counts without refusing.
Refusal SourceLimits::Share::take(const std::string& source, bool is_trusted, std::size_t n) {
  const std::size_t held = untrusted + trusted;
  if (total > 0 && held + n > total) return Refusal::kServerFull;
  if (is_trusted) {
    trusted += n;
  } else {
    const std::size_t reserve_left = reserved > trusted ? reserved - trusted : 0;
    if (total > 0 && held + n + reserve_left > total) return Refusal::kServerFull;
    const auto it = by_source.find(source);
    const std::size_t mine = it == by_source.end() ? 0 : it->second;
    if (per_source > 0 && mine + n > per_source) return Refusal::kSourceFull;
    untrusted += n;
  }
  by_source[source] += n;
  return Refusal::kNone;
}

void SourceLimits::Share::give_back(const std::string& source, bool is_trusted, std::size_t n) {
  auto it = by_source.find(source);
  if (it == by_source.end()) return;
  it->second -= std::min(n, it->second);
  if (it->second == 0) by_source.erase(it);
  auto& held = is_trusted ? trusted : untrusted;
  held -= std::min(n, held);
}

Refusal SourceLimits::open(const std::string& source) {
  const bool is_trusted = trusted(source);
  std::lock_guard lock(mu_);
  return connections_.take(source, is_trusted, 1);
}

void SourceLimits::close(const std::string& source) {
  const bool is_trusted = trusted(source);
  std::lock_guard lock(mu_);
  connections_.give_back(source, is_trusted, 1);
}

Refusal SourceLimits::reserve(const std::string& source, std::size_t bytes) {
  const bool is_trusted = trusted(source);
  std::lock_guard lock(mu_);
  const Refusal r = bytes_.take(source, is_trusted, bytes);
  return r == Refusal::kNone ? r : Refusal::kMemory;
}

void SourceLimits::release(const std::string& source, std::size_t bytes) {
  const bool is_trusted = trusted(source);
  std::lock_guard lock(mu_);
  bytes_.give_back(source, is_trusted, bytes);
}

int SourceLimits::open_from(const std::string& source) const {
  std::lock_guard lock(mu_);
  const auto it = connections_.by_source.find(source);
  return it == connections_.by_source.end() ? 0 : static_cast<int>(it->second);
}

}  // namespace bulwark::server
