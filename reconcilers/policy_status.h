#pragma once

#include <string>

#include "kube/client.h"
#include "reconcilers/policy_set.h"
#include "runtime/clock.h"
#include "runtime/controller.h"
#include "runtime/informer.h"

namespace bulwark::reconcilers {

// Keeps each SecurityPolicy's Ready condition and observedGeneration true: Ready=True/Reconciled
// for a valid policy, Ready=False/InvalidSpec with the fields at fault for one the schema let
// through (an invalid label key, say); other conditions and status fields are kept as they are.
// lastTransitionTime moves only when the status flips, and nothing is written when the status is
// already right. Writes go to the status subresource with the resourceVersion read, so a
// concurrent change makes it retry. Keys are policy names.
class PolicyStatusReconciler : public runtime::Reconciler {
 public:
  PolicyStatusReconciler(kube::KubeClient& client, const runtime::Informer& policies,
                         const runtime::Clock& clock);
  runtime::Result reconcile(const std::string& name) override;

  struct Condition {
    std::string status;  // "True" or "False"
    std::string reason;
    std::string message;
  };
  static Condition ready_condition(const std::vector<crds::FieldError>& errors);

 private:
  kube::KubeClient& client_;
  const runtime::Informer& policies_;
  const runtime::Clock& clock_;
};

}  // namespace bulwark::reconcilers
