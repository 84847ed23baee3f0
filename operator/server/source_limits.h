#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::server {

// An address range, "198.18.0.0/15", "fd00::/8", or one address (its whole length).
class AddressRange {
 public:
  // Throws std::invalid_argument naming the text when it is not one.
  explicit AddressRange(std::string_view text);
  bool contains(std::string_view address) const;  // false for text that is not an address

 private:
  std::array<std::uint8_t, 16> bytes_{};
  int family_bytes_ = 4;  // 4 or 16
  int prefix_bits_ = 0;
};

// How many connections each client of a server may hold. A client is a source address: any pod
// can open connections, but its address is its node's to give, so caps per address bound what
// one pod (or one node's 110 pods, each its own address) can take. Sources in `trusted` (the API
// server's addresses, for the webhook) have no cap of their own and a reserve of the total that
// no other source can take.
struct SourceLimitOptions {
  int max_connections = 64;            // all sources together, the reserve included
  int max_connections_per_source = 0;  // 0: no cap per source
  std::vector<std::string> trusted;    // AddressRange texts
  int reserved_connections = 0;        // of max_connections, for trusted sources only
};

// Why a connection was refused; the metrics' `reason` label (metrics/).
enum class Refusal { kNone, kServerFull, kSourceFull };
std::string_view to_string(Refusal r);  // "none", "server_full", "source_full"

// The count of open connections by source. Thread-safe.
class SourceLimits {
 public:
  // Throws std::invalid_argument for a bad trusted range or a reserve above the total.
  explicit SourceLimits(SourceLimitOptions options);

  // Counts a new connection from `source` (an address's text), or says why it may not open.
  Refusal open(const std::string& source);
  void close(const std::string& source);  // one open() that returned kNone
  bool trusted(std::string_view source) const;
  int open_from(const std::string& source) const;

 private:
  SourceLimitOptions options_;
  std::vector<AddressRange> trusted_;
  mutable std::mutex mu_;
  std::map<std::string, int, std::less<>> by_source_;  // guarded by mu_
  int untrusted_open_ = 0;                             // guarded by mu_
  int trusted_open_ = 0;                               // guarded by mu_
};

}  // namespace bulwark::server
