#include "operator/canary/targets.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace bulwark::canary {

RoundPorts round_ports(int phase) {
  const int a = phase & 1, b = 1 - a;
  return {kCanaryPorts[a], kCanaryPorts[b], kOperatorPorts[a], kOperatorPorts[b]};
}

namespace {

std::optional<std::uint32_t> host_order(const std::string& ip) {
  in_addr a{};
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

bool in_any(const std::string& ip, const std::vector<std::string>& cidrs) {
  return std::any_of(cidrs.begin(), cidrs.end(),
                     [&](const std::string& c) { return ipv4_in_cidr(ip, c); });
}

std::string own_address_problem(const std::vector<NodeNetwork>& nodes, const std::string& own_ip) {
  if (own_ip.empty()) {
    return "the operator does not run in a pod (no POD_IP): probes from a node prove nothing";
  }
  for (const auto& n : nodes) {
    if (std::find(n.addresses.begin(), n.addresses.end(), own_ip) != n.addresses.end()) {
      return "the operator's address " + own_ip + " is node " + n.name +
             "'s (host network): probes from a node prove nothing";
    }
  }
  for (const auto& n : nodes) {
    if (!n.simulated && in_any(own_ip, n.pod_cidrs)) return "";
  }
  return "the operator's address " + own_ip + " is in no node's podCIDR";
}

Target target_of(const NodeNetwork& node, const std::vector<const CanaryPod*>& pods) {
  Target t{node.name, "", ""};
  if (node.pod_cidrs.empty()) {
    t.unavailable = "node " + node.name + " has no podCIDR";
  } else if (pods.empty()) {
    t.unavailable = "no canary pod is scheduled on node " + node.name;
  } else {
    for (const CanaryPod* p : pods) {
      if (!p->ready || !in_any(p->ip, node.pod_cidrs)) continue;
      t.ip = p->ip;
      return t;
    }
    const CanaryPod& p = *pods.front();
    t.unavailable = !p.ready ? "canary pod " + p.name + " on node " + node.name + " is not ready"
                             : "canary pod " + p.name + "'s address " + p.ip + " is outside node " +
                                   node.name + "'s podCIDRs";
  }
  return t;
}

}  // namespace

bool ipv4_in_cidr(const std::string& ip, const std::string& cidr) {
  const auto slash = cidr.find('/');
  if (slash == std::string::npos) return false;
  int bits = -1;
  const char* first = cidr.data() + slash + 1;
  const char* last = cidr.data() + cidr.size();
  auto [end, ec] = std::from_chars(first, last, bits);
  const auto address = host_order(ip), network = host_order(cidr.substr(0, slash));
  if (ec != std::errc() || end != last || first == last || bits < 0 || bits > 32 || !address ||
      !network) {
    return false;
  }
  const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (*address & mask) == (*network & mask);
}

TargetPlan plan_targets(const std::vector<NodeNetwork>& nodes, const std::vector<CanaryPod>& pods,
                        const std::string& own_ip) {
  TargetPlan plan;
  plan.probe_from_node = own_address_problem(nodes, own_ip);
  std::map<std::string, std::vector<const CanaryPod*>> by_node;
  for (const auto& p : pods) by_node[p.node].push_back(&p);
  for (const auto& n : nodes) {
    if (n.simulated) continue;
    plan.targets.push_back(target_of(n, by_node[n.name]));
  }
  std::sort(plan.targets.begin(), plan.targets.end(),
            [](const Target& a, const Target& b) { return a.node < b.node; });
  return plan;
}

}  // namespace bulwark::canary
