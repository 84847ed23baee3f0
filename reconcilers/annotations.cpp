#include "reconcilers/annotations.h"

#include <algorithm>

namespace bulwark::reconcilers {

std::string join_values(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

std::string scaled_by_text(const std::string& workload_uid,
                           const std::vector<std::string>& policies) {
  return workload_uid + ":" + join_values(policies);
}

std::vector<std::string> split_values(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return out;
}

std::vector<std::string> scaling_policies(const std::optional<std::string>& value,
                                          const std::string& workload_uid) {
  if (!value || workload_uid.empty()) return {};
  const auto colon = value->find(':');
  if (colon == std::string::npos || value->substr(0, colon) != workload_uid) return {};
  return split_values(std::string_view(*value).substr(colon + 1));
}

bool scaled_by_us(const std::optional<std::string>& value, const std::string& workload_uid,
                  const std::vector<LoadedPolicy>& policies) {
  const auto uids = scaling_policies(value, workload_uid);
  // Any state counts, a policy being deleted most of all: its finalizer waits on this release.
  return std::any_of(policies.begin(), policies.end(), [&](const LoadedPolicy& p) {
    return !p.uid.empty() && std::find(uids.begin(), uids.end(), p.uid) != uids.end();
  });
}

std::optional<long> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 9 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stol(text);
}

}  // namespace bulwark::reconcilers
