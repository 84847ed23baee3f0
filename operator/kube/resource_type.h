#pragma once

#include <string>

namespace bulwark::kube {

// A kind of resource, as the REST paths name it.
struct ResourceType {
  std::string group;  // "" for the core group
  std::string version;
  std::string resource;  // the plural: "pods"
  bool namespaced = true;

  // "/api/v1/namespaces/ns/pods/name" and the like; empty ns means all namespaces.
  std::string path(const std::string& ns = "", const std::string& name = "") const;
};

namespace resources {
inline const ResourceType kPods{"", "v1", "pods", true};
inline const ResourceType kNamespaces{"", "v1", "namespaces", false};
inline const ResourceType kNodes{"", "v1", "nodes", false};
inline const ResourceType kEvents{"", "v1", "events", true};
inline const ResourceType kConfigMaps{"", "v1", "configmaps", true};
inline const ResourceType kSecrets{"", "v1", "secrets", true};
inline const ResourceType kServiceAccounts{"", "v1", "serviceaccounts", true};
inline const ResourceType kDeployments{"apps", "v1", "deployments", true};
inline const ResourceType kStatefulSets{"apps", "v1", "statefulsets", true};
inline const ResourceType kDaemonSets{"apps", "v1", "daemonsets", true};
inline const ResourceType kReplicaSets{"apps", "v1", "replicasets", true};
inline const ResourceType kJobs{"batch", "v1", "jobs", true};
inline const ResourceType kCronJobs{"batch", "v1", "cronjobs", true};
inline const ResourceType kNetworkPolicies{"networking.k8s.io", "v1", "networkpolicies", true};
inline const ResourceType kServices{"", "v1", "services", true};
inline const ResourceType kRoles{"rbac.authorization.k8s.io", "v1", "roles", true};
inline const ResourceType kClusterRoles{"rbac.authorization.k8s.io", "v1", "clusterroles", false};
inline const ResourceType kRoleBindings{"rbac.authorization.k8s.io", "v1", "rolebindings", true};
inline const ResourceType kClusterRoleBindings{"rbac.authorization.k8s.io", "v1",
                                               "clusterrolebindings", false};
inline const ResourceType kLeases{"coordination.k8s.io", "v1", "leases", true};
inline const ResourceType kValidatingWebhookConfigurations{
    "admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", false};
// Harden's (docs/api.md, Harden): read only, to say whether they are installed.
inline const ResourceType kMutatingAdmissionPolicies{"admissionregistration.k8s.io", "v1",
                                                     "mutatingadmissionpolicies", false};
inline const ResourceType kMutatingAdmissionPolicyBindings{
    "admissionregistration.k8s.io", "v1", "mutatingadmissionpolicybindings", false};
// Reviews: created (POST) only, answered in the response's status.
inline const ResourceType kTokenReviews{"authentication.k8s.io", "v1", "tokenreviews", false};
inline const ResourceType kSelfSubjectAccessReviews{"authorization.k8s.io", "v1",
                                                    "selfsubjectaccessreviews", false};
inline const ResourceType kSubjectAccessReviews{"authorization.k8s.io", "v1",
                                                "subjectaccessreviews", false};
inline const ResourceType kSecurityPolicies{"bulwark.dev", "v1alpha1", "securitypolicies", false};
// Trivy Operator's, read when its CRD is installed.
inline const ResourceType kReports{"openreports.io", "v1alpha1", "reports", true};
inline const ResourceType kPolicyReports{"wgpolicyk8s.io", "v1alpha2", "policyreports", true};
inline const ResourceType kVulnerabilityReports{"aquasecurity.github.io", "v1alpha1",
                                                "vulnerabilityreports", true};
}  // namespace resources

}  // namespace bulwark::kube
