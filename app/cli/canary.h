#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace bulwark::cli {

// `bulwark canary`'s flags: the enforcement canary's listener (docs/architecture.md, The
// enforcement canary; not deployed by anything yet).
struct CanaryFlags {
  std::string bind_address = "0.0.0.0";
  std::vector<std::uint16_t> listen_ports = {8470, 8471};
  std::vector<std::uint16_t> dial_ports = {8472, 8473};
};

std::optional<CanaryFlags> parse_canary_args(const std::vector<std::string>& args,
                                             std::ostream& err);

// Answers the probes until SIGTERM or SIGINT: 0 then, 1 when a port cannot be bound.
int run_canary(const CanaryFlags& flags, std::ostream& err);

extern const char* const kCanaryUsage;

}  // namespace bulwark::cli
