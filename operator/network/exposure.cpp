#include "operator/network/exposure.h"

#include <algorithm>

namespace bulwark::network {

namespace {

const std::vector<Cidr>& private_ranges() {
  static const std::vector<Cidr> ranges = {
      *Cidr::parse("10.0.0.0/8"), *Cidr::parse("172.16.0.0/12"), *Cidr::parse("192.168.0.0/16"),
      *Cidr::parse("fc00::/7")};
  return ranges;
}

// Whether the blocks (one family) together cover every address of it.
bool cover_everything(std::vector<Cidr> blocks) {
  std::sort(blocks.begin(), blocks.end(),
            [](const Cidr& a, const Cidr& b) { return a.base.bits < b.base.bits; });
  Address::Bits next = 0;  // the lowest address not yet covered
  for (const auto& block : blocks) {
    if (block.base.bits > next) return false;
    const Address last = block.last();
    if (last.bits < next) continue;
    if (last.bits == Cidr{block.base, 0}.last().bits) return true;  // reached the family's top
    next = last.bits + 1;
  }
  return false;
}

}  // namespace

bool is_private(const Cidr& block) {
  const auto& ranges = private_ranges();
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const Cidr& r) { return r.contains(block); });
}

bool admits_world(const IpBlock& block) {
  if (block.cidr.prefix != 0) return false;
  std::vector<Cidr> closed = block.except;
  for (const auto& r : private_ranges()) {
    if (r.base.v6 == block.cidr.base.v6) closed.push_back(r);
  }
  return !cover_everything(std::move(closed));
}

bool admits_all_namespaces(const Peer& peer) {
  if (!peer.namespace_selector) return false;
  if (peer.pod_selector && !peer.pod_selector->empty()) return false;
  const auto& selector = *peer.namespace_selector;
  if (selector.empty()) return true;
  using Op = crds::LabelSelector::Requirement::Operator;
  return selector.match_labels.empty() &&
         std::all_of(selector.match_expressions.begin(), selector.match_expressions.end(),
                     [](const auto& r) {
                       return r.key == "kubernetes.io/metadata.name" && r.op == Op::kExists;
                     });
}

std::vector<Opening> all_namespaces_openings(const NetworkModel& model, const Pod& pod) {
  std::vector<Opening> out;
  for (const NetworkPolicy* policy : model.selecting(pod, Direction::kIngress)) {
    for (std::size_t i = 0; i < policy->ingress.size(); ++i) {
      const Rule& rule = policy->ingress[i];
      const bool all = rule.peers.empty() ||
                       std::any_of(rule.peers.begin(), rule.peers.end(), admits_all_namespaces);
      if (!all) continue;
      out.push_back(
          {rule_name(*policy, Direction::kIngress, i),
           rule.peers.empty() ? "admits every source" : "admits every pod of every namespace"});
    }
  }
  return out;
}

std::vector<Opening> world_openings(const NetworkModel& model, const Pod& pod, Direction direction,
                                    const std::optional<PortOf>& port) {
  std::vector<Opening> out;
  for (const NetworkPolicy* policy : model.selecting(pod, direction)) {
    const auto& rules = policy->rules(direction);
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const Rule& rule = rules[i];
      // Toward the world the destination is no pod: named ports match nothing there. Ingress
      // names the selected pod's own ports.
      const Pod* named = direction == Direction::kIngress ? &pod : nullptr;
      if (port && !ports_admit(rule, named, port->protocol, port->port)) continue;
      if (rule.peers.empty()) {
        out.push_back({rule_name(*policy, direction, i), direction == Direction::kIngress
                                                             ? "admits every source"
                                                             : "admits every destination"});
        continue;
      }
      for (const auto& peer : rule.peers) {
        if (!peer.ip_block || !admits_world(*peer.ip_block)) continue;
        std::string what = "admits " + peer.ip_block->cidr.str();
        for (std::size_t e = 0; e < peer.ip_block->except.size(); ++e) {
          what += (e == 0 ? " except " : ", ") + peer.ip_block->except[e].str();
        }
        out.push_back({rule_name(*policy, direction, i), std::move(what)});
        break;
      }
    }
  }
  return out;
}

}  // namespace bulwark::network
