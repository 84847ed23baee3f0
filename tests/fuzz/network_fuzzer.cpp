// NetworkPolicies, Services and Pods on any YAML stream: every document is read as its kind (a
// NetworkPolicy with errors stays out of the model, as scan keeps it out), then every ordered pair
// of the pods read is judged on each declared port, and every network control's openings are
// listed: a decision or an error, never a crash. Addresses and CIDRs that parse print back to
// text that parses to the same value.
#include <cstdint>
#include <cstdlib>
#include <sstream>

#include "operator/network/exposure.h"
#include "tests/fuzz/fuzz_limits.h"

namespace {

using namespace bulwark;

void check_round_trip(const network::Cidr& c) {
  const auto again = network::Cidr::parse(c.str());
  if (!again || again->base != c.base || again->prefix != c.prefix) std::abort();
}

void read(const document::Value& doc, network::NetworkModel& model,
          std::vector<network::Pod>& pods) {
  const std::string kind = document::text_at(doc, {"kind"});
  if (kind == "NetworkPolicy") {
    auto r = network::read_network_policy(doc, "default");
    if (!r.errors.empty()) return;
    for (const auto& rule : r.policy.ingress) {
      for (const auto& peer : rule.peers) {
        if (!peer.ip_block) continue;
        check_round_trip(peer.ip_block->cidr);
        for (const auto& e : peer.ip_block->except) check_round_trip(e);
      }
    }
    model.add_policy(std::move(r.policy));
  } else if (network::is_service(doc)) {
    model.add_service(network::read_service(doc, "default"));
  } else if (kind == "Pod" && doc.find("spec") != nullptr && pods.size() < 8) {
    const std::string ns = document::text_at(doc, {"metadata", "namespace"});
    pods.push_back(network::read_pod(doc.find("metadata"), *doc.find("spec"), doc.find("status"),
                                     ns.empty() ? "default" : ns));
    if (pods.back().address) {
      const auto again = network::Address::parse(pods.back().address->str());
      if (!again || *again != *pods.back().address) std::abort();
    }
  } else if (kind == "Namespace") {
    model.add_namespace(document::text_at(doc, {"metadata", "name"}), {});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  auto reader = document::make_yaml_reader(in, fuzz::limits());
  network::NetworkModel model;
  std::vector<network::Pod> pods;
  document::Value doc;
  for (int i = 0; i < 64; ++i) {
    try {
      if (!reader->next(doc)) break;
    } catch (const document::ParseError&) {
      break;
    }
    read(doc, model, pods);
  }
  for (const auto& from : pods) {
    for (const auto& to : pods) {
      for (const auto& port : to.ports) (void)model.connect(from, to, port.protocol, port.port);
    }
    (void)network::all_namespaces_openings(model, from);
    for (auto d : {network::Direction::kIngress, network::Direction::kEgress}) {
      (void)network::world_openings(model, from, d);
    }
    (void)model.services_selecting(from);
  }
  return 0;
}
