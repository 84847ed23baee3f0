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

using Bits = Address::Bits;
struct Span {  // an inclusive range of addresses of one family
  Bits first, last;
};

Span span_of(const Cidr& c) { return {c.base.bits, c.last().bits}; }

// `from` without `cut`.
std::vector<Span> without(const std::vector<Span>& from, const Span& cut) {
  std::vector<Span> out;
  for (const auto& s : from) {
    if (cut.last < s.first || cut.first > s.last) {
      out.push_back(s);
      continue;
    }
    if (cut.first > s.first) out.push_back({s.first, cut.first - 1});
    if (cut.last < s.last) out.push_back({cut.last + 1, s.last});
  }
  return out;
}

// How many addresses the spans cover together (overlaps counted once).
long double addresses_in(std::vector<Span> spans) {
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.first < b.first; });
  long double total = 0;
  bool open = false;
  Span run{0, 0};
  for (const auto& s : spans) {
    if (open && s.first <= run.last) {
      run.last = std::max(run.last, s.last);
      continue;
    }
    if (open) total += static_cast<long double>(run.last - run.first) + 1;
    run = s;
    open = true;
  }
  if (open) total += static_cast<long double>(run.last - run.first) + 1;
  return total;
}

// The public addresses of one family that the blocks admit, counted.
long double public_admitted(const std::vector<const IpBlock*>& blocks, bool v6) {
  std::vector<Span> admitted;
  for (const IpBlock* b : blocks) {
    if (b->cidr.base.v6 != v6) continue;
    std::vector<Span> mine{span_of(b->cidr)};
    for (const auto& e : b->except) mine = without(mine, span_of(e));
    admitted.insert(admitted.end(), mine.begin(), mine.end());
  }
  for (const auto& r : private_ranges()) {
    if (r.base.v6 == v6) admitted = without(admitted, span_of(r));
  }
  return addresses_in(std::move(admitted));
}

// As many public addresses as a /8 of IPv4 or a /32 of IPv6: the world, not a host or a range of
// the organisation's own.
bool world_sized(const std::vector<const IpBlock*>& blocks) {
  return public_admitted(blocks, false) >= 16777216.0L ||
         public_admitted(blocks, true) >= 79228162514264337593543950336.0L;  // 2^96
}

std::string describe(const IpBlock& b) {
  std::string out = b.cidr.str();
  for (std::size_t e = 0; e < b.except.size(); ++e) {
    out += (e == 0 ? " except " : ", ") + b.except[e].str();
  }
  return out;
}

}  // namespace

bool is_private(const Cidr& block) {
  const auto& ranges = private_ranges();
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const Cidr& r) { return r.contains(block); });
}

bool admits_world(const std::vector<const IpBlock*>& blocks) { return world_sized(blocks); }

// Whether a selector only leaves things out (NotIn, DoesNotExist; Exists on the namespace name
// label, which every namespace has): whatever is not named, it takes in, new ones included.
bool only_leaves_out(const crds::LabelSelector& selector) {
  using Op = crds::LabelSelector::Requirement::Operator;
  return selector.match_labels.empty() &&
         std::all_of(selector.match_expressions.begin(), selector.match_expressions.end(),
                     [](const auto& r) {
                       return r.op == Op::kNotIn || r.op == Op::kDoesNotExist ||
                              (r.key == "kubernetes.io/metadata.name" && r.op == Op::kExists);
                     });
}

bool admits_all_namespaces(const Peer& peer) {
  if (!peer.namespace_selector || !only_leaves_out(*peer.namespace_selector)) return false;
  return !peer.pod_selector || only_leaves_out(*peer.pod_selector);
}

std::vector<Opening> all_namespaces_openings(const NetworkModel& model, const Pod& pod) {
  std::vector<Opening> out;
  for (const NetworkPolicy* policy : model.selecting(pod, Direction::kIngress)) {
    for (std::size_t i = 0; i < policy->ingress.size(); ++i) {
      const Rule& rule = policy->ingress[i];
      if (rule.peers.empty()) {
        out.push_back({rule_name(*policy, Direction::kIngress, i), "admits every source"});
        continue;
      }
      const auto all = std::find_if(rule.peers.begin(), rule.peers.end(), admits_all_namespaces);
      if (all == rule.peers.end()) continue;
      const bool exactly_all = all->namespace_selector->match_expressions.empty() &&
                               (!all->pod_selector || all->pod_selector->empty());
      out.push_back({rule_name(*policy, Direction::kIngress, i),
                     exactly_all ? "admits every pod of every namespace"
                                 : "admits the pods of every namespace but those its selectors "
                                   "leave out by name or label"});
    }
  }
  return out;
}

// The rule's ipBlocks, and whether it has peers at all (none: every address).
std::vector<const IpBlock*> blocks_of(const Rule& rule) {
  std::vector<const IpBlock*> out;
  for (const auto& peer : rule.peers) {
    if (peer.ip_block) out.push_back(&*peer.ip_block);
  }
  return out;
}

std::vector<Opening> world_openings(const NetworkModel& model, const Pod& pod, Direction direction,
                                    const std::optional<PortOf>& port) {
  std::vector<Opening> out;
  // Rules that admit some public address, for the case where only together they admit the world.
  std::vector<std::string> partial;
  std::vector<const IpBlock*> together;
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
      const auto blocks = blocks_of(rule);
      std::string what;
      for (const IpBlock* b : blocks) what += (what.empty() ? "" : ", ") + describe(*b);
      if (world_sized(blocks)) {
        out.push_back({rule_name(*policy, direction, i), "admits " + what});
      } else if (public_admitted(blocks, false) > 0 || public_admitted(blocks, true) > 0) {
        partial.push_back(rule_name(*policy, direction, i) + " (" + what + ")");
        together.insert(together.end(), blocks.begin(), blocks.end());
      }
    }
  }
  if (out.empty() && partial.size() > 1 && world_sized(together)) {
    std::string rules;
    for (const auto& r : partial) rules += (rules.empty() ? "" : " and ") + r;
    out.push_back({rules, "admit the world together"});
  }
  return out;
}

}  // namespace bulwark::network
