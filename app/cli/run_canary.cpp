#include "app/cli/run_canary.h"

#include <cstdlib>

#include "operator/canary/listener.h"
#include "operator/canary/probe.h"
#include "operator/canary/targets.h"
#include "operator/logging/logging.h"
#include "reconcilers/enforcement_canary.h"

namespace bulwark::cli {

using reconcilers::EnforcementSnapshot;

struct OperatorCanary::Parts {
  std::unique_ptr<canary::Listener> listener;
  std::unique_ptr<canary::SocketProbes> probes;
  std::unique_ptr<reconcilers::KubeCanaryInventory> inventory;
};

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

void publish_unknown(reconcilers::EnforcementBook& book, EnforcementSnapshot::State state,
                     std::string why) {
  logging::warn("canary: every node's enforcement is Unknown: " + why);
  EnforcementSnapshot s;
  s.state = state;
  s.why = std::move(why);
  book.publish(std::move(s));
}

// The operator's own listener, on its pod address only (never the node's or every address).
std::unique_ptr<canary::Listener> own_listener(const std::string& ip, std::string& error) {
  canary::Listener::Options o;
  o.bind_address = ip;
  o.listen_ports.assign(std::begin(canary::kOperatorPorts), std::end(canary::kOperatorPorts));
  auto listener = std::make_unique<canary::Listener>(o);
  if (!listener->start(error)) return nullptr;
  return listener;
}

}  // namespace

OperatorCanary::OperatorCanary(runtime::Manager& manager, kube::KubeClient& client,
                               kube::ObjectWriter& writer, const base::Clock& clock,
                               const config::OperatorConfig& cfg, const std::string& own_namespace,
                               metrics::OperatorMetrics& metrics)
    : parts_(std::make_unique<Parts>()) {
  if (!cfg.canary.enabled) {
    publish_unknown(book_, EnforcementSnapshot::State::kOff,
                    "the enforcement canary is off (canary.enabled: false)");
    return;
  }
  // Outside a pod, or in one on its node's network, the prober still reads the nodes (each is
  // Unknown, ProbeFromNode) but listens on nothing and probes nothing.
  std::string own_ip = env("POD_IP");
  if (own_ip == env("HOST_IP")) own_ip.clear();
  if (!own_ip.empty()) {
    std::string error;
    parts_->listener = own_listener(own_ip, error);
    if (!parts_->listener) {
      publish_unknown(book_, EnforcementSnapshot::State::kCanaryUnavailable,
                      "the operator cannot listen for the canary: " + error);
      return;
    }
    parts_->probes = std::make_unique<canary::SocketProbes>(
        *parts_->listener, std::chrono::milliseconds(1000), std::chrono::milliseconds(2500));
  }
  parts_->inventory = std::make_unique<reconcilers::KubeCanaryInventory>(
      client, own_namespace, cfg.canary.skip_node_annotations);
  reconcilers::EnforcementCanary::Options o;
  o.ns = own_namespace;
  o.own_ip = own_ip;
  o.interval = cfg.canary.interval;
  o.change_timeout = cfg.canary.change_timeout;
  o.lag = [&metrics](base::Clock::Duration lag) { metrics.enforcement_lag(lag); };
  reconcilers::setup_enforcement_canary(
      manager, {*parts_->inventory, writer, parts_->probes.get(), book_, clock, std::move(o)});
}

OperatorCanary::~OperatorCanary() = default;

void OperatorCanary::fill(metrics::PostureSnapshot& snapshot) const {
  const EnforcementSnapshot s = book_.snapshot();
  snapshot.enforcement_judged = s.state != EnforcementSnapshot::State::kProbing;
  auto value = [](canary::Enforcement e) -> std::optional<int> {
    if (e == canary::Enforcement::kUnknown) return std::nullopt;
    return e == canary::Enforcement::kEnforced ? 1 : 0;
  };
  for (const auto& n : s.nodes) snapshot.enforcement.push_back({n.node, value(n.in), value(n.out)});
}

}  // namespace bulwark::cli
