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

Enforcement classify(Reach allowed, Reach denied) {
  if (denied == Reach::kThrough) return Enforcement::kNotEnforced;
  if (allowed == Reach::kThrough && denied == Reach::kBlocked) return Enforcement::kEnforced;
  return Enforcement::kUnknown;
}

std::optional<Enforcement> ChangeProbe::record(base::Clock::TimePoint now, Reach allowed,
                                               Reach denied) {
  if (over_) return std::nullopt;  // one outcome per round
  const Enforcement outcome = classify(allowed, denied);
  if (outcome == Enforcement::kEnforced) {
    if (enforced_in_a_row_++ == 0) first_enforced_ = now;
    not_enforced_ = false;
    if (enforced_in_a_row_ >= confirming_) {
      over_ = true;
      lag_ = first_enforced_ - changed_;
      return Enforcement::kEnforced;
    }
  } else {
    enforced_in_a_row_ = 0;
    not_enforced_ = not_enforced_ || outcome == Enforcement::kNotEnforced;
  }
  if (now - changed_ < timeout_) return std::nullopt;  // not shown yet: probe again
  over_ = true;
  return not_enforced_ ? Enforcement::kNotEnforced : Enforcement::kUnknown;
}

bool EnforcementVerdict::observe(Enforcement probe) {
  run_ = probe == last_ ? run_ + 1 : 1;
  last_ = probe;
  if (run_ < agreeing_ || probe == verdict_) return false;
  verdict_ = probe;
  return true;
}

}  // namespace bulwark::canary
