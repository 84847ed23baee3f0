#pragma once

#include <map>
#include <string>
#include <vector>

namespace bulwark::crds {

using Labels = std::map<std::string, std::string, std::less<>>;

// metav1.LabelSelector: every matchLabels pair and every matchExpressions requirement must hold.
// An empty selector matches everything, as Kubernetes' does for policy selectors.
struct LabelSelector {
  struct Requirement {
    enum class Operator { kIn, kNotIn, kExists, kDoesNotExist };
    std::string key;
    Operator op = Operator::kExists;
    std::vector<std::string> values;
    bool operator==(const Requirement&) const = default;
  };

  std::map<std::string, std::string> match_labels;
  std::vector<Requirement> match_expressions;

  bool empty() const { return match_labels.empty() && match_expressions.empty(); }
  bool matches(const Labels& labels) const;
  bool operator==(const LabelSelector&) const = default;
};

}  // namespace bulwark::crds
