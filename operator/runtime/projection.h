#pragma once

#include "operator/document/value.h"

namespace bulwark::runtime {

// The compact projection the informers cache for workloads and pods: identity, labels,
// annotations, owners, and the pod-template fields the posture checks and reconcilers read.
// managedFields, env, commands, mounts, scheduling and most of status are dropped: they are
// most of an object's size and nothing here reads them.
document::Value project_workload(document::Value&& object);

// For objects whose whole spec matters (NetworkPolicies, SecurityPolicies): the same trimmed
// metadata, spec and status as they are.
document::Value project_spec(document::Value&& object);

// Trivy Operator's VulnerabilityReports: the trimmed metadata and report.summary (the counts by
// severity); the per-vulnerability list, nearly all of a report's size, is dropped.
document::Value project_vulnerability_report(document::Value&& object);

// Roles, ClusterRoles and their bindings: the trimmed metadata, rules, roleRef and subjects
// (aggregated ClusterRoles carry the rules the API server materialised into them).
document::Value project_rbac(document::Value&& object);

// ServiceAccounts: name, namespace and automountServiceAccountToken (its secrets and image pull
// secrets are dropped).
document::Value project_service_account(document::Value&& object);

// Reports Bulwark writes: the trimmed metadata alone (its hash annotation says what the content
// is), so the cache of 10,000 reports holds none of their results.
document::Value project_report_metadata(document::Value&& object);

}  // namespace bulwark::runtime
