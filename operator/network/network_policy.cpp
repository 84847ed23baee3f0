#include "operator/network/network_policy.h"

#include <algorithm>
#include <initializer_list>
#include <tuple>

#include "operator/document/value.h"

namespace bulwark::network {

using document::Value;

std::string_view to_string(Protocol p) {
  switch (p) {
    case Protocol::kTcp:
      return "TCP";
    case Protocol::kUdp:
      return "UDP";
    case Protocol::kSctp:
      return "SCTP";
  }
  return "TCP";
}

std::optional<Protocol> parse_protocol(std::string_view text) {
  if (text == "TCP") return Protocol::kTcp;
  if (text == "UDP") return Protocol::kUdp;
  if (text == "SCTP") return Protocol::kSctp;
  return std::nullopt;
}

std::string_view to_string(Direction d) { return d == Direction::kIngress ? "Ingress" : "Egress"; }

bool IpBlock::contains(const Address& a) const {
  if (!cidr.contains(a)) return false;
  return std::none_of(except.begin(), except.end(), [&](const Cidr& c) { return c.contains(a); });
}

std::optional<int> Pod::named_port(std::string_view port_name, Protocol protocol) const {
  for (const auto& p : ports) {
    if (p.name == port_name && p.protocol == protocol) return p.port;
  }
  return std::nullopt;
}

namespace {

using crds::FieldError;

// IANA_SVC_NAME: at most 15 lower-case letters, digits and '-', at least one letter, no '-' at
// either end or twice in a row (apimachinery's IsValidPortName).
bool valid_port_name(std::string_view s) {
  if (s.empty() || s.size() > 15 || s.front() == '-' || s.back() == '-') return false;
  if (s.find("--") != std::string_view::npos) return false;
  bool letter = false;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') {
      letter = true;
    } else if (!(c >= '0' && c <= '9') && c != '-') {
      return false;
    }
  }
  return letter;
}

class Reader {
 public:
  Reader(std::vector<FieldError>& errors, PolicySource source)
      : errors_(errors), stored_(source == PolicySource::kStored) {}

  crds::SelectorValues selector_values() const {
    return stored_ ? crds::SelectorValues::kStored : crds::SelectorValues::kNewNetworkPolicy;
  }

  void error(std::string field, std::string message) {
    errors_.push_back({std::move(field), std::move(message)});
  }

