#pragma once

#include <string>
#include <vector>

#include "kube/client.h"
#include "runtime/controller.h"
#include "runtime/informer.h"

namespace bulwark::reconcilers {

inline constexpr const char* kDefaultDenyName = "bulwark-default-deny";
inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";

// Keeps the NetworkPolicy bulwark-default-deny (every pod, all ingress and egress denied, cluster
// DNS allowed unless a policy forbids it) in every namespace that a valid SecurityPolicy with
// network.defaultDeny selects, and only there. Restores it when a user deletes or edits it;
// removes it when no policy selects the namespace any more. Writes with server-side apply and
// only when the object differs from what it should be; owner references to the selecting policies
// let garbage collection remove it with them. Never touches a NetworkPolicy of that name that
// Bulwark did not create. Keys are namespace names.
class DefaultDenyReconciler : public runtime::Reconciler {
 public:
  struct Sources {
    const runtime::Informer& namespaces;
    const runtime::Informer& network_policies;
    const runtime::Informer& policies;
  };
  DefaultDenyReconciler(kube::KubeClient& client, Sources sources,
                        std::vector<std::string> never_touch);

  runtime::Result reconcile(const std::string& ns) override;

  // The NetworkPolicy document to apply; `owners` are (name, uid) of the selecting policies.
  static std::string desired(const std::string& ns, bool allow_dns,
                             const std::vector<std::pair<std::string, std::string>>& owners);
  // Whether an existing NetworkPolicy already is what desired() describes.
  static bool up_to_date(const document::Value& current, bool allow_dns,
                         const std::vector<std::pair<std::string, std::string>>& owners);

 private:
  kube::KubeClient& client_;
  Sources sources_;
  std::vector<std::string> never_touch_;
};

}  // namespace bulwark::reconcilers
