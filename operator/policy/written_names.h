#pragma once

// The names Bulwark writes into a cluster, in one place (docs/api.md, What Bulwark writes). Users
// and their tools rely on each: a change here is a change of Bulwark's interface.
namespace bulwark {

// Who wrote an object: the field manager of Bulwark's server-side applies, the value of the
// managed-by label on what it creates, and the component of its Events.
inline constexpr const char* kBulwarkName = "bulwark";
inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
// The SecurityPolicy's API version (crds/securitypolicy.yaml), for the objects it owns.
inline constexpr const char* kSecurityPolicyApiVersion = "bulwark.dev/v1alpha1";

// On pods: quarantined (value "true"); the quarantine NetworkPolicy selects it.
inline constexpr const char* kQuarantineLabel = "bulwark.dev/quarantine";

// The annotations the posture reconciler writes on workloads and pods (their values are written
// and read in reconcilers/annotations.h).
inline constexpr const char* kPostureAnnotation = "bulwark.dev/posture";
inline constexpr const char* kViolationsAnnotation = "bulwark.dev/violations";
// The controls Bulwark could not evaluate (posture::NotEvaluated), sorted, comma-separated.
inline constexpr const char* kNotEvaluatedAnnotation = "bulwark.dev/not-evaluated";
inline constexpr const char* kPoliciesAnnotation = "bulwark.dev/policies";
// On a violating workload: how many of its findings have a safe fix ("3 of 5"; docs/api.md,
// Fixes), counted once however many policies find them.
inline constexpr const char* kFixableAnnotation = "bulwark.dev/fixable";
// ScaleToZero keeps the replica count it took away here, to give it back on release.
inline constexpr const char* kRecordedReplicasAnnotation = "bulwark.dev/recorded-replicas";
// Who took them: the workload's UID and the UIDs of the policies that scaled it. Replicas are
// given back only to that object, and only while one of those policies exists.
inline constexpr const char* kScaledByAnnotation = "bulwark.dev/scaled-by";


// Held on every SecurityPolicy so that deleting one waits until Bulwark has taken back what it
// did to users' objects (quarantine labels, replica counts, annotations).
inline constexpr const char* kCleanupFinalizer = "bulwark.dev/cleanup";

// The NetworkPolicies Bulwark keeps in namespaces.
inline constexpr const char* kDefaultDenyName = "bulwark-default-deny";
inline constexpr const char* kQuarantinePolicyName = "bulwark-quarantine";

// The enforcement canary: its DaemonSet (the chart's) and the NetworkPolicy Bulwark keeps for it,
// both in the operator's namespace, and the label value `app.kubernetes.io/name` of its pods
// (the operator's own pods carry kBulwarkName).
inline constexpr const char* kCanaryName = "bulwark-canary";
inline constexpr const char* kAppNameLabel = "app.kubernetes.io/name";

// Admission: the ValidatingWebhookConfiguration, its one webhook, the Secret holding the
// webhook's certificate when Bulwark makes its own, and the annotation on that Secret saying when
// the CA in the configuration's caBundle was added.
inline constexpr const char* kConfigurationName = "bulwark";
// The MutatingAdmissionPolicy and binding of Harden, installed by the chart and deploy/operator
// (never by the operator, which only reads them and writes each policy's status.harden).
inline constexpr const char* kHardenPolicyName = "bulwark-harden";
inline constexpr const char* kWebhookName = "validate.bulwark.dev";
inline constexpr const char* kWebhookSecretName = "bulwark-webhook-tls";
inline constexpr const char* kCaAddedAnnotation = "bulwark.dev/ca-added-at";

}  // namespace bulwark
