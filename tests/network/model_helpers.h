#pragma once

// Helpers for the network model's tests: policies, services and pods from YAML text.

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "operator/document/reader.h"
#include "operator/network/network_policy.h"
#include "operator/network/reach.h"

namespace bulwark::testing {

inline document::Value network_yaml(const std::string& text) {
  std::istringstream in(text);
  document::Value v;
  EXPECT_TRUE(document::make_yaml_reader(in)->next(v));
  return v;
}

// A NetworkPolicy `name` in `ns` whose spec is `spec` (YAML); it must read without errors.
inline network::NetworkPolicy policy(const std::string& ns, const std::string& name,
                                     const std::string& spec) {
  const auto doc = network_yaml(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
      "metadata: {name: " +
      name + ", namespace: " + ns + "}\nspec:\n" + spec);
  auto read = network::read_network_policy(doc, "default");
  for (const auto& e : read.errors) ADD_FAILURE() << name << ": " << e.field << ": " << e.message;
  return read.policy;
}

// A running pod: labels, address, node address and container ports (name:port/PROTO, name may be
// empty).
inline network::Pod pod(const std::string& ns, const std::string& name, crds::Labels labels,
                        const std::string& ip = "", const std::string& node_ip = "198.18.0.1",
                        std::vector<network::ContainerPort> ports = {}) {
  network::Pod p;
  p.namespace_name = ns;
  p.name = name;
  p.labels = std::move(labels);
  if (!ip.empty()) p.address = network::Address::parse(ip);
  if (!node_ip.empty()) p.node_address = network::Address::parse(node_ip);
  p.ports = std::move(ports);
  return p;
}

}  // namespace bulwark::testing
