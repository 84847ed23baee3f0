#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/network/network_policy.h"

namespace bulwark::network {

// The reachability model of NetworkPolicy (docs/api.md, Network model): pure, no I/O.
//
// - A pod that no NetworkPolicy of its namespace selects for a direction is open in it; one that
//   some policy selects admits only what a rule of one of them admits (policies add up).
// - A connection is allowed when the source's egress admits it and the destination's ingress does.
// - A pod's own node always reaches it, and it always reaches its node (the plugins accept traffic
//   from and to local addresses before any policy).
// - A host-network pod has its node's address: selectors never match it, only ipBlock; and no
//   policy isolates it (the plugins cannot tell its traffic from the node's).
// - ipBlock matches pod addresses too. The documentation leaves it undefined; kube-router, the
//   enforcer Bulwark is tested against, matches them.
// - A named port is resolved against the destination pod's container ports; toward an address
//   matched by ipBlock it matches nothing.
// - Services are outside it: traffic through a virtual IP, NodePort or load balancer is judged at
//   the pod it reaches.

// The label the API server sets on every namespace (since 1.21), its name as value.
inline constexpr std::string_view kNamespaceNameLabel = "kubernetes.io/metadata.name";

enum class Reach { kAllowed, kDenied, kUnknown };
std::string_view to_string(Reach r);  // "allowed", "denied", "unknown"

// What decided: the rule that admits, the policies that isolate, or what is not known.
struct Decision {
  Reach reach = Reach::kUnknown;
  std::string reason;
};

// The other end of a connection: a pod of the cluster, or an address that is no pod's (a node,
// the world).
struct Remote {
  const Pod* pod = nullptr;
  std::optional<Address> address;  // for a pod: its address, when known
};

// "ingress rule 1 of NetworkPolicy team/allow-web": how findings and decisions name a rule (the
// first rule is 1).
std::string rule_name(const NetworkPolicy& policy, Direction direction, std::size_t index);

// The policies and namespaces the model judges with. Not thread-safe to change; const use is.
class NetworkModel {
 public:
  void add_policy(NetworkPolicy policy);
  // A namespace's labels. Selectors over namespaces the model was not told of decide nothing
  // (Unknown), unless `namespaces_complete` says every namespace was.
  void add_namespace(const std::string& name, crds::Labels labels);
  void set_namespaces_complete(bool complete) { namespaces_complete_ = complete; }
  // A Service: exposure reads which of them select a pod. The last of one name wins.
  void add_service(Service service);

  // The Services of the pod's namespace whose selector (not empty) its labels satisfy.
  std::vector<const Service*> services_selecting(const Pod& pod) const;
  // Every Service of a namespace, by name.
  std::vector<const Service*> services_in(const std::string& ns) const;

  // The policies of the pod's namespace that select it and affect `direction`, in name order.
  std::vector<const NetworkPolicy*> selecting(const Pod& pod, Direction direction) const;

  // Whether `to` admits a connection from `from` on `port`/`protocol` (its ingress alone).
  Decision ingress(const Remote& from, const Pod& to, Protocol protocol, int port) const;
  // Whether `from` may open a connection to `to` (its egress alone).
  Decision egress(const Pod& from, const Remote& to, Protocol protocol, int port) const;
  // Both: a connection between two pods, as packets would find it.
  Decision connect(const Pod& from, const Pod& to, Protocol protocol, int port) const;

  // Whether a peer matches a remote end, seen from a policy of `policy_namespace`.
  Reach matches(const Peer& peer, const std::string& policy_namespace, const Remote& remote) const;

  const std::map<std::string, std::vector<NetworkPolicy>>& policies() const { return policies_; }

 private:
  Decision judge(Direction direction, const Pod& selected, const Remote& other, Protocol protocol,
                 int port) const;
  Reach namespace_matches(const crds::LabelSelector& selector, const std::string& name) const;

  std::map<std::string, std::vector<NetworkPolicy>> policies_;  // by namespace, by name
  std::map<std::string, crds::Labels> namespaces_;
  std::map<std::string, std::map<std::string, Service>> services_;  // by namespace, by name
  bool namespaces_complete_ = false;
};

// Whether a rule's ports admit `port`/`protocol` toward `destination` (null: an address that is
// no pod's, for which named ports match nothing).
bool ports_admit(const Rule& rule, const Pod* destination, Protocol protocol, int port);

}  // namespace bulwark::network
