#pragma once

#include <string>
#include <string_view>

#include "operator/policy/security_policy.h"

namespace bulwark::posture {

// One finding: which control, how bad, what is wrong (naming the field and its value), and the
// field path in the manifest ("spec.template.spec.containers[1].securityContext.privileged").
struct Violation {
  std::string_view control;  // one of crds::kControlIds; static storage
  crds::Severity severity;
  std::string message;
  std::string path;
};

}  // namespace bulwark::posture
