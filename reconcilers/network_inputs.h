#pragma once

#include <optional>
#include <string>
#include <variant>

#include "operator/network/reach.h"

namespace bulwark::runtime {
class CacheReader;
}

namespace bulwark::reconcilers {

// The network model of one namespace for the network controls (spec.network.forbid): its
// NetworkPolicies and Services, from the caches. A NetworkPolicy the model cannot read (a field
// newer than Bulwark) makes the whole model unknown, with that reason: the controls are then not
// evaluated rather than judged without the rule that might close or open the path.
std::variant<network::NetworkModel, std::string> namespace_network(
    const std::string& ns, const runtime::CacheReader& network_policies,
    const runtime::CacheReader& services);

}  // namespace bulwark::reconcilers
