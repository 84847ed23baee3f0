#include "operator/network/address.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <vector>

namespace bulwark::network {

namespace {

using Bits = Address::Bits;

Bits mask_of(int prefix, int width) {
  if (prefix <= 0) return 0;
  const Bits all = width == 128 ? ~Bits{0} : (Bits{1} << 32) - 1;
  return all & ~((Bits{1} << (width - prefix)) - 1) & all;
}

std::optional<Bits> parse_v4(std::string_view text) {
  Bits out = 0;
  int parts = 0;
  bool ended = false;  // the last part read ran to the end of the text
  while (parts < 4 && !ended) {
    const auto dot = text.find('.');
    const auto part = text.substr(0, dot);
    unsigned value = 0;
    // Any number of digits, leading zeros read as decimal: Go's legacy parser, which the API
    // server validates with (netutils.ParseIPSloppy).
    if (part.empty() || part.size() > 64) return std::nullopt;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (ec != std::errc() || ptr != part.data() + part.size() || value > 255) return std::nullopt;
    out = (out << 8) | value;
    ++parts;
    ended = dot == std::string_view::npos;
    if (!ended) text.remove_prefix(dot + 1);
  }
  if (parts != 4 || !ended) return std::nullopt;
  return out;
}

// Groups of hexadecimal digits; "::" once; an IPv4 tail in the last 32 bits.
std::optional<Bits> parse_v6(std::string_view text) {
  std::vector<std::uint32_t> head, tail;
  bool compressed = false;
  if (text.substr(0, 2) == "::") {
    compressed = true;
    text.remove_prefix(2);
  }
  while (!text.empty()) {
    auto& groups = compressed ? tail : head;
    const auto colon = text.find(':');
    const auto part = text.substr(0, colon);
    if (part.find('.') != std::string_view::npos && colon == std::string_view::npos) {
      auto v4 = parse_v4(part);
      if (!v4) return std::nullopt;
      groups.push_back(static_cast<std::uint32_t>(*v4 >> 16));
      groups.push_back(static_cast<std::uint32_t>(*v4 & 0xffff));
      text = {};
      break;
    }
    unsigned value = 0;
    if (part.empty() || part.size() > 64) return std::nullopt;  // leading zeros, as Go reads them
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value, 16);
    if (ec != std::errc() || ptr != part.data() + part.size() || value > 0xffff) {
      return std::nullopt;
    }
    groups.push_back(value);
    if (colon == std::string_view::npos) break;
    text.remove_prefix(colon + 1);
    if (text.empty()) return std::nullopt;  // a trailing single ':'
    if (text.front() == ':') {
      if (compressed) return std::nullopt;
      compressed = true;
      text.remove_prefix(1);
    }
  }
  const std::size_t count = head.size() + tail.size();
  if (compressed ? count > 7 : count != 8) return std::nullopt;
  Bits out = 0;
  for (auto g : head) out = (out << 16) | g;
  for (std::size_t i = count; i < 8; ++i) out <<= 16;
  for (auto g : tail) out = (out << 16) | g;
  return out;
}

}  // namespace

std::optional<Address> Address::parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) {
    auto bits = parse_v6(text);
    if (!bits) return std::nullopt;
    return Address{true, *bits};
  }
  auto bits = parse_v4(text);
  if (!bits) return std::nullopt;
  return Address{false, *bits};
}

std::string Address::str() const {
  std::string out;
  if (!v6) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      out += std::to_string(static_cast<unsigned>((bits >> shift) & 0xff));
      if (shift > 0) out += '.';
    }
    return out;
  }
  // Full form without compression: unambiguous, and only messages read it.
  static const char* const kHex = "0123456789abcdef";
  for (int group = 7; group >= 0; --group) {
    const auto value = static_cast<unsigned>((bits >> (group * 16)) & 0xffff);
    std::string g;
    for (int shift = 12; shift >= 0; shift -= 4) g += kHex[(value >> shift) & 0xf];
    g.erase(0, std::min(g.find_first_not_of('0'), g.size() - 1));
    out += g;
    if (group > 0) out += ':';
  }
  return out;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto address = Address::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  const auto digits = text.substr(slash + 1);
  int prefix = -1;
  const bool all_digits =
      std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
  if (digits.empty() || digits.size() > 64 || !all_digits || ec != std::errc() ||
      ptr != digits.data() + digits.size() || prefix > address->width()) {
    return std::nullopt;
  }
  // An IPv4-mapped block of /96 or longer is the IPv4 block it maps, as Go's net.IPNet (and so the
  // plugins) read it: ::ffff:0.0.0.0/96 is 0.0.0.0/0.
  constexpr Bits kMapped = Bits{0xffff} << 32;
  if (address->v6 && prefix >= 96 && (address->bits >> 32) == (kMapped >> 32)) {
    address->v6 = false;
    address->bits &= (Bits{1} << 32) - 1;
    prefix -= 96;
  }
  address->bits &= mask_of(prefix, address->width());
  return Cidr{*address, prefix};
}

std::string Cidr::str() const { return base.str() + "/" + std::to_string(prefix); }

bool Cidr::contains(const Address& a) const {
  return a.v6 == base.v6 && (a.bits & mask_of(prefix, base.width())) == base.bits;
}

Address Cidr::last() const {
  const Bits all = base.v6 ? ~Bits{0} : (Bits{1} << 32) - 1;
  return Address{base.v6, base.bits | (all & ~mask_of(prefix, base.width()))};
}

namespace {

bool leading_zero(std::string_view digits) { return digits.size() > 1 && digits[0] == '0'; }

// Whether a dotted quad (or an IPv6 address's IPv4 tail) writes a part with a leading zero.
bool octet_with_leading_zero(std::string_view address) {
  const auto colon = address.rfind(':');
  std::string_view quad = colon == std::string_view::npos ? address : address.substr(colon + 1);
  if (quad.find('.') == std::string_view::npos) return false;
  while (true) {
    const auto dot = quad.find('.');
    if (leading_zero(quad.substr(0, dot))) return true;
    if (dot == std::string_view::npos) return false;
    quad = quad.substr(dot + 1);
  }
}

}  // namespace

std::string strict_cidr_problem(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return "";
  const auto address_text = text.substr(0, slash);
  if (leading_zero(text.substr(slash + 1)) || octet_with_leading_zero(address_text)) {
    return "must not have leading 0s in IP or prefix length";
  }
  const auto address = Address::parse(address_text);
  const auto cidr = Cidr::parse(text);
  if (!address || !cidr) return "";
  constexpr Address::Bits kMapped = Address::Bits{0xffff} << 32;
  if (address->v6 && (address->bits >> 32) == (kMapped >> 32)) {
    return "must not have an IPv4-mapped IPv6 address";
  }
  if (address->bits != cidr->base.bits) return "must not have bits set beyond the prefix length";
  return "";
}

}  // namespace bulwark::network
