#include "operator/network/reach.h"

#include <algorithm>

namespace bulwark::network {

namespace {

bool reads_only_name_label(const crds::LabelSelector& selector) {
  for (const auto& [key, value] : selector.match_labels) {
    if (key != kNamespaceNameLabel) return false;
  }
  for (const auto& r : selector.match_expressions) {
    if (r.key != kNamespaceNameLabel) return false;
  }
  return true;
}

std::string pod_name(const Pod& pod) {
  return pod.namespace_name + "/" + (pod.name.empty() ? "(template)" : pod.name);
}

bool port_admits(const PolicyPort& p, const Pod* destination, Protocol protocol, int port) {
  if (p.protocol != protocol) return false;
  if (p.any_port()) return true;
  if (p.number) return port >= *p.number && port <= p.end_port.value_or(*p.number);
  if (destination == nullptr) return false;
  auto named = destination->named_port(p.name, protocol);
  return named && *named == port;
}

}  // namespace

std::string_view to_string(Reach r) {
  switch (r) {
    case Reach::kAllowed:
      return "allowed";
    case Reach::kDenied:
      return "denied";
    case Reach::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::string rule_name(const NetworkPolicy& policy, Direction direction, std::size_t index) {
  return std::string(direction == Direction::kIngress ? "ingress" : "egress") + " rule " +
         std::to_string(index + 1) + " of NetworkPolicy " + policy.namespace_name + "/" +
         policy.name;
}

bool ports_admit(const Rule& rule, const Pod* destination, Protocol protocol, int port) {
  if (rule.ports.empty()) return true;
  return std::any_of(rule.ports.begin(), rule.ports.end(), [&](const PolicyPort& p) {
    return port_admits(p, destination, protocol, port);
  });
}

void NetworkModel::add_policy(NetworkPolicy policy) {
  auto& list = policies_[policy.namespace_name];
  auto at =
      std::lower_bound(list.begin(), list.end(), policy.name,
                       [](const NetworkPolicy& p, const std::string& n) { return p.name < n; });
  if (at != list.end() && at->name == policy.name) {
    *at = std::move(policy);  // the last of one name wins, as a later apply would
  } else {
    list.insert(at, std::move(policy));
  }
}

void NetworkModel::add_namespace(const std::string& name, crds::Labels labels) {
  labels[std::string(kNamespaceNameLabel)] = name;
  namespaces_[name] = std::move(labels);
}

void NetworkModel::add_service(Service service) {
  auto& in_namespace = services_[service.namespace_name];
  in_namespace[service.name] = std::move(service);
}

std::vector<const Service*> NetworkModel::services_in(const std::string& ns) const {
  std::vector<const Service*> out;
  auto found = services_.find(ns);
  if (found == services_.end()) return out;
  for (const auto& [name, service] : found->second) out.push_back(&service);
  return out;
}

std::vector<const Service*> NetworkModel::services_selecting(const Pod& pod) const {
  std::vector<const Service*> out;
  auto found = services_.find(pod.namespace_name);
  if (found == services_.end()) return out;
  for (const auto& [name, service] : found->second) {
    if (service.selector.empty()) continue;
    const bool selects =
        std::all_of(service.selector.begin(), service.selector.end(), [&](const auto& pair) {
          auto label = pod.labels.find(pair.first);
          return label != pod.labels.end() && label->second == pair.second;
        });
    if (selects) out.push_back(&service);
  }
  return out;
}

std::vector<const NetworkPolicy*> NetworkModel::selecting(const Pod& pod,
                                                          Direction direction) const {
  std::vector<const NetworkPolicy*> out;
  auto found = policies_.find(pod.namespace_name);
  if (found == policies_.end()) return out;
  for (const auto& p : found->second) {
    if (p.affects(direction) && p.pod_selector.matches(pod.labels)) out.push_back(&p);
  }
  return out;
}

Reach NetworkModel::namespace_matches(const crds::LabelSelector& selector,
                                      const std::string& name) const {
  if (selector.empty()) return Reach::kAllowed;
  auto found = namespaces_.find(name);
  if (found != namespaces_.end()) {
    return selector.matches(found->second) ? Reach::kAllowed : Reach::kDenied;
  }
  if (namespaces_complete_ || reads_only_name_label(selector)) {
    const crds::Labels implicit{{std::string(kNamespaceNameLabel), name}};
    return selector.matches(implicit) ? Reach::kAllowed : Reach::kDenied;
  }
  return Reach::kUnknown;
}

Reach NetworkModel::matches(const Peer& peer, const std::string& policy_namespace,
                            const Remote& remote) const {
  if (peer.ip_block) {
    if (!remote.address) return Reach::kUnknown;
    return peer.ip_block->contains(*remote.address) ? Reach::kAllowed : Reach::kDenied;
  }
  // Selectors match pods by their own address: never a host-network pod, never an address.
  if (remote.pod == nullptr || remote.pod->host_network) return Reach::kDenied;
  if (peer.pod_selector && !peer.pod_selector->matches(remote.pod->labels)) return Reach::kDenied;
  if (!peer.namespace_selector) {
    return remote.pod->namespace_name == policy_namespace ? Reach::kAllowed : Reach::kDenied;
  }
  return namespace_matches(*peer.namespace_selector, remote.pod->namespace_name);
}

Decision NetworkModel::judge(Direction direction, const Pod& selected, const Remote& other,
                             Protocol protocol, int port) const {
  const std::string dir(to_string(direction));
  if (selected.host_network) {
    return {Reach::kAllowed, pod_name(selected) +
                                 " is on the host network: no NetworkPolicy "
                                 "isolates it"};
  }
  if (other.address && selected.node_address && *other.address == *selected.node_address) {
    return {Reach::kAllowed, "its own node"};
  }
  const auto policies = selecting(selected, direction);
  if (policies.empty()) {
    return {Reach::kAllowed, "no NetworkPolicy selects " + pod_name(selected) + " for " + dir};
  }
  const bool ingress = direction == Direction::kIngress;
  std::string unknown;
  std::string isolating;
  for (const NetworkPolicy* policy : policies) {
    isolating += (isolating.empty() ? "" : ", ") + policy->name;
    const auto& rules = policy->rules(direction);
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const Rule& rule = rules[i];
      // Ingress resolves named ports in the selected pod; egress in the destination, unless it
      // was matched as an address.
      auto admit = [&](Reach matched, bool by_address) -> bool {
        if (matched == Reach::kDenied) return false;
        const Pod* destination = ingress ? &selected : (by_address ? nullptr : other.pod);
        if (!ports_admit(rule, destination, protocol, port)) return false;
        if (matched == Reach::kAllowed) return true;
        if (unknown.empty()) unknown = rule_name(*policy, direction, i);
        return false;
      };
      bool admitted = rule.peers.empty() && admit(Reach::kAllowed, other.pod == nullptr);
      for (std::size_t j = 0; !admitted && j < rule.peers.size(); ++j) {
        const Peer& peer = rule.peers[j];
        admitted = admit(matches(peer, policy->namespace_name, other), peer.ip_block.has_value());
      }
      if (admitted) return {Reach::kAllowed, rule_name(*policy, direction, i)};
    }
  }
  if (!unknown.empty()) {
    return {Reach::kUnknown, unknown +
                                 " selects by what is not known (a namespace's labels or a "
                                 "pod's address)"};
  }
  return {Reach::kDenied, "isolated for " + dir + " by NetworkPolicy " + isolating + " of " +
                              selected.namespace_name + "; no rule admits it"};
}

Decision NetworkModel::ingress(const Remote& from, const Pod& to, Protocol protocol,
                               int port) const {
  return judge(Direction::kIngress, to, from, protocol, port);
}

Decision NetworkModel::egress(const Pod& from, const Remote& to, Protocol protocol,
                              int port) const {
  return judge(Direction::kEgress, from, to, protocol, port);
}

Decision NetworkModel::connect(const Pod& from, const Pod& to, Protocol protocol, int port) const {
  const Decision out = egress(from, Remote{&to, to.address}, protocol, port);
  const Decision in = ingress(Remote{&from, from.address}, to, protocol, port);
  if (out.reach == Reach::kDenied) return {Reach::kDenied, "egress: " + out.reason};
  if (in.reach == Reach::kDenied) return {Reach::kDenied, "ingress: " + in.reason};
  const Reach both = out.reach == Reach::kAllowed && in.reach == Reach::kAllowed ? Reach::kAllowed
                                                                                 : Reach::kUnknown;
  return {both, "egress: " + out.reason + "; ingress: " + in.reason};
}

}  // namespace bulwark::network