  // Flags the keys of a mapping that are not `known` (kubectl's strict field validation).
  bool mapping(const Value* node, const std::string& path,
               std::initializer_list<std::string_view> known) {
    if (node == nullptr || node->is_null()) return false;
    if (!node->is_mapping()) {
      error(path, "must be an object");
      return false;
    }
    for (const auto& [key, value] : node->members) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        error(path + "." + key, "unknown field");
      }
    }
    return true;
  }

  const std::vector<Value>* list(const Value* node, const std::string& path) {
    if (node == nullptr || node->is_null()) return nullptr;
    if (!node->is_sequence()) {
      error(path, "must be a list");
      return nullptr;
    }
    return &node->items;
  }

  // A CIDR as the API server takes it: sloppily from a stored object (validated when it was
  // written, perhaps before strict validation), strictly from a manifest (a new object).
  std::optional<Cidr> cidr(const Value* node, const std::string& path) {
    const std::string_view text = node != nullptr && node->is_string() ? node->str() : "";
    auto parsed = Cidr::parse(text);
    if (!parsed) {
      error(path, "\"" + std::string(text) + "\" is not a valid CIDR");
      return std::nullopt;
    }
    if (const auto problem = stored_ ? "" : strict_cidr_problem(text); !problem.empty()) {
      error(path, "\"" + std::string(text) + "\": " + problem);
      return std::nullopt;
    }
    return parsed;
  }

  std::optional<IpBlock> ip_block(const Value& node, const std::string& path) {
    if (!mapping(&node, path, {"cidr", "except"})) return std::nullopt;
    auto cidr_read = cidr(node.find("cidr"), path + ".cidr");
    if (!cidr_read) return std::nullopt;
    IpBlock block{*cidr_read, {}};
    const auto* items = list(node.find("except"), path + ".except");
    for (std::size_t i = 0; items != nullptr && i < items->size(); ++i) {
      const std::string at = path + ".except[" + std::to_string(i) + "]";
      const Value& item = (*items)[i];
      auto except = Cidr::parse(item.is_string() ? item.str() : "");
      const bool inside =
          except && block.cidr.contains(*except) && except->prefix > block.cidr.prefix;
      if (stored_ && !inside) continue;  // validated already: leaving it out only widens
      if (!cidr(&item, at)) continue;
      if (!inside) {
        error(at, "must be a strict subset of cidr " + block.cidr.str());
        continue;
      }
      block.except.push_back(*except);
    }
    return block;
  }

  std::optional<Peer> peer(const Value& node, const std::string& path) {
    if (!mapping(&node, path, {"podSelector", "namespaceSelector", "ipBlock"})) {
      if (node.is_null()) error(path, "must specify a peer");
      return std::nullopt;
    }
    Peer out;
    const Value* pods = node.find("podSelector");
    const Value* namespaces = node.find("namespaceSelector");
    const Value* block = node.find("ipBlock");
    const bool selectors =
        (pods != nullptr && !pods->is_null()) || (namespaces != nullptr && !namespaces->is_null());
    if (block != nullptr && !block->is_null()) {
      if (selectors) {
        error(path, "may not specify ipBlock with podSelector or namespaceSelector");
        return std::nullopt;
      }
      out.ip_block = ip_block(*block, path + ".ipBlock");
      if (!out.ip_block) return std::nullopt;
      return out;
    }
    if (!selectors) {
      error(path, "must specify a peer");
      return std::nullopt;
    }
    const std::size_t before = errors_.size();
    if (pods != nullptr && !pods->is_null()) {
      crds::read_label_selector(pods, path + ".podSelector", out.pod_selector.emplace(), errors_,
                                selector_values());
    }
    if (namespaces != nullptr && !namespaces->is_null()) {
      crds::read_label_selector(namespaces, path + ".namespaceSelector",
                                out.namespace_selector.emplace(), errors_, selector_values());
    }
    if (errors_.size() != before) return std::nullopt;
    return out;
  }

  std::optional<int> port_number(const Value& node, const std::string& path) {
    auto n = node.as_int();
    if (!n || *n < 1 || *n > 65535) {
      error(path, "must be a port number between 1 and 65535");
      return std::nullopt;
    }
    return static_cast<int>(*n);
  }

  std::optional<PolicyPort> port(const Value& node, const std::string& path) {
    if (!mapping(&node, path, {"protocol", "port", "endPort"})) return PolicyPort{};
    PolicyPort out;
    if (const Value* p = node.find("protocol"); p != nullptr && !p->is_null()) {
      auto protocol = parse_protocol(p->str());
      if (!protocol) {
        error(path + ".protocol",
              "must be TCP, UDP or SCTP, not \"" + std::string(p->str()) + "\"");
        return std::nullopt;
      }
      out.protocol = *protocol;
    }
    const Value* number = node.find("port");
    if (number != nullptr && !number->is_null()) {
      if (number->is_scalar() && !number->quoted && number->as_int()) {
        out.number = port_number(*number, path + ".port");
        if (!out.number) return std::nullopt;
      } else if (number->is_string() && valid_port_name(number->str())) {
        out.name = std::string(number->str());
      } else {
        error(path + ".port", "\"" + std::string(number->str()) +
                                  "\" is neither a port number nor a valid port name");
        return std::nullopt;
      }
    }
    if (const Value* end = node.find("endPort"); end != nullptr && !end->is_null()) {
      if (!out.number) {
        error(path + ".endPort", "may only be set with a numeric port");
        return std::nullopt;
      }
      out.end_port = port_number(*end, path + ".endPort");
      if (!out.end_port) return std::nullopt;
      if (*out.end_port < *out.number) {
        error(path + ".endPort", "must be greater than or equal to port");
        return std::nullopt;
      }
    }
    return out;
  }

  Rule rule(const Value& node, const std::string& path, std::string_view peers_key) {
    Rule out;
    if (!mapping(&node, path, {peers_key, "ports"})) return out;
    const auto* peers = list(node.find(peers_key), path + "." + std::string(peers_key));
    for (std::size_t i = 0; peers != nullptr && i < peers->size(); ++i) {
      auto p =
          peer((*peers)[i], path + "." + std::string(peers_key) + "[" + std::to_string(i) + "]");
      if (p) out.peers.push_back(std::move(*p));
    }
    const auto* ports = list(node.find("ports"), path + ".ports");
    for (std::size_t i = 0; ports != nullptr && i < ports->size(); ++i) {
      auto p = port((*ports)[i], path + ".ports[" + std::to_string(i) + "]");
      if (p) out.ports.push_back(std::move(*p));
    }
    return out;
  }

  void policy_types(const Value* node, NetworkPolicy& out) {
    const auto* types = list(node, "spec.policyTypes");
    if (types == nullptr || types->empty()) {
      out.ingress_type = true;
      out.egress_type = !out.egress.empty();
      return;
    }
    if (types->size() > 2) error("spec.policyTypes", "may hold at most Ingress and Egress");
    for (std::size_t i = 0; i < types->size(); ++i) {
      const std::string_view type = (*types)[i].str();
      if (type == "Ingress") {
        out.ingress_type = true;
      } else if (type == "Egress") {
        out.egress_type = true;
      } else {
        error("spec.policyTypes[" + std::to_string(i) + "]",
              "must be Ingress or Egress, not \"" + std::string(type) + "\"");
      }
    }
  }

 private:
  std::vector<FieldError>& errors_;
  bool stored_;
};

}  // namespace

