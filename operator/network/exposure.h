#pragma once

#include <string>
#include <vector>

#include "operator/network/reach.h"

namespace bulwark::network {

// What the network controls ask of a pod (docs/api.md, Controls: network*), answered from the
// rules of the policies that select it. Pure; a pod template needs no address for any of them.

// The private ranges: RFC 1918 and RFC 4193. Everything else is the world, the test networks
// 198.18.0.0/15 included.
bool is_private(const Cidr& block);

// Whether an ipBlock admits the world: its cidr is 0.0.0.0/0 or ::/0 and, after its excepts, it
// still admits an address outside the private ranges.
bool admits_world(const IpBlock& block);

// Whether a peer admits every pod of every namespace: an empty namespaceSelector (or one that
// only asks that kubernetes.io/metadata.name exists) and no podSelector, or an empty one.
bool admits_all_namespaces(const Peer& peer);

// A rule of a policy that selects the pod and what it opens.
struct Opening {
  std::string rule;  // rule_name()
  std::string what;  // "admits every source", "admits 0.0.0.0/0 except ...", ...
};

// The rules that admit every pod of every namespace toward the pod (Ingress).
std::vector<Opening> all_namespaces_openings(const NetworkModel& model, const Pod& pod);

// The rules that admit the world in `direction`. With `port`, only those whose ports admit it.
struct PortOf {
  Protocol protocol;
  int port;
};
std::vector<Opening> world_openings(const NetworkModel& model, const Pod& pod, Direction direction,
                                    const std::optional<PortOf>& port = std::nullopt);

}  // namespace bulwark::network
