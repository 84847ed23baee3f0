#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "app/cli/scan_output.h"
#include "app/cli/scan_verify.h"
#include "operator/policy/security_policy.h"

namespace bulwark::cli {

// `bulwark scan`'s exit statuses (docs/api.md, Command line).
inline constexpr int kExitClean = 0;
inline constexpr int kExitViolations = 1;
inline constexpr int kExitBadInput = 2;

struct ScanOptions {
  std::vector<std::string> paths;  // files, folders, or "-" for standard input
  std::string policy_file;         // empty: Pod Security level only
  std::optional<crds::PssLevel> level;
  std::optional<crds::PssVersion> pss_version;
  OutputFormat format = OutputFormat::kTable;
  // --now: the instant exemptions' expiry is judged at (a CI replaying a decision); else the clock.
  std::optional<std::chrono::system_clock::time_point> now;
  bool color = false;
  // --anonymous-requests: the cluster takes requests without credentials (Kubernetes' default).
  bool anonymous_requests = true;
  // --verify: images.verify is judged against the registries (off: scans stay offline, and the
  // control imageSignature is not evaluated).
  bool verify = false;
  ScanRegistryOptions registries;
  // --fix-out DIR: the fixed copy of every file read goes under DIR (scan_fix.h).
  std::string fix_out;
  // -j N: threads that read and judge documents; 0 is the cores the process may use. Any number
  // gives the same output as one.
  unsigned jobs = 0;
};

// Parses the words after "scan". On a usage error writes it to `err` and returns nullopt.
std::optional<ScanOptions> parse_scan_args(const std::vector<std::string>& args, std::ostream& err);

// Runs a scan and returns its exit status. Reads files itself, standard input from `in`; writes
// the report to `out` and errors and warnings to `err`. `now` decides which exemptions have
// expired.
int run_scan(const ScanOptions& options, std::istream& in, std::ostream& out, std::ostream& err,
             std::chrono::system_clock::time_point now);

extern const char* const kScanUsage;

}  // namespace bulwark::cli
