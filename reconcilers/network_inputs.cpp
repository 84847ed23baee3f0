#include "reconcilers/network_inputs.h"

#include <algorithm>

#include "operator/posture/engine.h"
#include "operator/runtime/cache_reader.h"
#include "reconcilers/input_access.h"
#include "reconcilers/policy_set.h"

namespace bulwark::reconcilers {

std::variant<network::NetworkModel, std::string> namespace_network(
    const std::string& ns, const runtime::CacheReader& network_policies,
    const runtime::CacheReader& services) {
  network::NetworkModel model;
  for (const auto& key : network_policies.keys_in_namespace(ns)) {
    const auto object = network_policies.get(key);
    if (object == nullptr) continue;  // deleted meanwhile
    auto read = network::read_network_policy(*object, ns, network::PolicySource::kStored);
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

void add_network_input(const std::string& ns, const std::vector<LoadedPolicy>& policies,
                       const NetworkInputs& inputs, std::optional<network::NetworkModel>& model,
                       posture::EvaluationContext& context) {
  const bool wanted = std::any_of(policies.begin(), policies.end(), [](const auto& p) {
    return p.active() && !p.policy.spec.network.forbid.empty();
  });
  if (!wanted) return;
  if (inputs.network_policies == nullptr || inputs.services == nullptr) {
    context.network_unread = "this process does not read NetworkPolicies and Services";
    return;
  }
  if (inputs.access != nullptr) {
    if (auto why = inputs.access->unreadable_any(
            {ControlInput::kNetworkPolicies, ControlInput::kServices})) {
      context.network_unread = *why;
      return;
    }
  }
  auto read = namespace_network(ns, *inputs.network_policies, *inputs.services);
  if (auto* why = std::get_if<std::string>(&read)) {
    context.network_unread = std::move(*why);
    return;
  }
  model = std::move(std::get<network::NetworkModel>(read));
  context.network = &*model;
}

}  // namespace bulwark::reconcilers
