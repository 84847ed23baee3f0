// bulwark scan's command line: its flags, and what they may not be given together.
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "app/cli/scan.h"
#include "app/cli/scan_fix.h"
#include "operator/base/time_text.h"

namespace bulwark::cli {

const char* const kScanUsage =
    "usage: bulwark scan [-f PATH]... [--policy FILE] [--level baseline|restricted]\n"
    "                    [--pss-version latest|v1.N]\n"
    "                    [-o table|json|sarif|openreports|reach|patch] [--fix-out DIR]\n"
    "                    [--now RFC3339] [--anonymous-requests allowed|denied]\n"
    "                    [--verify [--insecure-registry HOST]... [--registry-ca FILE]] [-j N]\n"
    "                    [PATH]...\n"
    "PATH is a file, a folder (read recursively for .yaml, .yml, .json) or - for standard input.\n"
    "-j N reads and judges on N threads (default: the cores this process may use, within its\n"
    "  cgroup's CPU limit); the output is the same for any N.\n"
    "--now judges exemptions' expiry at that instant (default: the clock).\n"
    "-o reach prints, instead of verdicts, what the files' NetworkPolicies let through between\n"
    "  their pods: one JSON line per ordered pair and declared port.\n"
    "-o patch prints, for each document with findings that have a safe fix, one JSON line with\n"
    "  its RFC 6902 JSON Patch; --fix-out DIR writes each file read, fixed, under DIR at its\n"
    "  relative path (YAML re-emitted: comments are lost). Exit status judges the originals.\n"
    "--anonymous-requests: whether the target cluster takes requests without credentials (the\n"
    "  default, allowed: every workload holds what system:anonymous is bound to) or not.\n"
    "--verify checks the cosign signatures images.verify asks for against the registries (plain\n"
    "  HTTP only to each --insecure-registry HOST[:PORT]); without it scans read no network and\n"
    "  imageSignature is reported not evaluated.\n"
    "Exit status: 0 no violation, 1 violations found, 2 bad input or usage.\n";

namespace {

std::optional<OutputFormat> parse_format(std::string_view value) {
  if (value == "table") return OutputFormat::kTable;
  if (value == "json") return OutputFormat::kJson;
  if (value == "sarif") return OutputFormat::kSarif;
  if (value == "openreports") return OutputFormat::kOpenReports;
  if (value == "reach") return OutputFormat::kReach;
  if (value == "patch") return OutputFormat::kPatch;
  return std::nullopt;
}

// What makes --fix-out impossible with these options, if anything.
std::optional<std::string> fix_out_problem(const ScanOptions& o) {
  if (o.fix_out.empty()) return std::nullopt;
  if (o.format == OutputFormat::kReach) {
    return "--fix-out fixes verdicts, and -o reach judges nothing";
  }
  for (const auto& p : o.paths) {
    if (FixOut::inside(o.fix_out, p)) {
      return p + " is inside the --fix-out folder, where copies would overwrite it";
    }
  }
  return std::nullopt;
}

// The flags of what scan writes and reads beyond the files: -o, --fix-out, --verify and its
// registries; anything else is an unknown flag.
std::optional<std::string> apply_output_flag(ScanOptions& o, const std::string& flag,
                                             const std::function<bool()>& take,
                                             std::string& value) {
  if (flag == "--verify") {
    o.verify = true;
  } else if (flag == "--insecure-registry") {
    if (!take() || value.empty()) return "--insecure-registry needs HOST[:PORT]";
    o.registries.insecure_hosts.push_back(value);
  } else if (flag == "--registry-ca") {
    if (!take() || value.empty()) return "--registry-ca needs a PEM file";
    o.registries.ca_file = value;
  } else if (flag == "--fix-out") {
    if (!take() || value.empty()) return "--fix-out needs a folder";
    o.fix_out = value;
  } else if (flag == "-o" || flag == "--output") {
    if (!take()) return flag + " needs table, json, sarif, openreports, reach or patch";
    const auto format = parse_format(value);
    if (!format) {
      return "-o must be table, json, sarif, openreports, reach or patch, not \"" + value + "\"";
    }
    o.format = *format;
  } else {
    return "unknown flag " + flag;
  }
  return std::nullopt;
}

// -j N: a whole number of threads, at least 1.
std::optional<unsigned> parse_jobs(const std::string& value) {
  if (value.empty() || value.size() > 4) return std::nullopt;
  unsigned n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  if (n == 0) return std::nullopt;
  return n;
}

// Applies one flag to `o`, its value taken by take() into `value`; returns the usage error.
std::optional<std::string> apply_flag(ScanOptions& o, const std::string& flag,
                                      const std::function<bool()>& take, std::string& value) {
  if (flag == "-f" || flag == "--filename") {
    if (!take()) return flag + " needs a path";
    o.paths.push_back(value);
  } else if (flag == "--policy") {
    if (!take()) return "--policy needs a file";
    o.policy_file = value;
  } else if (flag == "--level") {
    if (!take()) return "--level needs baseline or restricted";
    auto level = crds::parse_level(value);
    if (!level || *level == crds::PssLevel::kPrivileged) {
      return "--level must be baseline or restricted, not \"" + value + "\"";
    }
    o.level = level;
  } else if (flag == "--pss-version") {
    if (!take()) return "--pss-version needs latest or v1.N";
    auto v = crds::PssVersion::parse(value);
    if (!v || value.empty()) return "--pss-version must be latest or v1.N, not \"" + value + "\"";
    o.pss_version = v;
  } else if (flag == "--now") {
    if (!take()) return "--now needs an RFC 3339 time, such as 2026-12-06T12:00:00Z";
    o.now = base::parse_rfc3339(value);
    if (!o.now) return "--now must be an RFC 3339 time, not \"" + value + "\"";
  } else if (flag == "--anonymous-requests") {
    if (!take() || (value != "allowed" && value != "denied")) {
      return "--anonymous-requests must be allowed or denied";
    }
    o.anonymous_requests = value == "allowed";
  } else if (flag == "-j" || flag == "--jobs") {
    if (!take()) return "-j needs a number of threads (1 or more)";
    const auto jobs = parse_jobs(value);
    if (!jobs) return "-j must be a number of threads, 1 or more, not \"" + value + "\"";
    o.jobs = *jobs;
  } else {
    return apply_output_flag(o, flag, take, value);
  }
  return std::nullopt;
}

}  // namespace

std::optional<ScanOptions> parse_scan_args(const std::vector<std::string>& args,
                                           std::ostream& err) {
  ScanOptions o;
  auto usage = [&](const std::string& message) -> std::optional<ScanOptions> {
    err << "bulwark scan: " << message << "\n" << kScanUsage;
    return std::nullopt;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    // --flag=value as well as --flag value, and -jN.
    const auto eq = flag.rfind("--", 0) == 0 ? flag.find('=') : std::string::npos;
    bool has_inline = flag.size() > 2 && eq != std::string::npos;
    if (has_inline) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (flag.size() > 2 && flag.rfind("-j", 0) == 0) {
      value = flag.substr(2);
      flag = "-j";
      has_inline = true;
    }
    const std::function<bool()> take = [&]() -> bool {
      if (has_inline) return true;
      if (i + 1 >= args.size()) return false;
      value = args[++i];
      return true;
    };
    if (flag.size() > 1 && flag[0] == '-') {
      if (auto problem = apply_flag(o, flag, take, value)) return usage(*problem);
    } else {
      o.paths.push_back(flag);
    }
  }
  if (o.paths.empty()) return usage("no input: give -f PATH (a file, a folder, or - for stdin)");
  if (auto problem = fix_out_problem(o)) return usage(*problem);
  return o;
}

}  // namespace bulwark::cli
