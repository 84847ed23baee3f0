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

bool EnforcementVerdict::observe(Enforcement probe) {
  run_ = probe == last_ ? run_ + 1 : 1;
  last_ = probe;
  if (run_ < agreeing_ || probe == verdict_) return false;
  verdict_ = probe;
  return true;
}

}  // namespace bulwark::canary