NetworkPolicyRead read_network_policy(const Value& doc, std::string_view default_namespace,
                                      PolicySource source) {
  NetworkPolicyRead out;
  Reader read(out.errors, source);
  const std::string ns = document::text_at(doc, {"metadata", "namespace"});
  out.policy.namespace_name = ns.empty() ? std::string(default_namespace) : ns;
  out.policy.name = document::text_at(doc, {"metadata", "name"});
  if (out.policy.name.empty()) read.error("metadata.name", "is required");
  const Value* spec = doc.find("spec");
  if (!read.mapping(spec, "spec", {"podSelector", "policyTypes", "ingress", "egress"})) {
    if (spec == nullptr || spec->is_null()) read.error("spec", "is required");
    return out;
  }
  crds::read_label_selector(spec->find("podSelector"), "spec.podSelector", out.policy.pod_selector,
                            out.errors, read.selector_values());
  for (auto [key, rules, peers] : {std::tuple{"ingress", &out.policy.ingress, "from"},
                                   std::tuple{"egress", &out.policy.egress, "to"}}) {
    const auto* items = read.list(spec->find(key), "spec." + std::string(key));
    for (std::size_t i = 0; items != nullptr && i < items->size(); ++i) {
      rules->push_back(read.rule(
          (*items)[i], "spec." + std::string(key) + "[" + std::to_string(i) + "]", peers));
    }
  }
  read.policy_types(spec->find("policyTypes"), out.policy);
  return out;
}

bool is_service(const Value& doc) {
  return document::text_at(doc, {"kind"}) == "Service" &&
         document::text_at(doc, {"apiVersion"}) == "v1";
}

Service read_service(const Value& doc, std::string_view default_namespace) {
  Service out;
  const std::string ns = document::text_at(doc, {"metadata", "namespace"});
  out.namespace_name = ns.empty() ? std::string(default_namespace) : ns;
  out.name = document::text_at(doc, {"metadata", "name"});
  for (const auto& [key, value] : document::members_of(doc.find({"spec", "selector"}))) {
    out.selector[key] = std::string(value.str());
  }
  out.type = document::text_at(doc, {"spec", "type"});
  out.keeps_source = document::text_at(doc, {"spec", "externalTrafficPolicy"}) == "Local";
  if (out.type.empty()) out.type = "ClusterIP";
  for (const auto& ip : document::items_of(doc.find({"spec", "externalIPs"}))) {
    if (!ip.str().empty()) out.external_ips.emplace_back(ip.str());
  }
  for (const auto& p : document::items_of(doc.find({"spec", "ports"}))) {
    ServicePort port;
    port.protocol = parse_protocol(document::text_at(p, {"protocol"})).value_or(Protocol::kTcp);
    const Value* number = p.find("port");
    if (number == nullptr || !number->as_int()) continue;
    port.port = static_cast<int>(*number->as_int());
    const Value* target = p.find("targetPort");
    if (target == nullptr || target->is_null()) {
      port.target_number = port.port;
    } else if (!target->quoted && target->as_int()) {
      port.target_number = static_cast<int>(*target->as_int());
    } else {
      port.target_name = std::string(target->str());
    }
    out.ports.push_back(std::move(port));
  }
  return out;
}

Pod read_pod(const Value* metadata, const Value& spec, const Value* status,
             std::string_view namespace_name) {
  Pod out;
  out.namespace_name = std::string(namespace_name);
  if (metadata != nullptr) {
    out.name = document::text_at(*metadata, {"name"});
    for (const auto& [key, value] : document::members_of(metadata->find("labels"))) {
      out.labels[key] = std::string(value.str());
    }
  }
  const Value* host = spec.find("hostNetwork");
  out.host_network = host != nullptr && host->as_bool() == true;
  // Named ports are resolved in the containers and the sidecars (init containers that keep
  // running, restartPolicy: Always), as the API server's FindPort does for a Service.
  std::vector<const Value*> containers;
  for (const auto& c : document::items_of(spec.find("containers"))) containers.push_back(&c);
  for (const auto& c : document::items_of(spec.find("initContainers"))) {
    if (document::text_at(c, {"restartPolicy"}) == "Always") containers.push_back(&c);
  }
  for (const Value* container : containers) {
    for (const auto& p : document::items_of(container->find("ports"))) {
      const Value* number = p.find("containerPort");
      if (number == nullptr || !number->as_int()) continue;
      out.ports.push_back(
          {document::text_at(p, {"name"}), static_cast<int>(*number->as_int()),
           parse_protocol(document::text_at(p, {"protocol"})).value_or(Protocol::kTcp)});
    }
  }
  if (status != nullptr) {
    out.address = Address::parse(document::text_at(*status, {"podIP"}));
    out.node_address = Address::parse(document::text_at(*status, {"hostIP"}));
  }
  return out;
}

std::string_view reads_value_of(const crds::LabelSelector& selector,
                                const std::vector<std::string_view>& keys) {
  using Op = crds::LabelSelector::Requirement::Operator;
  for (auto key : keys) {
    if (selector.match_labels.count(std::string(key)) > 0) return key;
    for (const auto& r : selector.match_expressions) {
      if (r.key == key && (r.op == Op::kIn || r.op == Op::kNotIn)) return key;
    }
  }
  return "";
}

}  // namespace bulwark::network
