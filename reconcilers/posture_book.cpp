#include "reconcilers/posture_book.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace bulwark::reconcilers {

namespace {

bool same(const WorkloadRecord& a, const WorkloadRecord& b) {
  if (a.outcomes.size() != b.outcomes.size()) return false;
  for (std::size_t i = 0; i < a.outcomes.size(); ++i) {
    const auto &x = a.outcomes[i], &y = b.outcomes[i];
    if (x.policy != y.policy || x.posture != y.posture || x.controls != y.controls ||
        x.enforced != y.enforced || x.details != y.details) {
      return false;
    }
  }
  return true;
}

void add_policies(const WorkloadRecord& r, std::set<std::string>& out) {
  for (const auto& o : r.outcomes) out.insert(o.policy);
}

}  // namespace

bool PostureBook::put(const std::string& key, WorkloadRecord record) {
  std::set<std::string> touched;
  {
    std::lock_guard lock(mu_);
    auto it = records_.find(key);
    if (it != records_.end() && same(it->second, record)) return false;
    if (it != records_.end()) add_policies(it->second, touched);
    add_policies(record, touched);
    records_[key] = std::move(record);
  }
  if (listener_ && !touched.empty()) listener_({touched.begin(), touched.end()});
  return true;
}

void PostureBook::erase(const std::string& key) {
  std::set<std::string> touched;
  {
    std::lock_guard lock(mu_);
    auto it = records_.find(key);
    if (it == records_.end()) return;
    add_policies(it->second, touched);
    records_.erase(it);
  }
  if (listener_ && !touched.empty()) listener_({touched.begin(), touched.end()});
}

namespace {

// A violating outcome in the book, pointed at while the book is locked.
struct Violation {
  const WorkloadRecord* record;
  const PolicyOutcome* outcome;
};

// Worst first: the most severe control, then the most controls, then by name for a stable list.
bool worse_first(const Violation& a, const Violation& b) {
  if (a.outcome->worst != b.outcome->worst) {
    return static_cast<int>(a.outcome->worst) < static_cast<int>(b.outcome->worst);
  }
  if (a.outcome->controls.size() != b.outcome->controls.size()) {
    return a.outcome->controls.size() > b.outcome->controls.size();
  }
  return std::tie(a.record->namespace_name, a.record->kind, a.record->name) <
         std::tie(b.record->namespace_name, b.record->kind, b.record->name);
}

}  // namespace

PolicySummary PostureBook::summarize(const std::string& policy, std::size_t max_violations) const {
  PolicySummary s;
  // Only the listed violations are copied: a copy of each (their controls and details) was about
  // 15 MB at 50,000 violating workloads, for a list of at most `max_violations`.
  std::vector<Violation> violations;
  std::lock_guard lock(mu_);
  for (const auto& [key, r] : records_) {
    for (const auto& o : r.outcomes) {
      if (o.policy != policy) continue;
      ++s.workloads;
      switch (o.posture) {
        case posture::Posture::kCompliant:
          ++s.compliant;
          break;
        case posture::Posture::kExempt:
          ++s.exempt;
          break;
        case posture::Posture::kNotEvaluated:
          ++s.not_evaluated;
          break;
        case posture::Posture::kViolating:
          ++s.violating;
          violations.push_back({&r, &o});
          break;
      }
      if (o.enforced) ++s.quarantined;
    }
  }
  if (s.workloads > 0) s.score = (s.compliant + s.exempt) * 100 / s.workloads;
  const auto listed = std::min(violations.size(), max_violations);
  std::partial_sort(violations.begin(), violations.begin() + static_cast<std::ptrdiff_t>(listed),
                    violations.end(), worse_first);
  for (std::size_t i = 0; i < listed; ++i) {
    const auto& [r, o] = violations[i];
    s.violations.push_back({r->namespace_name, r->kind, r->name,
                            std::vector<std::string>(o->controls.begin(), o->controls.end()),
                            o->worst, o->details});
  }
  return s;
}

void PostureBook::for_each(
    const std::function<void(const std::string&, const WorkloadRecord&)>& fn) const {
  std::lock_guard lock(mu_);
  for (const auto& [key, r] : records_) fn(key, r);
}

std::size_t PostureBook::size() const {
  std::lock_guard lock(mu_);
  return records_.size();
}

bool PostureBook::enforced(const std::string& key) const {
  std::lock_guard lock(mu_);
  const auto it = records_.find(key);
  return it != records_.end() && std::any_of(it->second.outcomes.begin(), it->second.outcomes.end(),
                                             [](const PolicyOutcome& o) { return o.enforced; });
}

bool PostureBook::judged_by(const std::string& key, const std::string& policy) const {
  std::lock_guard lock(mu_);
  const auto it = records_.find(key);
  return it != records_.end() &&
         std::any_of(it->second.outcomes.begin(), it->second.outcomes.end(),
                     [&](const PolicyOutcome& o) { return o.policy == policy; });
}

}  // namespace bulwark::reconcilers
