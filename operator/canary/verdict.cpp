#include "operator/canary/verdict.h"

namespace bulwark::canary {

std::string_view to_string(Enforcement e) {
  switch (e) {
    case Enforcement::kEnforced:
      return "Enforced";
    case Enforcement::kNotEnforced:
      return "NotEnforced";
    case Enforcement::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

Enforcement classify(bool allowed_got_through, bool denied_got_through) {
  if (denied_got_through) return Enforcement::kNotEnforced;
  return allowed_got_through ? Enforcement::kEnforced : Enforcement::kUnknown;
}

std::optional<Enforcement> ChangeProbe::record(base::Clock::TimePoint now, bool allowed_got_through,
                                               bool denied_got_through) {
  if (over_) return std::nullopt;  // one outcome per round
  const Enforcement outcome = classify(allowed_got_through, denied_got_through);
  if (outcome == Enforcement::kEnforced) {
    lag_ = now - changed_;
  } else if (now - changed_ < timeout_) {
    return std::nullopt;  // not in effect yet: probe again
  }
  over_ = true;
  return outcome;
}

bool EnforcementVerdict::observe(Enforcement probe) {
  run_ = probe == last_ ? run_ + 1 : 1;
  last_ = probe;
  if (run_ < agreeing_ || probe == verdict_) return false;
  verdict_ = probe;
  return true;
}

}  // namespace bulwark::canary
