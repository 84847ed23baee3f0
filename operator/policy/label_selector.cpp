#include "operator/policy/label_selector.h"

#include <algorithm>

namespace bulwark::crds {

bool LabelSelector::matches(const Labels& labels) const {
  for (const auto& [key, value] : match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const auto& req : match_expressions) {
    auto it = labels.find(req.key);
    const bool has = it != labels.end();
    const bool in_values =
        has && std::find(req.values.begin(), req.values.end(), it->second) != req.values.end();
    switch (req.op) {
      case Requirement::Operator::kIn:
        if (!in_values) return false;
        break;
      case Requirement::Operator::kNotIn:
        if (in_values) return false;
        break;
      case Requirement::Operator::kExists:
        if (!has) return false;
        break;
      case Requirement::Operator::kDoesNotExist:
        if (has) return false;
        break;
    }
  }
  return true;
}

}  // namespace bulwark::crds
