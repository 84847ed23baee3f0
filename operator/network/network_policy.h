#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/network/address.h"
#include "operator/policy/label_selector.h"
#include "operator/policy/security_policy.h"

namespace bulwark::document {
struct Value;
}

namespace bulwark::network {

// NetworkPolicy (networking.k8s.io/v1), Service and the pod fields the reachability model reads,
// as typed values. Plain data; the readers below are the only way in from a document.

enum class Protocol { kTcp, kUdp, kSctp };
std::string_view to_string(Protocol p);
std::optional<Protocol> parse_protocol(std::string_view text);

enum class Direction { kIngress, kEgress };
std::string_view to_string(Direction d);  // "Ingress", "Egress"

// One entry of a rule's `ports`: a protocol, and a port by number (with an optional endPort) or
// by name, or neither (every port of the protocol).
struct PolicyPort {
  Protocol protocol = Protocol::kTcp;
  std::optional<int> number;
  std::string name;  // a named port: resolved against the destination pod's container ports
  std::optional<int> end_port;
  bool any_port() const { return !number && name.empty(); }
};

struct IpBlock {
  Cidr cidr;
  std::vector<Cidr> except;
  bool contains(const Address& a) const;
};

// One entry of `from` or `to`: exactly one of an ipBlock, or a pod and/or namespace selector.
struct Peer {
  std::optional<crds::LabelSelector> pod_selector;
  std::optional<crds::LabelSelector> namespace_selector;
  std::optional<IpBlock> ip_block;
};

struct Rule {
  std::vector<Peer> peers;        // empty: every source (Ingress) or destination (Egress)
  std::vector<PolicyPort> ports;  // empty: every port of every protocol
};

struct NetworkPolicy {
  std::string namespace_name;
  std::string name;
  crds::LabelSelector pod_selector;
  // spec.policyTypes as the API server defaults it: Ingress always, Egress when egress rules
  // exist (SetDefaults_NetworkPolicy).
  bool ingress_type = false;
  bool egress_type = false;
  std::vector<Rule> ingress;
  std::vector<Rule> egress;

  bool affects(Direction d) const { return d == Direction::kIngress ? ingress_type : egress_type; }
  const std::vector<Rule>& rules(Direction d) const {
    return d == Direction::kIngress ? ingress : egress;
  }
};

struct NetworkPolicyRead {
  NetworkPolicy policy;
  std::vector<crds::FieldError> errors;  // empty when the API server would take it
};
// Where a NetworkPolicy comes from: a manifest (scan), which the API server has not seen, or the
// API server (a cache), which validated it already.
enum class PolicySource { kManifest, kStored };

// Reads a NetworkPolicy as the API server validates it: selectors, CIDRs (an except must be a
// strict subset of its cidr), ports 1-65535, endPort only with a numeric port and not below it,
// named ports as IANA service names, one kind of peer per entry. Without a namespace it is in
// `default_namespace` (scan: "default", as kubectl would create it). A stored object's except
// that the model reads otherwise than the API server checked it (an IPv4-mapped except under an
// IPv4 cidr) is left out, which only widens what the block admits: a policy the API server took
// never blanks the network controls of its namespace.
NetworkPolicyRead read_network_policy(const document::Value& doc,
                                      std::string_view default_namespace,
                                      PolicySource source = PolicySource::kManifest);

// The first key of `keys` whose value the selector reads (matchLabels, In, NotIn), or "": with
// those keys' values unknown (set by a controller, not the template), whether it selects a pod
// is not known.
std::string_view reads_value_of(const crds::LabelSelector& selector,
                                const std::vector<std::string_view>& keys);

struct ServicePort {
  Protocol protocol = Protocol::kTcp;
  int port = 0;
  std::optional<int> target_number;  // targetPort by number (port when unset)
  std::string target_name;           // targetPort by name: a container port's name
};

// A Service as far as exposure goes: whom it selects, how it is reached, on which ports.
struct Service {
  std::string namespace_name;
  std::string name;
  crds::Labels selector;  // empty: selects no pod (its endpoints are managed by hand)
  std::string type;       // "ClusterIP" when unset
  std::vector<std::string> external_ips;
  std::vector<ServicePort> ports;
  // externalTrafficPolicy: Local: traffic from outside keeps its source address. With Cluster (the
  // default) the service proxy rewrites it to a node's, which NetworkPolicy cannot tell from the
  // node itself.
  bool keeps_source = false;

  // Reached from outside the cluster: type NodePort or LoadBalancer, or externalIPs.
  bool exposed() const {
    return type == "NodePort" || type == "LoadBalancer" || !external_ips.empty();
  }
};
// A Service (lenient: what cannot be read is left out). Its kind is the caller's to know: the
// items of a list the API server returns carry none.
Service read_service(const document::Value& doc, std::string_view default_namespace);
// Whether a document says it is a v1 Service (manifests do).
bool is_service(const document::Value& doc);

struct ContainerPort {
  std::string name;  // may be empty
  int port = 0;
  Protocol protocol = Protocol::kTcp;
};

// A pod as the model sees it: where it is, its labels, its container ports. A pod template has no
// address and no node yet.
struct Pod {
  std::string namespace_name;
  std::string name;
  crds::Labels labels;
  bool host_network = false;
  std::optional<Address> address;       // status.podIP (a host-network pod's is its node's)
  std::optional<Address> node_address;  // status.hostIP
  std::vector<ContainerPort> ports;

  // The number a named port has in this pod for `protocol`, if any container declares it.
  std::optional<int> named_port(std::string_view name, Protocol protocol) const;
};
// The pod a pod spec and its metadata describe (template or Pod; `status` may be null).
Pod read_pod(const document::Value* metadata, const document::Value& spec,
             const document::Value* status, std::string_view namespace_name);

}  // namespace bulwark::network
