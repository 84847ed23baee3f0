#pragma once

#include <optional>

#include "operator/base/clock.h"
#include "operator/canary/verdict.h"

namespace bulwark::canary {

// One node's round in one direction (docs/architecture.md, The enforcement canary). First the
// phase in place is seen holding: three Enforced probes in a row of its ports, unless the last
// round ended Enforced on the same canary and phase, which saw it then. Then, once the policy
// changed, the change is seen taking effect (ChangeProbe). A dead enforcer's last rules hold one
// phase and never both, so its node never ends a round Enforced: with the rules of the phase in
// place the change fails, with those of the next one the phase in place was never seen holding.
class DirectionRound {
 public:
  DirectionRound(bool seen_holding, base::Clock::TimePoint now, base::Clock::Duration timeout);
  // Before the change: whether it still wants probes of the phase in place, and one of them.
  bool confirming() const { return !before_; }
  void record_before(base::Clock::TimePoint now, Enforcement probe);
  // The change was written at `at`. A phase not seen holding ends the round with what was seen
  // of it (NotEnforced, or Unknown), never Enforced.
  void changed(base::Clock::TimePoint at);
  // After the change: whether it wants probes of the new phase, and one of them.
  bool probing_change() const { return change_ && !outcome_; }
  void record_after(base::Clock::TimePoint now, Enforcement probe);
  std::optional<Enforcement> outcome() const { return outcome_; }
  // From the change to the first of its confirming probes, once the round ended Enforced.
  std::optional<base::Clock::Duration> lag() const {
    return change_ ? change_->lag() : std::nullopt;
  }

 private:
  base::Clock::Duration timeout_;
  std::optional<ChangeProbe> holding_;  // the phase in place, when it must be seen
  std::optional<Enforcement> before_;   // what was seen of it
  std::optional<ChangeProbe> change_;
  std::optional<Enforcement> outcome_;
};

}  // namespace bulwark::canary
