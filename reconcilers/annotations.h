#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/policy/written_names.h"
#include "reconcilers/policy_set.h"

namespace bulwark::reconcilers {

// How the values of the annotations the posture reconciler writes on workloads and pods
// (operator/policy/written_names.h) are written and read.

// A list annotation's value: the items joined with commas ("a,b"), and back.
std::string join_values(const std::vector<std::string>& items);
std::vector<std::string> split_values(std::string_view text);

// kScaledByAnnotation's value: "<workload uid>:<policy uid>,<policy uid>...".
std::string scaled_by_text(const std::string& workload_uid,
                           const std::vector<std::string>& policies);
// The policy UIDs of a kScaledByAnnotation value, when it is about this very workload.
std::vector<std::string> scaling_policies(const std::optional<std::string>& value,
                                          const std::string& workload_uid);
// Whether one of `policies` (in any state: a policy being deleted waits on this release) scaled
// this very workload.
bool scaled_by_us(const std::optional<std::string>& value, const std::string& workload_uid,
                  const std::vector<LoadedPolicy>& policies);
// kRecordedReplicasAnnotation's count; nullopt for anything but up to nine digits.
std::optional<long> parse_count(const std::string& text);

}  // namespace bulwark::reconcilers
