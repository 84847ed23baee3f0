#pragma once

#include <compare>
#include <optional>
#include <string_view>

namespace bulwark::kube {

// Orders two resourceVersions of objects of the same resource, as Kubernetes 1.35 made them
// comparable (KEP-5504, client-go's CompareResourceVersion): a well-formed version is a decimal
// integer without leading zeros, so the longer is newer and equal lengths compare as text. Any
// other string (an aggregated API's own scheme, an empty one) is opaque: nullopt, and the caller
// falls back to equality, the only comparison older contracts allowed.
std::optional<std::strong_ordering> compare_resource_versions(std::string_view a,
                                                              std::string_view b);

}  // namespace bulwark::kube
