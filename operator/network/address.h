#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bulwark::network {

// An IPv4 or IPv6 address as a number. The two families never compare equal or contain each
// other (an IPv4-mapped IPv6 address is IPv6 here, as NetworkPolicy's ipBlock treats it).
struct Address {
  __extension__ typedef unsigned __int128 Bits;
  bool v6 = false;
  Bits bits = 0;  // IPv4 in the low 32 bits

  // Dotted quad (leading zeros read as decimal, as Go's legacy parser and so the API server do) or
  // RFC 4291 text; nullopt for anything else.
  static std::optional<Address> parse(std::string_view text);
  std::string str() const;
  int width() const { return v6 ? 128 : 32; }
  friend bool operator==(const Address& a, const Address& b) {
    return a.v6 == b.v6 && a.bits == b.bits;
  }
  friend bool operator!=(const Address& a, const Address& b) { return !(a == b); }
};

// A CIDR block. Host bits after the prefix are cleared on parsing: the API server accepts
// "10.0.0.1/8" in an ipBlock and means 10.0.0.0/8. An IPv4-mapped block of /96 or longer is read
// as the IPv4 block it maps.
struct Cidr {
  Address base;
  int prefix = 0;

  static std::optional<Cidr> parse(std::string_view text);
  std::string str() const;
  bool contains(const Address& a) const;
  bool contains(const Cidr& c) const { return c.prefix >= prefix && contains(c.base); }
  Address last() const;  // the highest address in the block
};

// What the API server's strict validation (StrictIPCIDRValidation: alpha in Kubernetes 1.33, on
// by default in the 1.37 API server Bulwark is tested against; it checks new objects, and an object
// stored before keeps its value) refuses in a CIDR that Cidr::parse
// reads: leading zeros in an IPv4 part or the prefix length, an IPv4-mapped IPv6 address, or bits
// set beyond the prefix, in its words; "" when none (validation/ip.go, IsValidCIDRForLegacyField).
std::string strict_cidr_problem(std::string_view text);

}  // namespace bulwark::network
