#pragma once

#include <cstdint>
#include <iosfwd>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "operator/canary/targets.h"

namespace bulwark::cli {

// `bulwark canary`'s flags: the enforcement canary's listener (docs/architecture.md, The
// enforcement canary), run by the chart's DaemonSet bulwark-canary.
struct CanaryFlags {
  std::string bind_address = "0.0.0.0";
  std::vector<std::uint16_t> listen_ports{std::begin(canary::kCanaryPorts),
                                          std::end(canary::kCanaryPorts)};
  std::vector<std::uint16_t> dial_ports{std::begin(canary::kOperatorPorts),
                                        std::end(canary::kOperatorPorts)};
};

std::optional<CanaryFlags> parse_canary_args(const std::vector<std::string>& args,
                                             std::ostream& err);

// Answers the probes until SIGTERM or SIGINT: 0 then, 1 when a port cannot be bound.
int run_canary(const CanaryFlags& flags, std::ostream& err);

extern const char* const kCanaryUsage;

}  // namespace bulwark::cli
