#pragma once

#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "operator/base/clock.h"

namespace bulwark::reconcilers {

// A pass: every workload judged again at once (the first after a start, a resync, a policy whose
// judging changed). At 10,000 workloads a line per workload would bury the log, so while a key
// is part of a pass its own line is debug, and the pass ends with one info line: how many it
// judged, how many changed (a verdict written), how long it took. Passes that overlap merge.
// Thread-safe.
class PosturePass {
 public:
  explicit PosturePass(const base::Clock& clock) : clock_(clock) {}

  // `keys` are about to be enqueued for `why` ("start", "resync", "policy prod").
  void begin(std::string_view why, const std::vector<std::string>& keys);
  bool in_pass(const std::string& key) const;
  bool under_way() const;  // some key of a pass has not been judged yet
  // Whether a pass has been under way for at least `d`.
  bool under_way_for(base::Clock::Duration d) const;
  void changed(const std::string& key);  // a verdict was written for it
  // A reconcile of `key` ended; the line that ends the pass, or "" when it goes on.
  std::string done(const std::string& key);

 private:
  const base::Clock& clock_;
  mutable std::mutex mu_;
  std::set<std::string> pending_;  // guarded by mu_
  std::string why_;                // guarded by mu_
  std::size_t judged_ = 0, changed_ = 0;
  base::Clock::TimePoint started_{};
};

}  // namespace bulwark::reconcilers
