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

std::optional<Enforcement> ChangeProbe::record(base::Clock::TimePoint now, Enforcement probe) {
  if (over_) return std::nullopt;  // one outcome per round
  if (probe == Enforcement::kEnforced) {
    if (enforced_in_a_row_++ == 0) first_enforced_ = now;
    not_enforced_ = 0;
    if (enforced_in_a_row_ >= confirming_) {
      over_ = true;
      lag_ = first_enforced_ - changed_;
      return Enforcement::kEnforced;
    }
  } else {
    enforced_in_a_row_ = 0;
    if (probe == Enforcement::kNotEnforced) ++not_enforced_;
  }
  if (now - changed_ < timeout_) return std::nullopt;  // not shown yet: probe again
  over_ = true;
  return not_enforced_ >= confirming_ ? Enforcement::kNotEnforced : Enforcement::kUnknown;
}

}  // namespace bulwark::canary
