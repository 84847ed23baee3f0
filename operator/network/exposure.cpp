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

// Addresses no host of the world has: the private ranges, and this network, loopback,
// link-local, shared (CGNAT), multicast and reserved (RFC 6890).
const std::vector<Cidr>& not_the_world() {
  static const std::vector<Cidr> ranges = [] {
    std::vector<Cidr> out = private_ranges();
    for (const char* c :
         {"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10", "224.0.0.0/4",
          "240.0.0.0/4", "::/128", "::1/128", "fe80::/10", "ff00::/8"}) {
      out.push_back(*Cidr::parse(c));
    }
    return out;
  }();
  return ranges;
}

// NAT64's prefixes (RFC 6052, RFC 8215): in an IPv6 cluster they are the IPv4 internet.
const std::vector<Cidr>& nat64_prefixes() {
  static const std::vector<Cidr> ranges = {*Cidr::parse("64:ff9b::/96"),
                                           *Cidr::parse("64:ff9b:1::/48")};
  return ranges;
}

using Bits = Address::Bits;
struct Span {  // an inclusive range of addresses of one family
  Bits first, last;
};

Span span_of(const Cidr& c) { return {c.base.bits, c.last().bits}; }

// Sorted by first address, overlapping and touching spans joined.
std::vector<Span> merged(std::vector<Span> spans) {
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.first < b.first; });
  std::vector<Span> out;
  for (const auto& s : spans) {
    if (!out.empty() && (s.first <= out.back().last || s.first - 1 == out.back().last)) {
      out.back().last = std::max(out.back().last, s.last);
    } else {
      out.push_back(s);
    }
  }
  return out;
}

// `from` without `cuts`, both merged: one sweep, so a block with 100,000 excepts costs a sort.
std::vector<Span> without(const std::vector<Span>& from, const std::vector<Span>& cuts) {
  std::vector<Span> out;
  std::size_t c = 0;
  for (Span s : from) {
    while (c < cuts.size() && cuts[c].last < s.first) ++c;
    bool left = true;  // some of `s` remains
    for (std::size_t k = c; k < cuts.size() && cuts[k].first <= s.last; ++k) {
      if (cuts[k].first > s.first) out.push_back({s.first, cuts[k].first - 1});
      if (cuts[k].last >= s.last) {
        left = false;
        break;
      }
      s.first = std::max(s.first, cuts[k].last + 1);
    }
    if (left) out.push_back(s);
  }
  return out;
}

// How many addresses merged spans hold.
long double addresses_in(const std::vector<Span>& spans) {
  long double total = 0;
  for (const auto& s : spans) total += static_cast<long double>(s.last - s.first) + 1;
  return total;
}

std::vector<Span> spans_of(const std::vector<Cidr>& ranges, bool v6) {
  std::vector<Span> out;
  for (const auto& r : ranges) {
    if (r.base.v6 == v6) out.push_back(span_of(r));
  }
  return merged(std::move(out));
}

// What the blocks of one family admit, after their excepts: merged spans.
std::vector<Span> admitted(const std::vector<const IpBlock*>& blocks, bool v6) {
  std::vector<Span> out;
  for (const IpBlock* b : blocks) {
    if (b->cidr.base.v6 != v6) continue;
    std::vector<Span> cuts;
    for (const auto& e : b->except) cuts.push_back(span_of(e));
    const auto mine = without({span_of(b->cidr)}, merged(std::move(cuts)));
    out.insert(out.end(), mine.begin(), mine.end());
  }
  return merged(std::move(out));
}

// How many of the world's addresses the blocks admit: IPv4, IPv6, and IPv6 that NAT64 maps to
// IPv4.
struct WorldShare {
  long double v4 = 0, v6 = 0, nat64 = 0;
  bool any() const { return v4 > 0 || v6 > 0 || nat64 > 0; }
};

WorldShare world_share(const std::vector<const IpBlock*>& blocks) {
  WorldShare out;
  const auto v4 = admitted(blocks, false);
  const auto v6 = admitted(blocks, true);
  out.v4 = addresses_in(without(v4, spans_of(not_the_world(), false)));
  const auto v6_world = without(v6, spans_of(not_the_world(), true));
  out.v6 = addresses_in(v6_world);
  out.nat64 = out.v6 - addresses_in(without(v6_world, spans_of(nat64_prefixes(), true)));
  return out;
}

// As many of the world's addresses as a /8 of IPv4 (directly or through NAT64) or a /32 of IPv6:
// the world, not a host or a range of the organisation's own.
bool world_sized(const WorldShare& share) {
  constexpr long double kSlash8 = 16777216.0L;                        // 2^24
  constexpr long double kSlash32 = 79228162514264337593543950336.0L;  // 2^96
  return share.v4 >= kSlash8 || share.nat64 >= kSlash8 || share.v6 >= kSlash32;
}

// The first few excepts only: a message stays short whatever the policy holds.
std::string describe(const IpBlock& b) {
  constexpr std::size_t kShown = 4;
  std::string out = b.cidr.str();
  for (std::size_t e = 0; e < b.except.size() && e < kShown; ++e) {
    out += (e == 0 ? " except " : ", ") + b.except[e].str();
  }
  if (b.except.size() > kShown) out += " and " + std::to_string(b.except.size() - kShown) + " more";
  return out;
}

}  // namespace

bool is_private(const Cidr& block) {
  const auto& ranges = private_ranges();
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const Cidr& r) { return r.contains(block); });
}

bool admits_world(const std::vector<const IpBlock*>& blocks) {
  return world_sized(world_share(blocks));
}

// Whether a selector only leaves things out (NotIn, DoesNotExist; Exists on the namespace name
// label, which every namespace has): whatever is not named, it takes in, new ones included.
bool only_leaves_out(const crds::LabelSelector& selector) {
  using Op = crds::LabelSelector::Requirement::Operator;
  return selector.match_labels.empty() &&
         std::all_of(selector.match_expressions.begin(), selector.match_expressions.end(),
                     [](const auto& r) {
                       // Every namespace carries its name label: DoesNotExist on it selects
                       // none, Exists every one.
                       const bool name = r.key == kNamespaceNameLabel;
                       return r.op == Op::kNotIn || (r.op == Op::kDoesNotExist && !name) ||
                              (name && r.op == Op::kExists);
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
      const WorldShare share = world_share(blocks);
      if (!share.any()) continue;
      std::string what;
      for (const IpBlock* b : blocks) what += (what.empty() ? "" : ", ") + describe(*b);
      if (world_sized(share)) {
        out.push_back({rule_name(*policy, direction, i), "admits " + what});
      } else {
        partial.push_back(rule_name(*policy, direction, i) + " (" + what + ")");
        together.insert(together.end(), blocks.begin(), blocks.end());
      }
    }
  }
  if (out.empty() && partial.size() > 1 && world_sized(world_share(together))) {
    std::string rules;
    for (const auto& r : partial) rules += (rules.empty() ? "" : " and ") + r;
    out.push_back({rules, "admit the world together"});
  }
  return out;
}

}  // namespace bulwark::network
