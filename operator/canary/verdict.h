#pragma once

#include <optional>
#include <string_view>

#include "operator/base/clock.h"

namespace bulwark::canary {

// Whether a node's network plugin enforces NetworkPolicy, in one direction (docs/architecture.md,
// The enforcement canary).
enum class Enforcement { kEnforced, kNotEnforced, kUnknown };
std::string_view to_string(Enforcement e);

// What one probe of one port found. Blocked needs evidence (the connection refused or timed out,
// or the canary's DIAL said so and the operator heard nothing); anything that tells nothing (a
// connection accepted and closed unanswered, no answer from the canary at all) is Unknown.
enum class Reach { kThrough, kBlocked, kUnknown };

// One probe of a canary after its NetworkPolicy changed which of two ports it allows: what the
// port it allows now found, and what the port it allowed before (and now denies) found. An
// enforcer that never ran lets both through; one that died keeps its last rules, so the port
// allowed before still gets through: the denied port through is NotEnforced, whatever the other
// says. Enforced needs the allowed port through and the denied one blocked; anything else is
// Unknown, never Enforced.
Enforcement classify(Reach allowed, Reach denied);

// One round after the canary's policy changed which port it allows: probes repeat until
// `confirming` probes in a row say Enforced (the lag: from the change to the first of them) or
// `timeout` has passed since the change. Then NotEnforced if at least `confirming` probes said so
// since the last Enforced one, else Unknown: a change not in effect within the timeout is never
// Enforced, and one lost packet (a probe that proves nothing) is no alarm. A round's outcome is
// the node's verdict in that direction: each outcome already rests on `confirming` agreeing
// probes.
class ChangeProbe {
 public:
  ChangeProbe(base::Clock::TimePoint changed, base::Clock::Duration timeout, int confirming = 3)
      : changed_(changed), timeout_(timeout), confirming_(confirming < 1 ? 1 : confirming) {}
  // Records a probe made at `now`; the round's outcome once it is over, nullopt while it goes on.
  std::optional<Enforcement> record(base::Clock::TimePoint now, Enforcement probe);
  std::optional<Enforcement> record(base::Clock::TimePoint now, Reach allowed, Reach denied) {
    return record(now, classify(allowed, denied));
  }
  // From the change to the first of the confirming probes; set once the round ended Enforced.
  std::optional<base::Clock::Duration> lag() const { return lag_; }
  bool over() const { return over_; }

 private:
  base::Clock::TimePoint changed_;
  base::Clock::Duration timeout_;
  int confirming_;
  int enforced_in_a_row_ = 0;
  base::Clock::TimePoint first_enforced_{};
  int not_enforced_ = 0;  // probes that said NotEnforced since the last Enforced one
  std::optional<base::Clock::Duration> lag_;
  bool over_ = false;
};

}  // namespace bulwark::canary
