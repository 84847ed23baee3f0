#include "reconcilers/enforcement_book.h"

#include <algorithm>

#include "operator/logging/logging.h"
#include "reconcilers/policy_status.h"

namespace bulwark::reconcilers {

using canary::Enforcement;
using kube::Condition;
using kube::ConditionStatus;

namespace {

Condition enforced(ConditionStatus status, std::string_view reason, std::string message) {
  return {std::string(policy_conditions::kNetworkEnforced),
          status,
          std::string(reason),
          std::move(message),
          0,
          ""};
}

// "a, b and 3 more" of at most 10 names.
std::string some_of(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < 10; ++i) out += (i == 0 ? "" : ", ") + names[i];
  if (names.size() > 10) out += " and " + std::to_string(names.size() - 10) + " more";
  return out;
}

std::string directions(const NodeEnforcement& n, Enforcement which) {
  if (n.in == which && n.out == which) return "both ways";
  return n.in == which ? "in" : "out";
}

}  // namespace

Condition network_enforced_condition(const EnforcementSnapshot& s) {
  using State = EnforcementSnapshot::State;
  namespace reasons = policy_reasons;
  if (s.state == State::kProbeFromNode) {
    return enforced(ConditionStatus::kUnknown, reasons::kProbeFromNode, s.why);
  }
  if (s.state == State::kOff) {
    return enforced(
        ConditionStatus::kUnknown, reasons::kCanaryUnavailable,
        s.why.empty() ? "the enforcement canary is off (canary.enabled: false)" : s.why);
  }
  if (s.state == State::kCanaryUnavailable) {
    return enforced(ConditionStatus::kUnknown, reasons::kCanaryUnavailable, s.why);
  }
  if (s.state == State::kProbing) {
    return enforced(
        ConditionStatus::kUnknown, reasons::kProbing,
        s.why.empty() ? "the enforcement canary has not finished its first round yet" : s.why);
  }
  std::vector<std::string> not_enforced, unknown;
  std::string first_unknown;
  for (const auto& n : s.nodes) {
    if (n.in == Enforcement::kNotEnforced || n.out == Enforcement::kNotEnforced) {
      not_enforced.push_back(n.node + " (" + directions(n, Enforcement::kNotEnforced) + ")");
    } else if (n.in != Enforcement::kEnforced || n.out != Enforcement::kEnforced) {
      unknown.push_back(n.node);
      if (first_unknown.empty()) first_unknown = n.unknown;
    }
  }
  if (!not_enforced.empty()) {
    const auto count = std::to_string(not_enforced.size());
    return enforced(ConditionStatus::kFalse, reasons::kNotEnforced,
                    count + (not_enforced.size() == 1 ? " node does" : " nodes do") +
                        " not enforce NetworkPolicy: " + some_of(not_enforced) +
                        "; quarantine and default-deny do not hold for pods there");
  }
  if (s.nodes.empty()) {
    return enforced(ConditionStatus::kUnknown, reasons::kCanaryUnavailable, "no node to probe");
  }
  if (!unknown.empty()) {
    return enforced(ConditionStatus::kUnknown, reasons::kCanaryUnavailable,
                    "not proven on " + std::to_string(unknown.size()) + " of " +
                        std::to_string(s.nodes.size()) + " nodes (" + some_of(unknown) +
                        "): " + first_unknown);
  }
  return enforced(
      ConditionStatus::kTrue, reasons::kEnforced,
      "every node (" + std::to_string(s.nodes.size()) +
          ") enforced a change of the canary's NetworkPolicy both ways" +
          (s.simulated > 0 ? "; " + std::to_string(s.simulated) + " simulated nodes not probed"
                           : ""));
}

EnforcementSnapshot EnforcementBook::snapshot() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

bool EnforcementBook::not_enforcing(const std::string& node) const {
  std::lock_guard lock(mu_);
  return not_enforcing_.count(node) > 0;
}

bool EnforcementBook::any_not_enforcing() const {
  std::lock_guard lock(mu_);
  return !not_enforcing_.empty();
}

bool EnforcementBook::unproven() const {
  using State = EnforcementSnapshot::State;
  std::lock_guard lock(mu_);
  switch (snapshot_.state) {
    case State::kOff:
    case State::kProbeFromNode:
      return false;
    case State::kProbing:
    case State::kCanaryUnavailable:
      return true;
    case State::kProbed:
      break;
  }
  return std::any_of(snapshot_.nodes.begin(), snapshot_.nodes.end(), [](const NodeEnforcement& n) {
    return n.in == Enforcement::kUnknown || n.out == Enforcement::kUnknown;
  });
}

void EnforcementBook::publish(EnforcementSnapshot snapshot) {
  std::set<std::string> not_enforcing;
  for (const auto& n : snapshot.nodes) {
    if (n.in == Enforcement::kNotEnforced || n.out == Enforcement::kNotEnforced) {
      not_enforcing.insert(n.node);
    }
  }
  bool changed = false;
  Condition after;
  {
    std::lock_guard lock(mu_);
    const Condition before = network_enforced_condition(snapshot_);
    after = network_enforced_condition(snapshot);
    changed = before.status != after.status || before.reason != after.reason ||
              before.message != after.message || not_enforcing != not_enforcing_;
    snapshot_ = std::move(snapshot);
    not_enforcing_ = std::move(not_enforcing);
    ++published_;
  }
  if (!changed) return;
  logging::info("enforcement canary: " + std::string(kube::to_string(after.status)) + "/" +
                after.reason + ": " + after.message);
  for (const auto& listener : listeners_) listener();
}

}  // namespace bulwark::reconcilers
