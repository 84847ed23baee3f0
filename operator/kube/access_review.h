#pragma once

#include "operator/kube/client.h"
#include "operator/server/access_filter.h"

namespace bulwark::kube {

// server::AccessReviewer through the API server: a TokenReview (authentication.k8s.io/v1) and a
// SubjectAccessReview (authorization.k8s.io/v1) with nonResourceAttributes. The operator's
// ServiceAccount needs "create" on both (deploy/operator/rbac.yaml, bulwark-metrics-auth).
class ApiAccessReviewer : public server::AccessReviewer {
 public:
  explicit ApiAccessReviewer(KubeClient& client) : client_(client) {}
  std::optional<server::User> authenticate(const std::string& token) override;
  bool authorize(const server::User& user, const std::string& verb,
                 const std::string& path) override;

 private:
  KubeClient& client_;
};

// Whether this client may `verb` the resource in every namespace (or the cluster-scoped one): a
// SelfSubjectAccessReview (authorization.k8s.io/v1), which every authenticated user may create.
// Throws ApiError when it cannot ask.
bool self_allowed(KubeClient& client, const std::string& verb, const ResourceType& type);

}  // namespace bulwark::kube
