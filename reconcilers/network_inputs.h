#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "operator/network/reach.h"

namespace bulwark::runtime {
class CacheReader;
}
namespace bulwark::posture {
struct EvaluationContext;
}

namespace bulwark::reconcilers {

// The network model of one namespace for the network controls (spec.network.forbid): its
// NetworkPolicies and Services, from the caches. A NetworkPolicy the model cannot read (a field
// newer than Bulwark) makes the whole model unknown, with that reason: the controls are then not
// evaluated rather than judged without the rule that might close or open the path.
std::variant<network::NetworkModel, std::string> namespace_network(
    const std::string& ns, const runtime::CacheReader& network_policies,
    const runtime::CacheReader& services);

class InputAccess;
struct LoadedPolicy;

// Where the network controls' inputs come from: the caches (null: not read by this process) and
// what Bulwark may still read (null: everything).
struct NetworkInputs {
  const runtime::CacheReader* network_policies = nullptr;
  const runtime::CacheReader* services = nullptr;
  const InputAccess* access = nullptr;
};

// Gives `context` the namespace's network model when an active policy of `policies` forbids a
// network control (`model` holds it for the judgement), or says in it why the controls cannot be
// judged. The posture reconciler and admission share it, so both judge alike.
void add_network_input(const std::string& ns, const std::vector<LoadedPolicy>& policies,
                       const NetworkInputs& inputs, std::optional<network::NetworkModel>& model,
                       posture::EvaluationContext& context);

}  // namespace bulwark::reconcilers
