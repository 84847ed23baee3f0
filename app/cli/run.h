#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "config/operator_config.h"

namespace bulwark::cli {

// `bulwark run`'s flags (docs/api.md, Command line). Set flags override the config file.
struct RunFlags {
  std::string config_file;
  std::string kubeconfig;
  std::optional<std::string> metrics_bind_address;
  std::optional<bool> metrics_secure;
  std::optional<std::string> metrics_cert_dir;
  std::optional<std::string> webhook_bind_address;
  std::optional<std::string> webhook_cert_dir;
  std::optional<std::string> health_probe_bind_address;
  std::optional<bool> leader_elect;  // unset: the config file decides
  std::optional<std::string> leader_election_namespace;
};

std::optional<RunFlags> parse_run_args(const std::vector<std::string>& args, std::ostream& err);

// Flags over the config file over the defaults; nullopt (messages written) when anything is off.
std::optional<config::OperatorConfig> load_config(const RunFlags& flags, std::ostream& err);

// Runs the operator until SIGTERM or SIGINT; returns the exit status (2 for bad configuration).
int run_operator(const RunFlags& flags, std::ostream& err);

extern const char* const kRunUsage;

}  // namespace bulwark::cli
