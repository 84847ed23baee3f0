#include "operator/kube/resource_version.h"

#include <algorithm>

namespace bulwark::kube {
namespace {

bool well_formed(std::string_view rv) {
  return !rv.empty() && rv.front() != '0' &&
         std::all_of(rv.begin(), rv.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<std::strong_ordering> compare_resource_versions(std::string_view a,
                                                              std::string_view b) {
  if (!well_formed(a) || !well_formed(b)) return std::nullopt;
  if (a.size() != b.size()) return a.size() <=> b.size();
  return a.compare(b) <=> 0;
}

}  // namespace bulwark::kube
