#pragma once

#include <optional>
#include <string_view>

#include "operator/base/clock.h"

namespace bulwark::canary {

// Whether a node's network plugin enforces NetworkPolicy, in one direction (docs/architecture.md,
// The enforcement canary).
enum class Enforcement { kEnforced, kNotEnforced, kUnknown };
std::string_view to_string(Enforcement e);

// One probe of a canary after its NetworkPolicy changed which of two ports it allows: whether the
// port it allows now got through, and whether the port it allowed before (and now denies) did.
// An enforcer that never ran lets both through; one that died keeps its last rules, so the port
// allowed before still gets through and the new one not: both are a change not in effect, never
// enforcement. Neither getting through tells nothing (the canary down, or the path broken): it is
// Unknown, never Enforced.
Enforcement classify(bool allowed_got_through, bool denied_got_through);

// One round after the canary's policy changed which port it allows: probes repeat until the
// change shows (Enforced, and the lag since the change) or `timeout` has passed since it (the
// last probe's outcome: a change not in effect within the timeout is a failed probe).
class ChangeProbe {
 public:
  ChangeProbe(base::Clock::TimePoint changed, base::Clock::Duration timeout)
      : changed_(changed), timeout_(timeout) {}
  // Records a probe made at `now`; the round's outcome once it is over, nullopt while it goes on.
  std::optional<Enforcement> record(base::Clock::TimePoint now, bool allowed_got_through,
                                    bool denied_got_through);
  // From the change to the probe that showed it; set once the round ended Enforced.
  std::optional<base::Clock::Duration> lag() const { return lag_; }

 private:
  base::Clock::TimePoint changed_;
  base::Clock::Duration timeout_;
  std::optional<base::Clock::Duration> lag_;
  bool over_ = false;
};

// A verdict that moves only when `agreeing` probes in a row say the same (one lost packet is no
// alarm): Unknown until then. Not thread-safe.
class EnforcementVerdict {
 public:
  explicit EnforcementVerdict(int agreeing = 3) : agreeing_(agreeing < 1 ? 1 : agreeing) {}
  // Records one probe's outcome; true when the verdict changed.
  bool observe(Enforcement probe);
  Enforcement verdict() const { return verdict_; }
  // Forgets the run of agreeing probes and says Unknown (the canary went away).
  void reset() {
    verdict_ = Enforcement::kUnknown;
    run_ = 0;
  }

 private:
  int agreeing_;
  Enforcement verdict_ = Enforcement::kUnknown;
  Enforcement last_ = Enforcement::kUnknown;
  int run_ = 0;  // probes in a row that said last_
};

}  // namespace bulwark::canary
