#include "reconcilers/time_format.h"

#include "operator/policy/security_policy.h"

namespace bulwark::reconcilers {

std::string rfc3339_seconds(std::chrono::system_clock::time_point t) {
  return crds::format_rfc3339(t);
}

}  // namespace bulwark::reconcilers
