#pragma once

#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/admission/review.h"
#include "operator/policy/label_selector.h"
#include "reconcilers/policy_set.h"
#include "reconcilers/rbac_index.h"

namespace bulwark::reconcilers {
class InputAccess;
}
namespace bulwark::registry {
class ImageVerification;
}

namespace bulwark::admission {

// The kinds the webhook judges: a pod template, or a pod.
bool judged_kind(std::string_view kind);
// Whether admission judges a control: not imageVulnerabilities (admission reads no reports: an
// image is scanned once it runs) and not the network controls, which depend on NetworkPolicies
// and Services that may come after the workload (kubectl apply -f dir/): refusing on them would
// stop a controller making its pods whenever a policy is edited. The operator judges those.
bool judged_at_admission(std::string_view control);

// What decide() knows beyond the review. Pure: the caller reads the cache and the clock.
struct Context {
  const std::vector<reconcilers::LoadedPolicy>* policies = nullptr;
  // The namespace's labels; null when the namespace is not known (then no policy that selects
  // namespaces by label can select the object, and one without a namespace selector still does).
  const crds::Labels* namespace_labels = nullptr;
  std::set<std::string, std::less<>> never_touch;  // Bulwark's own namespace among them
  std::chrono::system_clock::time_point now;
  // What each ServiceAccount may do; null: spec.permissions is not judged at admission.
  const reconcilers::RbacIndex* rbac = nullptr;
  // Which inputs Bulwark may no longer read; null: all are taken to be readable.
  const reconcilers::InputAccess* access = nullptr;
  // Verifies images.verify's signatures; null: imageSignature is not evaluated (a warning).
  registry::ImageVerification* images = nullptr;
  // What verification may take of one review, all policies together: the API server waits
  // timeoutSeconds (3 by default) for the whole answer.
  std::chrono::milliseconds images_budget{2000};
};

// The same verdict `bulwark scan` and the reconcilers give, at admission (docs/api.md, Admission):
// - CREATE and UPDATE of the judged kinds, and UPDATE of pods/ephemeralcontainers, are judged
//   with every active policy that selects the object; anything else is allowed unjudged;
// - an UPDATE that leaves the pod template (a pod's spec) alone is allowed unjudged, so scaling,
//   labelling and Bulwark's own patches always pass;
// - a violation under a policy in Enforce with Deny refuses the object, naming each control and
//   field path (never the policy, a binding or another object: see line_of); any other
//   violation admits it with warnings in the same form;
// - the network controls are left to the operator (judged_at_admission);
// - imageSignature fails closed: an image whose signatures are not verified within the budget
//   (a registry down, slow or not understood) violates, "could not be verified"; the
//   verification goes on and its verdict serves the next request. Decide blocks on the registry
//   for at most the budget, and is otherwise pure;
// - a control whose inputs Bulwark may no longer read (RBAC, ServiceAccounts) is not evaluated:
//   said in a warning, never taken for a pass and never a refusal on its own (admission never
//   reads vulnerability reports: an image is scanned once it runs).
// - which namespaces a policy's namespaceSelector selects, when Namespaces cannot be read or the
//   namespace is not in the cache yet: a warning; and, where a policy in Enforce with Deny would
//   refuse the object if it selected it, CannotJudge, which the handler answers as the failure
//   policy says.
Decision decide(const Review& review, const Context& context);

// The review cannot be judged (what() says why, to the requester too).
struct CannotJudge : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace bulwark::admission
