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

// Whether ipBlocks together admit the world: after their excepts and outside the private ranges,
// as many addresses as a /8 of IPv4 or a /32 of IPv6, or more.
bool admits_world(const std::vector<const IpBlock*>& blocks);

// Whether a peer admits the pods of every namespace: a namespaceSelector and podSelector (if any)
// that only leave out (NotIn, DoesNotExist, or no requirement at all; Exists on
// kubernetes.io/metadata.name, which every namespace carries), so every namespace and pod they do
// not name is in, new ones too.
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
