#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bulwark::canary {

// The canary's ports (the chart's DaemonSet and NetworkPolicies say the same): each round its
// NetworkPolicy allows in one of kCanaryPorts and out to one of kOperatorPorts, on TCP and UDP,
// and denies the other; the operator listens on both kOperatorPorts.
inline constexpr std::uint16_t kCanaryPorts[2] = {9771, 9772};
inline constexpr std::uint16_t kOperatorPorts[2] = {9773, 9774};

// Which ports one round allows and denies; `phase` 0 or 1 flips every round.
struct RoundPorts {
  std::uint16_t in_allowed, in_denied;    // the canary's
  std::uint16_t out_allowed, out_denied;  // the operator's, as the canary reaches them
};
RoundPorts round_ports(int phase);

// Whether `ip` (dotted IPv4) lies in `cidr` ("198.18.0.0/25"); false for anything unreadable.
bool ipv4_in_cidr(const std::string& ip, const std::string& cidr);

// What the operator knows of a node for the canary.
struct NodeNetwork {
  std::string name;
  std::vector<std::string> pod_cidrs;  // spec.podCIDRs (or spec.podCIDR)
  std::vector<std::string> addresses;  // status.addresses
  bool simulated = false;              // carries an annotation of canary.skipNodeAnnotations
};
// A pod of the canary DaemonSet (owned by its UID).
struct CanaryPod {
  std::string name;
  std::string node;  // spec.nodeName
  std::string ip;    // status.podIP
  bool ready = false;
  std::map<std::string, std::string, std::less<>> labels;
};

// One node to probe, or why it cannot be (`unavailable`, the message of CanaryUnavailable).
struct Target {
  std::string node;
  std::string ip;           // the canary pod's address, inside the node's podCIDRs
  std::string unavailable;  // "" when probed
};
struct TargetPlan {
  // Why no probe can prove anything from where the operator runs (the message of ProbeFromNode),
  // "" when it runs in the pod network.
  std::string probe_from_node;
  std::vector<Target> targets;  // every node not simulated, by name
};

// The nodes to probe and where. The operator's own address must be a pod-network address: set,
// inside some node's podCIDRs and no node's own address (a host-network pod or a host process
// is the node, whose traffic to its own pods every plugin allows). A node is probed at its one
// ready canary pod whose address is inside the node's podCIDRs; without a podCIDR, a canary pod,
// or a ready one, it is unavailable, saying which.
TargetPlan plan_targets(const std::vector<NodeNetwork>& nodes, const std::vector<CanaryPod>& pods,
                        const std::string& own_ip);

}  // namespace bulwark::canary
