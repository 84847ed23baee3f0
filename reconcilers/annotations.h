#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reconcilers/policy_set.h"

namespace bulwark::reconcilers {

// The annotations the posture reconciler writes on workloads and pods (docs/api.md, What Bulwark
// writes), and how their values are written and read.
inline constexpr const char* kPostureAnnotation = "bulwark.dev/posture";
inline constexpr const char* kViolationsAnnotation = "bulwark.dev/violations";
// The controls Bulwark could not evaluate (posture::NotEvaluated), sorted, comma-separated.
inline constexpr const char* kNotEvaluatedAnnotation = "bulwark.dev/not-evaluated";
inline constexpr const char* kPoliciesAnnotation = "bulwark.dev/policies";
// ScaleToZero keeps the replica count it took away here, to give it back on release.
inline constexpr const char* kRecordedReplicasAnnotation = "bulwark.dev/recorded-replicas";
// Who took them: the workload's UID and the UIDs of the policies that scaled it. Replicas are
// given back only to that object, and only while one of those policies exists.
inline constexpr const char* kScaledByAnnotation = "bulwark.dev/scaled-by";

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
