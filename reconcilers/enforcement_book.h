#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "operator/canary/verdict.h"
#include "operator/kube/conditions.h"

namespace bulwark::reconcilers {

// Whether each node enforces NetworkPolicy, each way, as the enforcement canary last proved it
// (docs/architecture.md, The enforcement canary).
struct NodeEnforcement {
  std::string node;
  canary::Enforcement in = canary::Enforcement::kUnknown;   // the operator into the canary
  canary::Enforcement out = canary::Enforcement::kUnknown;  // the canary out to the operator
  std::string unknown;  // why a direction is Unknown ("" when both are known)
};

// The canary's verdicts as a whole. `state` says whether any node could be probed.
struct EnforcementSnapshot {
  enum class State {
    kProbing,            // no round has ended yet since this replica leads
    kProbed,             // the nodes' verdicts are the last round's
    kCanaryUnavailable,  // `why`: the canary is off, its DaemonSet or NetworkPolicy unusable
    kProbeFromNode,      // `why`: the operator's address is no pod-network address
    kOff,                // canary.enabled: false
  };
  State state = State::kProbing;
  std::string why;
  std::vector<NodeEnforcement> nodes;  // every node not simulated, by name
  int simulated = 0;                   // nodes skipped as simulated (canary.skipNodeAnnotations)
};

// The condition NetworkEnforced of every policy that uses Quarantine or network.defaultDeny:
// True/Enforced when every node enforces both ways; False/NotEnforced naming up to 10 nodes that
// do not (and the count); else Unknown: CanaryUnavailable (saying which node and why, or why no
// node could be probed), ProbeFromNode, or Probing before the first round ends. Never True
// with a node Unknown.
kube::Condition network_enforced_condition(const EnforcementSnapshot& snapshot);

// The last verdicts, written by the canary's controller and read by status and metrics.
// Thread-safe.
class EnforcementBook {
 public:
  EnforcementSnapshot snapshot() const;
  // Whether the node's last verdict, either way, was NotEnforced; and whether any node's was.
  bool not_enforcing(const std::string& node) const;
  bool any_not_enforcing() const;
  // Whether enforcement is not proven now where it could be: before the first round ends, while
  // the canary is unavailable, or with a node Unknown (not: the canary off, or ProbeFromNode,
  // where it never can be). What unenforcedQuarantine scaled to zero stays so meanwhile.
  bool unproven() const;
  // Replaces the verdicts; calls each listener when the condition or the nodes that do not
  // enforce changed. Listeners are added before the verdicts are first published.
  void publish(EnforcementSnapshot snapshot);
  void add_listener(std::function<void()> changed) { listeners_.push_back(std::move(changed)); }
  // How many times verdicts were published (each round ends with one).
  std::uint64_t published() const {
    std::lock_guard lock(mu_);
    return published_;
  }

 private:
  mutable std::mutex mu_;
  EnforcementSnapshot snapshot_;
  std::set<std::string> not_enforcing_;  // of snapshot_
  std::uint64_t published_ = 0;
  std::vector<std::function<void()>> listeners_;
};

}  // namespace bulwark::reconcilers
