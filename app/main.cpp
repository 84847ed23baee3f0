// The bulwark binary: one program, subcommands run, scan, canary and version (docs/api.md, Command
// line).
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "app/cli/canary.h"
#include "app/cli/run.h"
#include "app/cli/scan.h"

namespace {

constexpr const char* kUsage =
    "usage: bulwark <command> [flags]\n"
    "commands:\n"
    "  scan      evaluate manifests offline against Pod Security Standards or a SecurityPolicy\n"
    "  run       run the operator: watch policies and workloads, judge, annotate and enforce\n"
    "  canary    the enforcement canary's listener (the DaemonSet bulwark-canary runs it)\n"
    "  version   print the version\n";

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    (args.empty() ? std::cerr : std::cout) << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "version" || command == "--version") {
    std::cout << "bulwark " << BULWARK_VERSION << "\n";
    return 0;
  }
  if (command == "scan") {
    for (const auto& a : args) {
      if (a == "-h" || a == "--help") {
        std::cout << bulwark::cli::kScanUsage;
        return 0;
      }
    }
    auto options = bulwark::cli::parse_scan_args(args, std::cerr);
    if (!options) return bulwark::cli::kExitBadInput;
    // Colour only for a person at a terminal, and never when NO_COLOR is set.
    options->color = isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr;
    return bulwark::cli::run_scan(*options, std::cin, std::cout, std::cerr,
                                  options->now.value_or(std::chrono::system_clock::now()));
  }
  if (command == "run") {
    for (const auto& a : args) {
      if (a == "-h" || a == "--help") {
        std::cout << bulwark::cli::kRunUsage;
        return 0;
      }
    }
    auto flags = bulwark::cli::parse_run_args(args, std::cerr);
    if (!flags) return 2;
    return bulwark::cli::run_operator(*flags, std::cerr);
  }
  if (command == "canary") {
    for (const auto& a : args) {
      if (a == "-h" || a == "--help") {
        std::cout << bulwark::cli::kCanaryUsage;
        return 0;
      }
    }
    auto flags = bulwark::cli::parse_canary_args(args, std::cerr);
    if (!flags) return 2;
    return bulwark::cli::run_canary(*flags, std::cerr);
  }
  std::cerr << "bulwark: unknown command \"" << command << "\"\n" << kUsage;
  return 2;
}
