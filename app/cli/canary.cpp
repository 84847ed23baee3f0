#include "app/cli/canary.h"

#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <ostream>
#include <string_view>

#include "operator/canary/listener.h"

namespace bulwark::cli {

const char* const kCanaryUsage =
    "usage: bulwark canary [--bind-address IP] [--listen-ports P,P] [--dial-ports P,P]\n"
    "  the enforcement canary's listener: answers the operator's probes on each listen port\n"
    "  (TCP and UDP) and reaches back the asker at a dial port; nothing else is answered\n"
    "  --bind-address   IPv4 address to listen on (default 0.0.0.0)\n"
    "  --listen-ports   comma-separated ports (default 9771,9772)\n"
    "  --dial-ports     comma-separated ports DIAL may ask for (default 9773,9774, the\n"
    "                   operator's)\n";

namespace {

// "9771,9772": each 1 to 65535; nullopt for anything else (an empty item too).
std::optional<std::vector<std::uint16_t>> parse_ports(std::string_view text) {
  std::vector<std::uint16_t> ports;
  while (true) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    unsigned value = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || error != std::errc() || end != item.data() + item.size() || value == 0 ||
        value > 65535) {
      return std::nullopt;
    }
    ports.push_back(static_cast<std::uint16_t>(value));
    if (comma == std::string_view::npos) return ports;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace

std::optional<CanaryFlags> parse_canary_args(const std::vector<std::string>& args,
                                             std::ostream& err) {
  CanaryFlags flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    // --flag value, or --flag=value as `bulwark run` takes it.
    std::string a = args[i], value;
    const auto eq = a.find('=');
    const bool inline_value = a.rfind("--", 0) == 0 && eq != std::string::npos;
    if (inline_value) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    if ((!inline_value && i + 1 >= args.size()) ||
        (a != "--bind-address" && a != "--listen-ports" && a != "--dial-ports")) {
      err << "bulwark canary: unknown flag or missing value: " << args[i] << "\n" << kCanaryUsage;
      return std::nullopt;
    }
    if (!inline_value) value = args[++i];
    if (a == "--bind-address") {
      flags.bind_address = value;
      continue;
    }
    auto ports = parse_ports(value);
    if (!ports) {
      err << "bulwark canary: " << a << " needs ports 1 to 65535 separated by commas, not \""
          << value << "\"\n";
      return std::nullopt;
    }
    (a == "--listen-ports" ? flags.listen_ports : flags.dial_ports) = std::move(*ports);
  }
  return flags;
}

int run_canary(const CanaryFlags& flags, std::ostream& err) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts
  canary::Listener::Options o;
  o.bind_address = flags.bind_address;
  o.listen_ports = flags.listen_ports;
  o.dial_ports = flags.dial_ports;
  canary::Listener listener(o);
  std::string error;
  if (!listener.start(error)) {
    err << "bulwark canary: " << error << "\n";
    return 1;
  }
  err << "bulwark canary: answering on " << flags.bind_address << " ports";
  for (auto p : listener.ports()) err << " " << p;
  err << std::endl;
  int signal = 0;
  sigwait(&signals, &signal);
  listener.stop();
  return 0;
}

}  // namespace bulwark::cli
