#include "operator/canary/round.h"

namespace bulwark::canary {

DirectionRound::DirectionRound(bool seen_holding, base::Clock::TimePoint now,
                               base::Clock::Duration timeout)
    : timeout_(timeout) {
  if (seen_holding) {
    before_ = Enforcement::kEnforced;
  } else {
    holding_.emplace(now, timeout);
  }
}

void DirectionRound::record_before(base::Clock::TimePoint now, Enforcement probe) {
  if (before_ || !holding_) return;
  if (auto seen = holding_->record(now, probe)) before_ = seen;
}

void DirectionRound::changed(base::Clock::TimePoint at) {
  if (outcome_ || change_) return;
  if (before_ == Enforcement::kEnforced) {
    change_.emplace(at, timeout_);
  } else {
    outcome_ = before_.value_or(Enforcement::kUnknown);
  }
}

void DirectionRound::record_after(base::Clock::TimePoint now, Enforcement probe) {
  if (!probing_change()) return;
  if (auto seen = change_->record(now, probe)) outcome_ = seen;
}

}  // namespace bulwark::canary
