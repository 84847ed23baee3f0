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
  }
  return "none";
}

SourceLimits::SourceLimits(SourceLimitOptions options) : options_(std::move(options)) {
  for (const auto& text : options_.trusted) trusted_.emplace_back(text);
  if (options_.reserved_connections < 0 ||
      options_.reserved_connections > options_.max_connections) {
    throw std::invalid_argument("the reserved connections exceed the server's maximum");
  }
}

bool SourceLimits::trusted(std::string_view source) const {
  return std::any_of(trusted_.begin(), trusted_.end(),
                     [&](const AddressRange& r) { return r.contains(source); });
}

// Trusted sources take any free slot; the others together leave the reserve free, and each
// keeps to its own cap.
Refusal SourceLimits::open(const std::string& source) {
  const bool is_trusted = trusted(source);
  std::lock_guard lock(mu_);
  const int total = untrusted_open_ + trusted_open_;
  if (total >= options_.max_connections) return Refusal::kServerFull;
  if (is_trusted) {
    ++trusted_open_;
  } else {
    const int reserve_left = std::max(0, options_.reserved_connections - trusted_open_);
    if (total + reserve_left >= options_.max_connections) return Refusal::kServerFull;
    const auto it = by_source_.find(source);
    const int mine = it == by_source_.end() ? 0 : it->second;
    if (options_.max_connections_per_source > 0 && mine >= options_.max_connections_per_source) {
      return Refusal::kSourceFull;
    }
    ++untrusted_open_;
  }
  ++by_source_[source];
  return Refusal::kNone;
}

void SourceLimits::close(const std::string& source) {
  const bool is_trusted = trusted(source);
  std::lock_guard lock(mu_);
  auto it = by_source_.find(source);
  if (it == by_source_.end()) return;
  if (--it->second == 0) by_source_.erase(it);
  --(is_trusted ? trusted_open_ : untrusted_open_);
}

int SourceLimits::open_from(const std::string& source) const {
  std::lock_guard lock(mu_);
  const auto it = by_source_.find(source);
  return it == by_source_.end() ? 0 : it->second;
}

}  // namespace bulwark::server
