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

// What each client of a server may hold at once: connections, and bytes of request bodies being
// received or handled. A client is a source address: any pod can connect, but its address is its
// node's to give, so caps per address bound what one pod (or one node's 110 pods, each its own
// address) can take. Sources in `trusted` (the API server's addresses, for the webhook) have no
// cap of their own and a reserve of each total that no other source can take.
struct SourceLimitOptions {
  int max_connections = 64;            // all sources together, the reserve included
  int max_connections_per_source = 0;  // 0: no cap per source
  std::vector<std::string> trusted;    // AddressRange texts
  int reserved_connections = 0;        // of max_connections, for trusted sources only
  std::size_t max_body_bytes = 0;      // in flight, all sources together; 0: no cap
  std::size_t max_body_bytes_per_source = 0;
  std::size_t reserved_body_bytes = 0;  // of max_body_bytes, for trusted sources only
};

// Why a connection or request was refused; the metrics' `reason` label (metrics/).
enum class Refusal { kNone, kServerFull, kSourceFull, kMemory };
std::string_view to_string(Refusal r);  // "none", "server_full", "source_full", "memory"

// Counts by source of open connections and body bytes in flight. Thread-safe.
class SourceLimits {
 public:
  // Throws std::invalid_argument for a bad trusted range or a reserve above its total.
  explicit SourceLimits(SourceLimitOptions options);

  // Counts a new connection from `source` (an address's text), or says why it may not open.
  Refusal open(const std::string& source);
  void close(const std::string& source);  // one open() that returned kNone
  // Counts `bytes` of a request body from `source`, or kMemory when they do not fit.
  Refusal reserve(const std::string& source, std::size_t bytes);
  void release(const std::string& source, std::size_t bytes);  // one reserve() that fit
  bool trusted(std::string_view source) const;
  int open_from(const std::string& source) const;

 private:
  // One quantity shared out: a total, a cap per untrusted source, a reserve for trusted ones.
  struct Share {
    std::size_t total = 0;  // 0: no cap at all
    std::size_t per_source = 0;
    std::size_t reserved = 0;
    std::map<std::string, std::size_t, std::less<>> by_source;
    std::size_t untrusted = 0, trusted = 0;
    Refusal take(const std::string& source, bool is_trusted, std::size_t n);
    void give_back(const std::string& source, bool is_trusted, std::size_t n);
  };

  std::vector<AddressRange> trusted_;
  mutable std::mutex mu_;
  Share connections_;  // guarded by mu_
  Share bytes_;        // guarded by mu_
};

}  // namespace bulwark::server
