// PostureSnapshot's counting, apart from the families it feeds (operator_metrics.cpp).
#include "metrics/operator_metrics.h"

namespace bulwark::metrics {

void PostureSnapshot::add_workload(const std::string& namespace_name, bool compliant_or_exempt) {
  auto it = workloads.find(namespace_name);
  if (it == workloads.end()) it = workloads.emplace(namespace_name, Workloads{}).first;
  ++it->second.all;
  if (compliant_or_exempt) ++it->second.compliant_or_exempt;
}

void PostureSnapshot::add_outcome(const std::string& namespace_name, const std::string& policy,
                                  std::string_view state, bool quarantined,
                                  const std::vector<std::string_view>& controls) {
  auto ns = standings.find(namespace_name);
  if (ns == standings.end()) ns = standings.emplace(namespace_name, decltype(ns->second){}).first;
  auto p = ns->second.find(policy);
  if (p == ns->second.end()) p = ns->second.emplace(policy, Standing{}).first;
  Standing& standing = p->second;
  auto st = standing.states.find(state);
  if (st == standing.states.end()) st = standing.states.emplace(std::string(state), 0).first;
  ++st->second;
  if (quarantined) ++standing.quarantined;
  for (const auto& c : controls) {
    auto v = standing.violations.find(c);
    if (v == standing.violations.end()) v = standing.violations.emplace(std::string(c), 0).first;
    ++v->second;
  }
}

}  // namespace bulwark::metrics
