#include "reconcilers/network_inputs.h"

#include "operator/runtime/cache_reader.h"

namespace bulwark::reconcilers {

std::variant<network::NetworkModel, std::string> namespace_network(
    const std::string& ns, const runtime::CacheReader& network_policies,
    const runtime::CacheReader& services) {
  network::NetworkModel model;
  for (const auto& key : network_policies.keys_in_namespace(ns)) {
    const auto object = network_policies.get(key);
    if (object == nullptr) continue;  // deleted meanwhile
    auto read = network::read_network_policy(*object, ns);
    if (!read.errors.empty()) {
      return "NetworkPolicy " + key + " could not be read: " + read.errors.front().field + ": " +
             read.errors.front().message;
    }
    model.add_policy(std::move(read.policy));
  }
  for (const auto& key : services.keys_in_namespace(ns)) {
    const auto object = services.get(key);
    if (object == nullptr) continue;
    model.add_service(network::read_service(*object, ns));  // list items carry no kind
  }
  return model;
}

}  // namespace bulwark::reconcilers
