#include "app/cli/run_harden.h"

#include "operator/kube/api_error.h"
#include "operator/kube/client.h"
#include "operator/logging/logging.h"
#include "operator/policy/written_names.h"

namespace bulwark::cli {

using reconcilers::HardenInstall;

HardenInstall HardenProbe::state() {
  std::lock_guard lock(mu_);
  const auto now = clock_.now();
  if (!ever_asked_ || now - asked_ >= std::chrono::seconds(10)) {
    const HardenInstall was = last_;
    last_ = ask();
    asked_ = now;
    ever_asked_ = true;
    if (last_ != was) {
      logging::info(std::string("harden: ") +
                    (last_ == HardenInstall::kInstalled
                         ? "MutatingAdmissionPolicy bulwark-harden and its binding are installed"
                     : last_ == HardenInstall::kNotServed
                         ? "the API server does not serve MutatingAdmissionPolicy"
                     : last_ == HardenInstall::kNotInstalled
                         ? "bulwark-harden or its binding is not installed"
                         : "could not tell whether bulwark-harden is installed"));
    }
  }
  return last_;
}

HardenInstall HardenProbe::ask() {
  try {
    if (!client_.serves(kube::resources::kMutatingAdmissionPolicies)) {
      return HardenInstall::kNotServed;
    }
    client_.get(kube::resources::kMutatingAdmissionPolicies, "", kHardenPolicyName);
    client_.get(kube::resources::kMutatingAdmissionPolicyBindings, "", kHardenPolicyName);
    return HardenInstall::kInstalled;
  } catch (const kube::ApiError& e) {
    // Forbidden: the chart grants `get` of them only with harden.enabled, so not installed.
    if (e.error_class() == kube::ErrorClass::kNotFound ||
        e.error_class() == kube::ErrorClass::kForbidden) {
      return HardenInstall::kNotInstalled;
    }
    logging::warn(std::string("harden: ") + e.what());
    return HardenInstall::kUnknown;
  }
}

}  // namespace bulwark::cli
