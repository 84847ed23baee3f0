#include "reconcilers/posture_pass.h"

#include <cstdio>

namespace bulwark::reconcilers {

void PosturePass::begin(std::string_view why, const std::vector<std::string>& keys) {
  std::lock_guard lock(mu_);
  if (pending_.empty()) {
    why_ = why;
    judged_ = changed_ = 0;
    started_ = clock_.now();
  } else if (why_.find(why) == std::string::npos) {
    why_ += ", " + std::string(why);
  }
  pending_.insert(keys.begin(), keys.end());
}

bool PosturePass::in_pass(const std::string& key) const {
  std::lock_guard lock(mu_);
  return pending_.count(key) > 0;
}

bool PosturePass::under_way() const {
  std::lock_guard lock(mu_);
  return !pending_.empty();
}

bool PosturePass::under_way_for(base::Clock::Duration d) const {
  std::lock_guard lock(mu_);
  return !pending_.empty() && clock_.now() - started_ >= d;
}

void PosturePass::changed(const std::string& key) {
  std::lock_guard lock(mu_);
  if (pending_.count(key) > 0) ++changed_;
}

std::string PosturePass::done(const std::string& key) {
  std::lock_guard lock(mu_);
  if (pending_.erase(key) == 0) return "";
  ++judged_;
  if (!pending_.empty()) return "";
  const double seconds = std::chrono::duration<double>(clock_.now() - started_).count();
  char took[32];
  std::snprintf(took, sizeof took, "%.1f", seconds);
  return "posture pass (" + why_ + "): " + std::to_string(judged_) +
         (judged_ == 1 ? " workload" : " workloads") + " judged, " + std::to_string(changed_) +
         " changed, in " + took + " s";
}

}  // namespace bulwark::reconcilers
